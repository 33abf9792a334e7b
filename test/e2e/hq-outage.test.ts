/**
 * End to end: HQ goes away for a while and comes back on the same address. The node keeps the
 * loop running, buffers its progress, reconnects, and nothing it produced meanwhile is lost.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, baseEnv, CorticalDaemon, corticalJson, eventually, sleep, tempDir } from './cortical-process.js';

let root: { path: string; remove(): Promise<void> };
let hq: CorticalDaemon;
let node: CorticalDaemon;
let env: NodeJS.ProcessEnv;
let url: string;
let port: string;
let adminToken: string;

beforeAll(async () => {
  root = await tempDir('outage');
  // Leases long enough to outlive the outage: the node must keep its attempt, not lose it.
  env = baseEnv({ CORTICAL_HOME: join(root.path, 'hq'), CORTICAL_LEASE_TTL_MS: '30000', CORTICAL_NODE_LOST_AFTER_MS: '30000' });
  hq = new CorticalDaemon(['hq', '--port', '0'], env);
  const m = await hq.waitFor(/(http:\/\/127\.0\.0\.1:(\d+))/);
  url = m[1]!;
  port = m[2]!;
  adminToken = (await readFile(join(root.path, 'hq', 'admin.token'), 'utf8')).trim();
  env = { ...env, CORTICAL_HQ: url, CORTICAL_TOKEN: adminToken };
  const joinToken = await corticalJson<{ token: string }>(['token', 'create', '--role', 'node'], env);
  node = new CorticalDaemon(['node', '--hq', url, '--join-token', joinToken.token, '--name', 'solo', '--work-dir', join(root.path, 'solo')], env);
  await node.waitFor(/joined HQ/);
}, 90_000);

afterAll(async () => {
  await node?.stop();
  await hq?.stop();
  await root?.remove();
});

describe('HQ outage', () => {
  it('the node keeps running, buffers logs and events, and reconnects when HQ is back', async () => {
    const command = 'n=$(cat n.txt 2>/dev/null || echo 0); echo "tick $n"; echo $((n+1)) > n.txt; sleep 0.3';
    const task = await corticalJson<{ id: string }>(
      ['run', '--mode', 'loop', '--until', 'test "$(cat n.txt)" -ge 20', '--max-iterations', '100', command],
      env,
    );
    await eventually('a few iterations', async () => {
      const t = await api(url, adminToken, 'GET', `/api/v1/tasks/${task.id}`);
      return t.json.usage.iterations >= 3 ? t.json : undefined;
    });

    await hq.stop();
    const down = Date.now();
    await sleep(2500); // the loop goes on without HQ
    const ws = join(root.path, 'solo', 'workspaces', task.id);
    const progressedOffline = Number((await readFile(join(ws, 'n.txt'), 'utf8')).trim());
    expect(progressedOffline).toBeGreaterThan(3);

    hq = new CorticalDaemon(['hq', '--port', port], env);
    await hq.waitFor(/http:\/\/127\.0\.0\.1/);
    expect(hq.output).not.toMatch(/shown once/); // the admin token is printed on the first start only
    expect(Date.now() - down).toBeLessThan(30_000);

    const done = await eventually(
      'task finished after HQ came back',
      async () => {
        const t = await api(url, adminToken, 'GET', `/api/v1/tasks/${task.id}`);
        return t.json.state === 'succeeded' ? t.json : undefined;
      },
      60_000,
    );
    expect(done.reason).toBe('until_passed');
    expect(done.attempts).toBe(1); // the same attempt survived the outage
    const logs = await api(url, adminToken, 'GET', `/api/v1/tasks/${task.id}/logs?limit=1000`);
    const ticks = (logs.json.items as { text: string }[]).map((l) => l.text).filter((t) => t.startsWith('tick '));
    expect(ticks).toEqual(Array.from({ length: 20 }, (_, i) => `tick ${i}`));
  }, 120_000);
});
