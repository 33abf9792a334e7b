/**
 * One worker instance of a peer job queue on PostgreSQL (graphile-worker or pg-boss), as a
 * process of its own, for the PostgreSQL dispatch bench: its own pool, a worker that records
 * when each job started, and enqueueing through the library's own API (one job per call, like
 * one task per HQ submit). Both libraries are used through their documented APIs with their
 * defaults except where `PeerStart` says otherwise.
 */
import { Logger, run, type Runner } from 'graphile-worker';
import PgBoss from 'pg-boss';
import { paced, serveParent, wallMs } from './pg-bench-ipc.js';
import type { Stamp } from './pg-hq-replica.js';

export type PeerLib = 'graphile-worker' | 'pg-boss';

export interface PeerStart {
  readonly lib: PeerLib;
  readonly index: number;
  readonly pgUrl: string;
  readonly schema: string;
  readonly poolSize: number;
  /** graphile-worker: jobs run at once per instance (`concurrency`). */
  readonly concurrency: number;
  /** pg-boss: jobs per fetch (`batchSize`), fetched every `pollingIntervalSeconds`. */
  readonly batchSize: number;
  readonly pollingIntervalSeconds: number;
}

export interface EnqueueRequest {
  readonly keys: readonly string[];
  readonly startAtMs: number;
  readonly intervalMs: number;
}

export const PEER_QUEUE = 'bench';

let started: Stamp[] = [];
let enqueue: ((key: string) => Promise<void>) | null = null;
let close: (() => Promise<void>) | null = null;

const record = (key: unknown): void => {
  started.push([String(key), wallMs()]);
};

async function startGraphile(body: PeerStart): Promise<void> {
  const runner: Runner = await run({
    connectionString: body.pgUrl,
    schema: body.schema,
    maxPoolSize: body.poolSize,
    concurrency: body.concurrency,
    noHandleSignals: true,
    logger: new Logger(() => () => undefined),
    taskList: {
      [PEER_QUEUE]: (payload) => {
        record((payload as { key?: unknown }).key);
        return Promise.resolve();
      },
    },
  });
  enqueue = async (key) => {
    await runner.addJob(PEER_QUEUE, { key });
  };
  close = () => runner.stop();
}

async function startBoss(body: PeerStart): Promise<void> {
  const boss = new PgBoss({ connectionString: body.pgUrl, schema: body.schema, max: body.poolSize, schedule: false });
  boss.on('error', (e) => console.error(`pg-boss ${body.index}: ${e.message}`));
  await boss.start();
  await boss.work<{ key: string }>(PEER_QUEUE, { batchSize: body.batchSize, pollingIntervalSeconds: body.pollingIntervalSeconds }, (jobs) => {
    for (const job of jobs) record(job.data.key);
    return Promise.resolve();
  });
  enqueue = async (key) => {
    const id = await boss.send(PEER_QUEUE, { key });
    if (id === null) throw new Error(`pg-boss did not create job ${key}`);
  };
  close = () => boss.stop({ graceful: true, wait: true, timeout: 5_000 });
}

serveParent({
  async start(body: PeerStart) {
    if (body.lib === 'graphile-worker') await startGraphile(body);
    else await startBoss(body);
    return { pid: process.pid };
  },

  async enqueue(body: EnqueueRequest): Promise<Stamp[]> {
    if (enqueue === null) throw new Error('not started');
    const add = enqueue;
    const out: Stamp[] = [];
    await paced(body.keys.length, body.startAtMs, body.intervalMs, async (i) => {
      const key = body.keys[i]!;
      const at = wallMs();
      await add(key);
      out.push([key, at]);
    });
    return out;
  },

  /** Jobs started since the last report. */
  report() {
    const out = started;
    started = [];
    return Promise.resolve({ started: out });
  },

  async stop() {
    await close?.();
    return null;
  },
});
