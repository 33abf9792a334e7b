/** 1. Throughput: a queue submitted through the service, then leased by HQ's batched passes. */
import { performance } from 'node:perf_hooks';
import type { HqConfig } from '../../src/services/hq/hq-config.js';
import type { HqDeps } from '../../src/services/hq/hq-deps.js';
import { runSchedulingPass } from '../../src/services/hq/scheduler-loop.js';
import { median, percentile } from '../bench-stats.js';
import type { DispatchStorage, ThroughputRow } from './dispatch-types.js';
import { workload } from './fleet-workload.js';
import { QueueSource } from './queue-source.js';
import { expectAllLeased } from './store-env.js';

export interface DispatchRun {
  readonly ms: number;
  readonly passes: number;
  readonly passTimes: readonly number[];
}

/**
 * HQ's scheduling pass, repeated the way the scheduler loop repeats it without waiting for a
 * wake-up: again at once while a pass saw a full snapshot (`maxTasksPerPass`) and placed some.
 */
export async function dispatchBatched(deps: HqDeps, tasks: number): Promise<DispatchRun> {
  const passTimes: number[] = [];
  let leased = 0;
  let passes = 0;
  const start = performance.now();
  for (;;) {
    const t0 = performance.now();
    const result = await runSchedulingPass(deps);
    if (result.granted.length > 0) passTimes.push(performance.now() - t0);
    passes += 1;
    leased += result.granted.length;
    if (result.rejected.length > 0) throw new Error(`batched dispatch: ${result.rejected.length} placements rejected`);
    if (!(result.considered >= deps.config.maxTasksPerPass && result.granted.length > 0)) break;
  }
  const ms = performance.now() - start;
  if (leased !== tasks) throw new Error(`batched dispatch leased ${leased} of ${tasks}`);
  await expectAllLeased(deps.store, tasks, 'batched dispatch');
  return { ms, passes, passTimes };
}

/** One row per storage and queue size (`:memory:` only up to `memoryMaxTasks`). */
export async function measureThroughput(
  storages: readonly DispatchStorage[],
  sizes: readonly number[],
  memoryMaxTasks: number,
  nodes: number,
  runs: number,
  config: HqConfig,
  rand: () => number,
): Promise<ThroughputRow[]> {
  const throughput: ThroughputRow[] = [];
  for (const storage of storages) {
    for (const tasks of sizes) {
      if (storage === 'memory' && tasks > memoryMaxTasks) continue;
      const source = new QueueSource(storage, nodes, workload(tasks, rand), config, runs);
      const leased: number[] = [];
      const dispatchMs: number[] = [];
      const passes: number[] = [];
      const passTimes: number[] = [];
      try {
        for (let r = 0; r < runs; r++) {
          const env = await source.open();
          try {
            const run = await dispatchBatched(env.deps, tasks);
            leased.push(tasks / (run.ms / 1000));
            dispatchMs.push(run.ms);
            passes.push(run.passes);
            passTimes.push(...run.passTimes);
          } finally {
            await env.close();
          }
        }
      } finally {
        source.dispose();
      }
      passTimes.sort((a, b) => a - b);
      throughput.push({
        storage,
        tasks,
        runs,
        submitPerSec: median(source.submitRates),
        leasedPerSec: median(leased),
        dispatchMs: median(dispatchMs),
        passes: median(passes),
        passMedianMs: percentile(passTimes, 50),
        passP95Ms: percentile(passTimes, 95),
      });
    }
  }
  return throughput;
}
