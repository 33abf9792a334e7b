/** 3. Latency: submit → leased with the real scheduler loop running, woken by every submit. */
import { performance } from 'node:perf_hooks';
import type { TaskCreateParsed } from '../../src/contract/task-schemas.js';
import type { CommitResult, Store } from '../../src/core/ports/store.js';
import type { HqConfig } from '../../src/services/hq/hq-config.js';
import { SchedulerLoop } from '../../src/services/hq/scheduler-loop.js';
import { submitTask } from '../../src/services/hq/submit-task.js';
import { median, percentile } from '../bench-stats.js';
import type { DispatchStorage, LatencyRow } from './dispatch-types.js';
import { workload } from './fleet-workload.js';
import { openEnv } from './store-env.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Delegates to `store`; counts snapshot loads (one per scheduling pass) and calls `onCommit`
 * with the time each commitPlan returned.
 */
function observeStore(store: Store, onSnapshot: () => void, onCommit: (result: CommitResult, atMs: number) => void): Store {
  return new Proxy(store, {
    get(target, prop) {
      if (prop === 'commitPlan') {
        return async (input: Parameters<Store['commitPlan']>[0]): Promise<CommitResult> => {
          const result = await target.commitPlan(input);
          onCommit(result, performance.now());
          return result;
        };
      }
      if (prop === 'loadSchedulerSnapshot') {
        return (input: Parameters<Store['loadSchedulerSnapshot']>[0]) => {
          onSnapshot();
          return target.loadSchedulerSnapshot(input);
        };
      }
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

interface LatencyRun {
  readonly sorted: readonly number[];
  readonly passes: number;
  readonly eventsSorted: readonly number[];
}

async function measureLatency(
  storage: DispatchStorage,
  nodes: number,
  requests: readonly TaskCreateParsed[],
  ratePerSec: number,
  config: HqConfig,
): Promise<LatencyRun> {
  const leasedAt = new Map<string, number>();
  let passes = 0;
  const env = await openEnv(storage, nodes, requests.length, config, {
    wrap: (s) =>
      observeStore(
        s,
        () => (passes += 1),
        (result, at) => {
          for (const t of result.granted) leasedAt.set(t.id, at);
        },
      ),
  });
  const loop = new SchedulerLoop(env.deps);
  const abort = new AbortController();
  let running: Promise<void> | null = null;
  try {
    // Let the loop run its first (empty) pass and go to sleep on its wake-up signal.
    running = loop.start(abort.signal);
    await sleep(20);
    passes = 0;
    const submittedAt = new Map<string, number>();
    const intervalMs = 1000 / ratePerSec;
    const t0 = performance.now();
    for (let i = 0; i < requests.length; i++) {
      const wait = t0 + i * intervalMs - performance.now();
      if (wait > 0) await sleep(wait);
      const at = performance.now();
      const task = await submitTask(env.deps, requests[i]!, 'bench');
      submittedAt.set(task.id, at);
    }
    const deadline = performance.now() + 10_000;
    while (leasedAt.size < requests.length && performance.now() < deadline) await sleep(5);
    abort.abort();
    await running;
    running = null;
    if (leasedAt.size < requests.length) throw new Error(`latency: only ${leasedAt.size} of ${requests.length} leased`);
    const latencies: number[] = [];
    for (const [id, at] of submittedAt) latencies.push(leasedAt.get(id)! - at);
    latencies.sort((a, b) => a - b);

    // Cross-check from the events table (times are the store's 1 ms clock).
    const created = new Map<string, number>();
    const fromEvents: number[] = [];
    let after = 0;
    for (;;) {
      const events = await env.store.readEvents({ afterSeq: after, limit: 1000, types: ['task.created', 'task.leased'] });
      if (events.length === 0) break;
      for (const e of events) {
        if (e.taskId === null) continue;
        if (e.type === 'task.created') created.set(e.taskId, e.at);
        else fromEvents.push(e.at - (created.get(e.taskId) ?? e.at));
      }
      after = events[events.length - 1]!.seq;
    }
    fromEvents.sort((a, b) => a - b);
    return { sorted: latencies, passes, eventsSorted: fromEvents };
  } finally {
    abort.abort();
    if (running !== null) await running.catch(() => undefined);
    await env.close();
  }
}

/** One row per storage: `runs` runs over the same `latencyTasks` requests at `rate` tasks/s. */
export async function measureLatencyRows(
  storages: readonly DispatchStorage[],
  latencyTasks: number,
  rate: number,
  nodes: number,
  runs: number,
  config: HqConfig,
  rand: () => number,
): Promise<LatencyRow[]> {
  const latency: LatencyRow[] = [];
  for (const storage of storages) {
    const requests = workload(latencyTasks, rand);
    const per: LatencyRun[] = [];
    for (let r = 0; r < runs; r++) per.push(await measureLatency(storage, nodes, requests, rate, config));
    latency.push({
      storage,
      tasks: latencyTasks,
      runs,
      ratePerSec: rate,
      p50Ms: median(per.map((p) => percentile(p.sorted, 50))),
      p95Ms: median(per.map((p) => percentile(p.sorted, 95))),
      p99Ms: median(per.map((p) => percentile(p.sorted, 99))),
      maxMs: median(per.map((p) => p.sorted[p.sorted.length - 1] ?? Number.NaN)),
      passesPerTask: median(per.map((p) => p.passes / latencyTasks)),
      eventsP50Ms: median(per.map((p) => percentile(p.eventsSorted, 50))),
      eventsP99Ms: median(per.map((p) => percentile(p.eventsSorted, 99))),
    });
  }
  return latency;
}
