import { describe, expect, it } from 'vitest';
import { FakeClock } from '../core/clock.js';
import { decideCommand } from '../core/agent-policy-map.js';
import { nodePolicyLog } from './start-node.js';

describe('the node policy gate', () => {
  it('holds tasks to T1 unless they declare a higher risk tier; a lockdown denies T2 even then', () => {
    let lockdown = false;
    const tiers: Record<string, 'T0' | 'T1' | 'T2' | 'T3' | undefined> = { plain: undefined, low: 'T0', sys: 'T2' };
    const log = nodePolicyLog(new FakeClock(), () => lockdown, (id) => tiers[id]);
    expect(log.rulesFor('plain').policy.maxTier).toBe('T1');
    expect(log.rulesFor('low').policy.maxTier).toBe('T1');
    expect(log.rulesFor('sys').policy.maxTier).toBe('T2');
    const install = (task: string) => decideCommand('shell', 'npm install left-pad', log.rulesFor(task), { workspace: '/w' });
    expect(install('plain').allowed).toBe(false);
    expect(install('sys').allowed).toBe(true);
    lockdown = true;
    expect(install('sys')).toMatchObject({ allowed: false });
  });
});
