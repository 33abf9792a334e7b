/**
 * End to end: `cortical hq` plus two separate `cortical node` processes with different
 * capabilities; placement by capability, an unplaceable task, and fail-over after SIGKILL with
 * fencing of the dead node's late completion.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, baseEnv, cortical, CorticalDaemon, corticalJson, eventually, tempDir } from './cortical-process.js';

type Task = { id: string; state: string; reason: string | null; nodeId: string | null; attempts: number; fencingToken: number; message: string | null };
type Node = { id: string; name: string; state: string; capabilities: string[] };

let root: { path: string; remove(): Promise<void> };
let hq: CorticalDaemon;
let alpha: CorticalDaemon;
let beta: CorticalDaemon;
let env: NodeJS.ProcessEnv;
let url: string;
let adminToken: string;
const nodeIds: Record<string, string> = {};

async function show(id: string): Promise<Task> {
  const r = await api(url, adminToken, 'GET', `/api/v1/tasks/${id}`);
  if (r.status !== 200) throw new Error(`GET task ${id}: ${r.status}`);
  return r.json as Task;
}

function startNode(name: string, caps: string, joinToken: string): CorticalDaemon {
  return new CorticalDaemon(
    ['node', '--hq', url, '--join-token', joinToken, '--name', name, '--capabilities', caps, '--slots', '1', '--work-dir', join(root.path, name)],
    env,
  );
}

beforeAll(async () => {
  root = await tempDir('fleet');
  env = baseEnv({ CORTICAL_HOME: join(root.path, 'hq') });
  hq = new CorticalDaemon(['hq', '--port', '0'], env);
  url = (await hq.waitFor(/(http:\/\/127\.0\.0\.1:\d+)/))[1]!;
  adminToken = (await eventually('admin token', async () => (await readFile(join(root.path, 'hq', 'admin.token'), 'utf8').catch(() => '')).trim() || undefined));
  env = { ...env, CORTICAL_HQ: url, CORTICAL_TOKEN: adminToken };

  const join1 = await corticalJson<{ token: string }>(['token', 'create', '--role', 'node', '--ttl', '1h'], env);
  alpha = startNode('alpha', 'alpha,common', join1.token);
  beta = startNode('beta', 'beta,common', join1.token); // a reusable join token serves both
  const nodes = await eventually('two ready nodes', async () => {
    const list = await corticalJson<{ items: Node[] } | Node[]>(['nodes', 'ls'], env);
    const items = Array.isArray(list) ? list : list.items;
    return items.filter((n) => n.state === 'ready').length === 2 ? items : undefined;
  });
  for (const n of nodes) nodeIds[n.name] = n.id;
}, 120_000);

afterAll(async () => {
  await Promise.all([alpha?.stop(), beta?.stop()]);
  await hq?.stop();
  await root?.remove();
});

describe('HQ with two nodes', () => {
  it('tasks requiring a capability land only on the node that has it', async () => {
    const results = await Promise.all([
      cortical(['run', '--requires', 'alpha', '--wait', '--json', 'echo a'], env),
      cortical(['run', '--requires', 'beta', '--wait', '--json', 'echo b'], env),
      cortical(['run', '--requires', 'alpha', '--wait', '--json', 'echo a2'], env),
    ]);
    const tasks = results.map((r) => {
      expect(r.code).toBe(0);
      return JSON.parse(r.stdout) as Task;
    });
    expect(tasks[0]!.nodeId ?? (await show(tasks[0]!.id)).nodeId).toBe(nodeIds.alpha);
    expect(tasks[1]!.nodeId ?? (await show(tasks[1]!.id)).nodeId).toBe(nodeIds.beta);
    expect(tasks[2]!.nodeId ?? (await show(tasks[2]!.id)).nodeId).toBe(nodeIds.alpha);
    const events = await api(url, adminToken, 'GET', `/api/v1/tasks/${tasks[1]!.id}/events`);
    const leased = (events.json.items as { type: string; nodeId: string | null }[]).find((e) => e.type === 'task.leased');
    expect(leased?.nodeId).toBe(nodeIds.beta);
  }, 60_000);

  it('a task nobody can run stays queued with a reason', async () => {
    const t = await corticalJson<Task>(['run', '--requires', 'gpu', 'nvidia-smi'], env);
    const queued = await eventually('unplaced reason', async () => {
      const cur = await show(t.id);
      return cur.reason === 'no_capable_node' ? cur : undefined;
    });
    expect(queued.state).toBe('queued');
    expect(queued.message ?? '').toMatch(/gpu/);
    await cortical(['tasks', 'stop', t.id], env);
    expect((await show(t.id)).state).toBe('cancelled');
  });

  it('SIGKILL of a node mid-task: the task re-runs on the other node; the late completion is rejected', async () => {
    const t = await corticalJson<Task>(['run', '--requires', 'common', '--mode', 'loop', '--max-iterations', '100000', 'sleep 0.2'], env);
    const first = await eventually('running', async () => {
      const cur = await show(t.id);
      return cur.state === 'running' ? cur : undefined;
    });
    const victimName = first.nodeId === nodeIds.alpha ? 'alpha' : 'beta';
    const survivorId = victimName === 'alpha' ? nodeIds.beta : nodeIds.alpha;
    const victim = victimName === 'alpha' ? alpha : beta;
    victim.kill('SIGKILL');
    await victim.exited;

    const moved = await eventually(
      'task re-run on the surviving node',
      async () => {
        const cur = await show(t.id);
        return cur.state === 'running' && cur.nodeId === survivorId ? cur : undefined;
      },
      45_000,
    );
    expect(moved.attempts).toBe(2);
    expect(moved.fencingToken).toBeGreaterThan(first.fencingToken);

    // The dead node comes back with its stored credential and tries to complete its old attempt.
    const stored = JSON.parse(await readFile(join(root.path, victimName, 'node.json'), 'utf8')) as {
      nodeId: string;
      refreshToken: string;
    };
    const cred = await api(url, null, 'POST', `/api/v1/nodes/${stored.nodeId}/credential`, { refreshToken: stored.refreshToken });
    expect(cred.status).toBe(200);
    const late = await api(url, cred.json.accessToken as string, 'POST', `/api/v1/leases/${t.id}/complete`, {
      fencingToken: first.fencingToken,
      outcome: 'succeeded',
      reason: 'agent_done',
      message: 'late',
    });
    expect(late.status).toBe(409);
    expect(late.json.error.code).toBe('LEASE_CONFLICT');
    const after = await show(t.id);
    expect(after).toMatchObject({ state: 'running', nodeId: survivorId });
    const events = await api(url, adminToken, 'GET', `/api/v1/tasks/${t.id}/events?limit=1000`);
    const types = (events.json.items as { type: string }[]).map((e) => e.type);
    expect(types).toContain('lease.expired');
    expect(types).toContain('lease.rejected');

    const nodes = await corticalJson<{ items: Node[] } | Node[]>(['nodes', 'ls'], env);
    const items = Array.isArray(nodes) ? nodes : nodes.items;
    expect(items.find((n) => n.name === victimName)?.state).toBe('lost');

    await cortical(['tasks', 'stop', t.id], env);
    await eventually('cancelled', async () => ((await show(t.id)).state === 'cancelled' ? true : undefined));

    // Restarted without a join token, the node re-joins with its stored credential: same id.
    const restarted = new CorticalDaemon(
      ['node', '--hq', url, '--name', victimName, '--capabilities', `${victimName},common`, '--slots', '1', '--work-dir', join(root.path, victimName)],
      env,
    );
    if (victimName === 'alpha') alpha = restarted;
    else beta = restarted;
    await eventually('restarted node ready again', async () => {
      const r = await api(url, adminToken, 'GET', `/api/v1/nodes/${stored.nodeId}`);
      return r.json?.state === 'ready' ? true : undefined;
    });
    const again = await cortical(['run', '--requires', victimName, '--wait', '--json', 'echo back'], env);
    expect(again.code).toBe(0);
    expect((JSON.parse(again.stdout) as Task).nodeId).toBe(stored.nodeId);
  }, 120_000);

  it('a node without a join token or a stored credential is told how to join', async () => {
    const fresh = await cortical(['node', '--hq', url, '--work-dir', join(root.path, 'nobody')], env);
    expect(fresh.code).toBe(2);
    expect(fresh.stderr).toMatch(/--join-token.*cortical token create --role node/s);
  });
});
