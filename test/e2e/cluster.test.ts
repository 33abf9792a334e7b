/**
 * End to end, cluster preset: two `cortical hq` replicas on one PostgreSQL database (created for
 * this test, dropped after it) and the local NATS server (a subject prefix and stream of the
 * test's own), and one `cortical node --hq URL1,URL2`. Tasks submitted through replica 1 are seen
 * succeeding through replica 2's API and event stream; after kill -9 of replica 1 the node fails
 * over to replica 2 and new tasks still run.
 *
 * Needs PostgreSQL at CORTICAL_TEST_PG_URL (default postgres://postgres@127.0.0.1:5432/test) and
 * NATS with JetStream at CORTICAL_TEST_NATS_URL (default 127.0.0.1:4222); skipped, saying so,
 * when either cannot be reached.
 */
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { relayBucketName } from '../../src/adapters/bus/nats/nats-event-sink.js';
import { natsAvailable, TEST_NATS_URL } from '../../src/adapters/bus/nats/nats-test-support.js';
import { postgresReachable, TEST_PG_DISPLAY, TEST_PG_URL, withAdmin } from '../../src/adapters/store/postgres/postgres-test-db.js';
import { api, baseEnv, cortical, CorticalDaemon, eventually, tempDir } from './cortical-process.js';

const PG_URL = TEST_PG_URL;
const NATS_URL = TEST_NATS_URL;

const [pgOk, natsOk] = await Promise.all([postgresReachable(), natsAvailable()]);
const skipReason = !pgOk ? `no PostgreSQL at ${TEST_PG_DISPLAY}` : !natsOk ? `no NATS at ${NATS_URL}` : null;
if (skipReason !== null) console.warn(`skipped: ${skipReason}`);

const admin = <T>(fn: (c: pg.Client) => Promise<T>): Promise<T> => withAdmin(fn);

type Task = { id: string; state: string; nodeId: string | null };
interface SseEvent { id: number; type: string; taskId: string | null }

/** Follows `GET /api/v1/events` of one replica, collecting the events it streams. */
class EventFollower {
  readonly events: SseEvent[] = [];
  private readonly ac = new AbortController();
  readonly done: Promise<void>;

  constructor(url: string, token: string) {
    this.done = this.run(url, token).catch(() => undefined);
  }

  private async run(url: string, token: string): Promise<void> {
    const res = await fetch(`${url}/api/v1/events?after=0`, { headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' }, signal: this.ac.signal });
    if (!res.ok || res.body === null) throw new Error(`event stream: ${res.status}`);
    let buffer = '';
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      buffer += Buffer.from(chunk).toString('utf8');
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const field = (name: string) => block.split('\n').find((l) => l.startsWith(`${name}:`))?.slice(name.length + 1).trim();
        const data = field('data');
        if (data === undefined) continue;
        const parsed = JSON.parse(data) as { taskId?: string | null };
        this.events.push({ id: Number(field('id')), type: field('event') ?? '', taskId: parsed.taskId ?? null });
      }
    }
  }

  has(type: string, taskId: string): boolean {
    return this.events.some((e) => e.type === type && e.taskId === taskId);
  }

  stop(): void {
    this.ac.abort();
  }
}

