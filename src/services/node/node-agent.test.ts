import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ScriptAgent } from '../../adapters/agents/script/script-agent.js';
import { ProcessRuntime } from '../../adapters/runtime/process/process-runtime.js';
import { GitWorkspaces } from '../../adapters/workspace/git/git-workspace.js';
import type { AgentDriver } from '../../core/ports/agent-driver.js';
import type { NodeIdentity } from '../../core/ports/hq-link.js';
import { silentLogger } from '../../core/ports/logger.js';
import { InMemoryHqDouble } from './in-memory-hq-double.js';
import { NodeAgent } from './node-agent.js';
import { leasedTask, MemoryNodeState } from './node-test-kit.js';

const root = mkdtempSync(join(tmpdir(), 'cortical-node-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));



function makeAgent(hq: InMemoryHqDouble, state: MemoryNodeState, workDir: string, joinToken: string | null = 'tok_join.secretsecretsecret') {
  return new NodeAgent({
    hq,
    state,
    probe: { resources: () => ({ cpuCount: 2, loadAvg1: 0, memTotalMb: 100, memFreeMb: 50 }) },
    clock: { nowMs: () => Date.now() },
    logger: silentLogger,
    runtime: new ProcessRuntime(),
    drivers: new Map<string, AgentDriver>([['script', new ScriptAgent()]]),
    workspaces: new GitWorkspaces(workDir),
    baseEnv: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
    stopGraceMs: 300,
    flushIntervalMs: 50,
    config: { name: 'n1', joinToken, capabilities: ['script'], slots: 1, version: 'test', refreshBeforeExpiryMs: 500 },
  });
}

async function until(check: () => boolean, timeoutMs = 8000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('NodeAgent', () => {
  it('joins, saves its identity, runs leased tasks up to its slots and renews their leases', async () => {
    const hq = new InMemoryHqDouble();
    const state = new MemoryNodeState();
    hq.tasks.set('t1', leasedTask('t1', 'sleep 400\ndone'));
    hq.tasks.set('t2', leasedTask('t2', 'done'));
    const agent = makeAgent(hq, state, join(root, 'a'));
    const ac = new AbortController();
    const running = agent.start(ac.signal);
    await until(() => hq.completions.length === 2);
    ac.abort();
    await running;
    expect(hq.joins).toBe(1);
    expect(state.identity?.nodeId).toBe('node_1');
    expect(hq.identity).toEqual(state.identity);
    expect(hq.completions.map((c) => c.taskId)).toEqual(['t1', 't2']); // one slot: one after the other
    expect(hq.calls).toContain('renew');
  });

  it('after a restart uses the stored identity, refreshes it before expiry and resumes held leases', async () => {
    const hq = new InMemoryHqDouble();
    const stored: NodeIdentity = {
      nodeId: 'node_1', accessToken: 'tok_old.secretsecretsecret', accessExpiresAt: Date.now() + 200,
      refreshToken: 'tok_r.secretsecretsecret', leaseTtlMs: 3000, heartbeatIntervalMs: 100,
    };
    const state = new MemoryNodeState(stored);
    hq.tasks.set('t3', leasedTask('t3', '@2 done\nappend f.txt x', { task: { state: 'running', usage: { iterations: 1, tokensIn: 0, tokensOut: 0, usd: 0 } } }));
    const ac = new AbortController();
    const running = makeAgent(hq, state, join(root, 'b'), null).start(ac.signal);
    await until(() => hq.completions.length === 1);
    ac.abort();
    await running;
    expect(hq.joins).toBe(0);
    expect(hq.refreshes).toBeGreaterThanOrEqual(1);
    expect(state.identity?.accessToken).not.toBe(stored.accessToken);
    expect(hq.completions[0]).toMatchObject({ taskId: 't3', reason: 'agent_done', usage: { iterations: 2 } });
  });

  it('stops an attempt at once when its lease is taken away, without completing it', async () => {
    const hq = new InMemoryHqDouble();
    hq.tasks.set('t4', leasedTask('t4', 'print up\nhang'));
    const agent = makeAgent(hq, new MemoryNodeState(), join(root, 'c'));
    const ac = new AbortController();
    const running = agent.start(ac.signal);
    await until(() => hq.logText().includes('up'));
    hq.lostLeases.add('t4');
    hq.tasks.delete('t4');
    await until(() => agent.runningTaskIds.length === 0);
    ac.abort();
    await running;
    expect(hq.completions).toHaveLength(0);
  });

  it('keeps running attempts through an HQ outage', async () => {
    const hq = new InMemoryHqDouble();
    hq.tasks.set('t5', leasedTask('t5', 'print tick\nsleep 100\n@8 done'));
    const ac = new AbortController();
    const running = makeAgent(hq, new MemoryNodeState(), join(root, 'd')).start(ac.signal);
    await until(() => hq.logText().includes('tick'));
    hq.unavailable = true;
    await new Promise((r) => setTimeout(r, 700));
    hq.unavailable = false;
    await until(() => hq.completions.length === 1);
    ac.abort();
    await running;
    expect(hq.completions[0]).toMatchObject({ reason: 'agent_done', usage: { iterations: 8 } });
    expect(hq.logText().filter((t) => t === 'tick')).toHaveLength(8);
  });
});
