/**
 * Dead node detection with HQ's default timings (no overrides): a node killed with SIGKILL has its
 * tasks requeued within 10 s (p99 over several kills), and under full CPU load (busy processes on
 * every core) no task is taken from a live node and no live node is declared lost.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { cpus } from 'node:os';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, CorticalDaemon, corticalJson, eventually, sleep, tempDir } from './cortical-process.js';

type Task = { id: string; state: string; reason: string | null; nodeId: string | null };
type Event = { seq: number; type: string; at: number; nodeId: string | null; taskId: string | null };

let root: { path: string; remove(): Promise<void> };
let hq: CorticalDaemon;
let env: NodeJS.ProcessEnv;
let url: string;
let adminToken: string;
let joinToken: string;
const daemons: CorticalDaemon[] = [];
const hogs: ChildProcess[] = [];

/** No timing overrides: HQ and nodes run with their defaults. */
function defaultEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, HOME: process.env.HOME, LANG: 'C.UTF-8', CORTICAL_LOG_LEVEL: 'warn', ...extra };
}

function startNode(name: string, caps: string): CorticalDaemon {
  const d = new CorticalDaemon(['node', '--hq', url, '--join-token', joinToken, '--name', name, '--capabilities', caps, '--slots', '2', '--work-dir', join(root.path, name)], env);
  daemons.push(d);
  return d;
}

async function createTask(body: Record<string, unknown>): Promise<Task> {
  const r = await api(url, adminToken, 'POST', '/api/v1/tasks', body);
  if (r.status !== 201) throw new Error(`create: ${r.status} ${JSON.stringify(r.json)}`);
  return r.json as Task;
}

const task = async (id: string): Promise<Task> => (await api(url, adminToken, 'GET', `/api/v1/tasks/${id}`)).json as Task;
const eventsOf = async (id: string): Promise<Event[]> => (await api(url, adminToken, 'GET', `/api/v1/tasks/${id}/events?limit=1000`)).json.items as Event[];

async function running(ids: readonly string[]): Promise<void> {
  await eventually('tasks running', async () => ((await Promise.all(ids.map(task))).every((t) => t.state === 'running') ? true : undefined), 60_000);
}

async function nodeIdOf(name: string): Promise<string> {
  return eventually(`node ${name} ready`, async () => {
    const nodes = (await api(url, adminToken, 'GET', '/api/v1/nodes?limit=500')).json.items as { id: string; name: string; state: string }[];
    return nodes.find((n) => n.name === name && n.state === 'ready')?.id;
  }, 60_000);
}

beforeAll(async () => {
  root = await tempDir('dead-node');
  env = defaultEnv({ CORTICAL_HOME: join(root.path, 'hq') });
  hq = new CorticalDaemon(['hq', '--port', '0'], env);
  url = (await hq.waitFor(/(http:\/\/127\.0\.0\.1:\d+)/))[1]!;
  adminToken = await eventually('admin token', async () => (await readFile(join(root.path, 'hq', 'admin.token'), 'utf8').catch(() => '')).trim() || undefined);
  env = { ...env, CORTICAL_HQ: url, CORTICAL_TOKEN: adminToken };
  joinToken = (await corticalJson<{ token: string }>(['token', 'create', '--role', 'node', '--ttl', '1h'], env)).token;
}, 120_000);

afterAll(async () => {
  for (const h of hogs) h.kill('SIGKILL');
  await Promise.all(daemons.map((d) => d.stop()));
  await hq?.stop();
  await root?.remove();
});

describe('dead node detection with default settings', () => {
  it('requeues a killed node\'s tasks within 10 s (p99 over several kills)', async () => {
    const delaysMs: number[] = [];
    for (let trial = 1; trial <= 4; trial += 1) {
      const cap = `victim-${trial}`;
      const node = startNode(`victim-${trial}`, cap);
      const nodeId = await nodeIdOf(`victim-${trial}`);
      const tasks = [await createTask({ prompt: 'sleep 300', requires: [cap] }), await createTask({ prompt: 'sleep 300', requires: [cap] })];
      await running(tasks.map((t) => t.id));
      // let at least one renewal happen, then kill at a random point of the renewal cycle
      await sleep(2000 + Math.floor(Math.random() * 2000));
      const killedAt = Date.now();
      node.kill('SIGKILL');
      for (const t of tasks) {
        const expired = await eventually(`task ${t.id} requeued`, async () => (await eventsOf(t.id)).find((e) => e.type === 'lease.expired'), 30_000);
        delaysMs.push(expired.at - killedAt);
        const after = await task(t.id);
        expect(after.state).toBe('queued');
        expect(['lease_expired', 'backoff']).toContain(after.reason); // requeued, maybe waiting out its retry back-off
        await api(url, adminToken, 'POST', `/api/v1/tasks/${t.id}/stop`, {});
      }
      // the node itself is declared lost too
      await eventually(`node ${nodeId} lost`, async () => {
        const n = (await api(url, adminToken, 'GET', `/api/v1/nodes/${nodeId}`)).json as { state: string };
        return n.state === 'lost' ? true : undefined;
      }, 30_000);
    }
    const sorted = [...delaysMs].sort((a, b) => a - b);
    const p99 = sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * 0.99) - 1)]!;
    console.log(`dead node: requeue delays after SIGKILL (ms): ${sorted.join(', ')}; p99 ${p99} ms`);
    expect(sorted.length).toBe(8);
    expect(p99).toBeLessThanOrEqual(10_000);
  }, 300_000);

  it('takes no task from a live node under full CPU load', async () => {
    const live = startNode('survivor', 'survivor');
    const nodeId = await nodeIdOf('survivor');
    const tasks = [await createTask({ prompt: 'sleep 300', requires: ['survivor'] }), await createTask({ prompt: 'sleep 300', requires: ['survivor'] })];
    await running(tasks.map((t) => t.id));
    const loadStartedAt = Date.now();
    const hogCount = cpus().length * 2;
    for (let i = 0; i < hogCount; i += 1) hogs.push(spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }));
    await sleep(45_000); // several lease lifetimes under load
    for (const h of hogs.splice(0)) h.kill('SIGKILL');
    expect(live.child.exitCode).toBeNull();
    for (const t of tasks) {
      const evs = await eventsOf(t.id);
      expect(evs.filter((e) => e.type === 'lease.expired' || e.type === 'lease.rejected')).toEqual([]);
      const now = await task(t.id);
      expect(now.state).toBe('running');
      expect(now.nodeId).toBe(nodeId);
    }
    const nodeEvents = (await api(url, adminToken, 'GET', `/api/v1/audit?limit=500`)).json.items as Event[];
    expect(nodeEvents.filter((e) => e.nodeId === nodeId && e.type === 'lease.rejected' && e.at >= loadStartedAt)).toEqual([]);
    const node = (await api(url, adminToken, 'GET', `/api/v1/nodes/${nodeId}`)).json as { state: string };
    expect(node.state).toBe('ready');
    for (const t of tasks) await api(url, adminToken, 'POST', `/api/v1/tasks/${t.id}/stop`, {});
  }, 180_000);
});