describe.skipIf(skipReason !== null)('cluster preset: two HQ replicas on PostgreSQL + NATS', () => {
  const id = randomBytes(4).toString('hex');
  const database = `cortical_cluster_${id}`;
  const prefix = `cortical-test.cluster.${id}`;
  const stream = `CT_CLUSTER_${id}`;
  // A password in the URL must never show in output. Without one in CORTICAL_TEST_PG_URL the
  // default local server trusts local connections and ignores the one added here.
  const password = new URL(PG_URL).password || 'cluster-e2e-password';
  const dbUrl = (() => {
    const u = new URL(PG_URL);
    u.pathname = `/${database}`;
    u.password = password;
    return u.toString();
  })();
  let root: { path: string; remove(): Promise<void> };
  let hq1: CorticalDaemon;
  let hq2: CorticalDaemon;
  let node: CorticalDaemon;
  let url1: string;
  let url2: string;
  let token: string;
  let follower: EventFollower;

  async function submit(via: string, prompt: string): Promise<Task> {
    const r = await api(via, token, 'POST', '/api/v1/tasks', { prompt });
    if (r.status !== 201) throw new Error(`submit through ${via}: ${r.status} ${JSON.stringify(r.json)}`);
    return r.json as Task;
  }

  async function succeededOn(via: string, taskId: string, timeoutMs = 60_000): Promise<Task> {
    return eventually(`task ${taskId} succeeded (seen through ${via})`, async () => {
      const r = await api(via, token, 'GET', `/api/v1/tasks/${taskId}`);
      if (r.status === 200 && (r.json as Task).state === 'failed') throw new Error(`task ${taskId} failed: ${JSON.stringify(r.json)}`);
      return r.status === 200 && (r.json as Task).state === 'succeeded' ? (r.json as Task) : undefined;
    }, timeoutMs);
  }

  beforeAll(async () => {
    await admin((c) => c.query(`create database ${database}`));
    root = await tempDir('cluster');
    const common = { CORTICAL_BUS_PREFIX: prefix, CORTICAL_BUS_STREAM: stream, CORTICAL_LOG_LEVEL: 'info' };
    // Replica 1 is configured with flags, replica 2 through the environment; both start at once
    // (only one of them may create the admin token).
    hq1 = new CorticalDaemon(['hq', '--port', '0', '--preset', 'cluster', '--store', dbUrl, '--bus', `nats://${NATS_URL.replace(/^nats:\/\//, '')}`], baseEnv({ ...common, CORTICAL_HOME: join(root.path, 'hq1') }));
    hq2 = new CorticalDaemon(['hq', '--port', '0'], baseEnv({ ...common, CORTICAL_HOME: join(root.path, 'hq2'), CORTICAL_PRESET: 'cluster', CORTICAL_STORE: dbUrl, CORTICAL_BUS: NATS_URL }));
    const urls = await Promise.all([hq1, hq2].map(async (d) => (await d.waitFor(/listening on (http:\/\/127\.0\.0\.1:\d+)/))[1]!));
    for (const d of [hq1, hq2]) expect(d.output).toMatch(/backend: +cluster preset, store postgres:\/\/[^ ]*:\*\*\*@[^ ]+, bus nats:\/\//);
    url1 = urls[0]!;
    url2 = urls[1]!;
    const tokenFiles = [join(root.path, 'hq1', 'admin.token'), join(root.path, 'hq2', 'admin.token')];
    const found = await Promise.all(tokenFiles.map((f) => readFile(f, 'utf8').then((t) => t.trim(), () => null)));
    expect(found.filter((t) => t !== null)).toHaveLength(1); // exactly one replica created it
    token = found.find((t) => t !== null)!;
    // The other replica says where the token is: which replica and file when they raced for it,
    // else that the file is on the replica that created it.
    const [winnerFile, loser] = found[0] !== null ? [tokenFiles[0]!, hq2] : [tokenFiles[1]!, hq1];
    const said = await loser.waitFor(/another HQ replica created the initial admin token|its file is on the replica that created it/, 10_000);
    if (said[0].startsWith('another')) expect(loser.output).toContain(winnerFile);

    const join1 = await api(url1, token, 'POST', '/api/v1/tokens', { role: 'node', ttlMs: 3_600_000 });
    expect(join1.status).toBe(201);
    node = new CorticalDaemon(
      ['node', '--hq', `${url1},${url2}`, '--join-token', join1.json.token as string, '--name', 'n1', '--slots', '2', '--runtime', 'process', '--work-dir', join(root.path, 'node')],
      baseEnv({ CORTICAL_HOME: join(root.path, 'node-home'), CORTICAL_LOG_LEVEL: 'warn' }),
    );
    await node.waitFor(/joined HQ at/);
    follower = new EventFollower(url2, token);
  }, 120_000);

  afterAll(async () => {
    follower?.stop();
    await node?.stop();
    await Promise.all([hq1?.stop(), hq2?.stop()]);
    await root?.remove();
    await admin((c) => c.query(`drop database if exists ${database} with (force)`)).catch((e: unknown) => console.warn(`could not drop ${database}: ${String(e)}`));
    const nc = await connect({ servers: NATS_URL, timeout: 3_000 }).catch(() => null);
    if (nc !== null) {
      const jsm = await jetstreamManager(nc);
      await jsm.streams.delete(stream).catch(() => undefined);
      await jsm.streams.delete(`KV_${relayBucketName(stream)}`).catch(() => undefined);
      await nc.close();
    }
  }, 60_000);

  it('both replicas serve the API; tasks submitted through one succeed as seen through the other, on its event stream too', async () => {
    const [status1, status2] = await Promise.all([api(url1, token, 'GET', '/api/v1/status'), api(url2, token, 'GET', '/api/v1/status')]);
    expect([status1.status, status2.status]).toEqual([200, 200]);
    // one replica schedules, and both name it
    type Sched = { replica: string; leader: string | null; leading: boolean };
    const [s1, s2] = await eventually('a scheduler leader', async () => {
      const both = await Promise.all([url1, url2].map(async (u) => (await api(u, token, 'GET', '/api/v1/status')).json.scheduler as Sched));
      return both.every((x) => x.leader !== null) ? both : undefined;
    }, 15_000);
    expect([s1!.leading, s2!.leading].filter(Boolean)).toHaveLength(1);
    expect(s1!.leader).toBe(s2!.leader);
    expect([s1!.replica, s2!.replica]).toContain(s1!.leader);
    const tasks = await Promise.all(['echo one', 'echo two', 'echo three'].map((p) => submit(url1, p)));
    for (const t of tasks) expect((await succeededOn(url2, t.id)).nodeId).not.toBeNull();
    await eventually('task.succeeded on replica 2\'s event stream', () => Promise.resolve(tasks.every((t) => follower.has('task.succeeded', t.id)) ? true : undefined), 15_000);
    for (const t of tasks) expect(follower.has('task.created', t.id)).toBe(true);
    const ids = follower.events.map((e) => e.id);
    expect(ids).toEqual([...ids].sort((a, b) => a - b)); // in seq order, no repeats
    expect(new Set(ids).size).toBe(ids.length);

    // The replicas' event relays copied the store's events into the JetStream stream.
    const nc = await connect({ servers: NATS_URL, timeout: 3_000 });
    try {
      const jsm = await jetstreamManager(nc);
      await eventually('events in the JetStream stream', async () => {
        const info = await jsm.streams.info(stream);
        return info.state.messages >= ids.length ? info : undefined;
      }, 60_000); // the relay holds events behind a seq hole (a rolled-back insert) for up to 5 s each
      const last = await jsm.streams.getMessage(stream, { last_by_subj: `${prefix}.events.task.succeeded` });
      expect(tasks.map((t) => t.id)).toContain((last?.json<{ taskId: string }>() ?? { taskId: null }).taskId);
    } finally {
      await nc.close();
    }
  }, 120_000);

  it('after kill -9 of replica 1 the node fails over to replica 2 and new tasks still run', async () => {
    hq1.kill('SIGKILL');
    await hq1.exited;
    const down = await api(url1, token, 'GET', '/api/v1/status').catch((e: unknown) => e);
    expect(down).toBeInstanceOf(Error);
    await node.waitFor(/failing over/, 30_000);
    expect(node.output).toContain(url2);

    // replica 2 schedules now (it took the role over if replica 1 held it)
    await eventually('replica 2 leads the scheduling', async () => ((await api(url2, token, 'GET', '/api/v1/status')).json.scheduler.leading === true ? true : undefined), 30_000);
    const after = await Promise.all(['echo four', 'echo five'].map((p) => submit(url2, p)));
    for (const t of after) await succeededOn(url2, t.id);
    await eventually('the new tasks on replica 2\'s event stream', () => Promise.resolve(after.every((t) => follower.has('task.succeeded', t.id)) ? true : undefined), 15_000);
    const nodes = await api(url2, token, 'GET', '/api/v1/nodes');
    expect((nodes.json.items as { name: string; state: string }[]).find((n) => n.name === 'n1')?.state).toBe('ready');
    const r = await cortical(['status', '--json'], baseEnv({ CORTICAL_HQ: url2, CORTICAL_TOKEN: token, CORTICAL_HOME: join(root.path, 'cli') }));
    expect(r.code).toBe(0);
  }, 120_000);

  it('a replica stops cleanly on SIGTERM (loops, relay, server, NATS, database pool)', async () => {
    const started = Date.now();
    hq2.kill('SIGTERM');
    expect(await hq2.exited).toBe(0);
    expect(Date.now() - started).toBeLessThan(8_000);
    expect(hq2.output).not.toMatch(/"level":50|HQ loops failed|event relay failed/);
    for (const d of [hq1, hq2, node]) expect(d.output).not.toContain(password);
  }, 30_000);
});
