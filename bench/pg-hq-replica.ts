/**
 * One HQ replica of the PostgreSQL dispatch bench, as a process of its own (started by
 * `pg-dispatch-bench.ts` through `pg-bench-ipc.ts`): its own `PostgresStore` pool on the shared
 * schema, its own NATS connection on the run's subject prefix, and `hq.start(signal)` running the
 * scheduler loop and the lease reaper. The bench asks it to submit tasks (through HQ's
 * submit-task service) and reads back when each task was submitted and when a `commitPlan` of
 * this replica leased it.
 */
import { NatsBus } from '../src/adapters/bus/nats/nats-bus.js';
import { SystemClock } from '../src/adapters/clock/system/system-clock.js';
import { RandomIds } from '../src/adapters/ids/random/random-ids.js';
import { PostgresStore } from '../src/adapters/store/postgres/postgres-store.js';
import type { TaskCreateParsed } from '../src/contract/task-schemas.js';
import { silentLogger } from '../src/core/ports/logger.js';
import type { CommitResult, Store } from '../src/core/ports/store.js';
import type { HqConfig } from '../src/services/hq/hq-config.js';
import { Hq } from '../src/services/hq/hq.js';
import { paced, serveParent, wallMs } from './pg-bench-ipc.js';

export interface ReplicaStart {
  readonly index: number;
  readonly pgUrl: string;
  readonly schema: string;
  readonly poolSize: number;
  readonly natsUrl: string;
  readonly subjectPrefix: string;
  readonly config: Partial<HqConfig>;
}

export interface SubmitRequest {
  readonly requests: readonly TaskCreateParsed[];
  readonly startAtMs: number;
  readonly intervalMs: number;
}

/** [key, wall ms] pairs; for leases [taskId, wall ms, nodeId]. */
export type Stamp = readonly [string, number];
export type LeaseStamp = readonly [string, number, string];

export interface ReplicaReport {
  readonly leased: readonly LeaseStamp[];
  /** Transactions run again after a serialization failure or deadlock (PostgreSQL). */
  readonly retries: number;
  readonly passes: number;
}

/** Delegates to `store`, reporting each commitPlan's grants and each snapshot load (a pass). */
function observe(store: Store, onPass: () => void, onCommit: (r: CommitResult) => void): Store {
  return new Proxy(store, {
    get(target, prop) {
      if (prop === 'commitPlan') {
        return async (input: Parameters<Store['commitPlan']>[0]): Promise<CommitResult> => {
          const result = await target.commitPlan(input);
          onCommit(result);
          return result;
        };
      }
      if (prop === 'loadSchedulerSnapshot') {
        return (input: Parameters<Store['loadSchedulerSnapshot']>[0]) => {
          onPass();
          return target.loadSchedulerSnapshot(input);
        };
      }
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

let store: PostgresStore | null = null;
let bus: NatsBus | null = null;
let hq: Hq | null = null;
let running: Promise<void> | null = null;
const loops = new AbortController();
let leased: LeaseStamp[] = [];
let retries = 0;
let passes = 0;

serveParent({
  async start(body: ReplicaStart) {
    store = await PostgresStore.create(body.pgUrl, {
      schema: body.schema,
      poolSize: body.poolSize,
      applicationName: `cortical-bench-hq-${body.index}`,
      onRetry: (n) => {
        if (n.kind === 'serialization') retries += 1;
      },
    });
    bus = await NatsBus.connect({ servers: body.natsUrl, subjectPrefix: body.subjectPrefix, name: `bench-hq-${body.index}` });
    const clock = new SystemClock();
    const observed = observe(
      store,
      () => (passes += 1),
      (r) => {
        const at = wallMs();
        for (const t of r.granted) leased.push([t.id, at, t.nodeId ?? '']);
      },
    );
    hq = new Hq({ store: observed, bus, clock, ids: new RandomIds(() => clock.nowMs()), logger: silentLogger, config: body.config });
    running = hq.start(loops.signal);
    return { pid: process.pid };
  },

  async submit(body: SubmitRequest): Promise<Stamp[]> {
    if (hq === null) throw new Error('not started');
    const h = hq;
    const out: Stamp[] = [];
    await paced(body.requests.length, body.startAtMs, body.intervalMs, async (i) => {
      const at = wallMs();
      const task = await h.submitTask(body.requests[i]!, 'bench');
      out.push([task.id, at]);
    });
    return out;
  },

  /** Leases seen since the last report. */
  report(): Promise<ReplicaReport> {
    const out = leased;
    leased = [];
    return Promise.resolve({ leased: out, retries, passes });
  },

  async stop() {
    loops.abort();
    await running?.catch(() => undefined);
    await bus?.close();
    await store?.close();
    return null;
  },
});
