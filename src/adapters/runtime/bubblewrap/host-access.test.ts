import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { assertHandOverSafe } from './host-access.js';

describe('assertHandOverSafe', () => {
  it('refuses the root, top-level and shared directories', () => {
    for (const p of ['/', '/tmp', '/home', '/work', tmpdir(), homedir(), process.cwd(), join(process.cwd(), '..')]) {
      expect(() => assertHandOverSafe(p, []), p).toThrow(/refusing/);
    }
  });

  it('refuses a tree holding a hidden path', () => {
    expect(() => assertHandOverSafe('/srv/node', ['/srv/node/node.key'])).toThrow(/hidden path/);
  });

  it('accepts a workspace', () => {
    expect(() => assertHandOverSafe(join(tmpdir(), 'cortical-ws-1'), [])).not.toThrow();
    expect(() => assertHandOverSafe('/srv/node/workspaces/a', ['/srv/node/node.key', '/srv/hq'])).not.toThrow();
  });
});
