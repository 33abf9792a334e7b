import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { FileNodeState } from './file-node-state.js';

const identity = {
  nodeId: 'node_1',
  accessToken: 'tok_a.secretsecretsecret',
  accessExpiresAt: 1_700_000_000_000,
  refreshToken: 'tok_r.secretsecretsecret',
  leaseTtlMs: 30_000,
  heartbeatIntervalMs: 5_000,
};

describe('FileNodeState', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cortical-state-'));
  afterEach(() => rmSync(join(dir, 'node.json'), { force: true }));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('returns null before the first save, then round-trips with mode 0600', async () => {
    const s = new FileNodeState(join(dir, 'sub'));
    expect(await s.load()).toBeNull();
    await s.save(identity);
    expect(await s.load()).toEqual(identity);
    expect(statSync(s.path).mode & 0o777).toBe(0o600);
    await s.clear();
    expect(await s.load()).toBeNull();
  });

  it('rejects a file that is not an identity', async () => {
    writeFileSync(join(dir, 'node.json'), '{"nodeId": 3}');
    await expect(new FileNodeState(dir).load()).rejects.toThrow(/not a node identity/);
  });
});
