/**
 * Dispatch benchmark: end-to-end submit → leased on the SQLite store.
 *
 * Three measurements, each on fresh stores (a temp database file in WAL mode, and `:memory:`):
 *
 * 1. Throughput. Register a fleet, submit N tasks one by one through the real submit-task
 *    service, then run the HQ scheduler's real `runSchedulingPass` (snapshot → schedule → commit
 *    → record unplaced) until every task is leased. Reports submit throughput, dispatch
 *    throughput (tasks leased per second of pass wall time), passes needed and pass times.
 * 2. Peer. A naive claim loop on the same store operations, one task per transaction: for each
 *    task a fresh snapshot with `maxTasks: 1` and a single-placement commit. Compared with ours
 *    on the same number of tasks.
 * 3. Latency. The real `SchedulerLoop` runs (`start(signal)`, woken through the memory bus by
 *    every submit); tasks are submitted one by one at a steady rate and the time from the submit
 *    call to the commit that leased the task is measured (p50/p95/p99).
 *
 * Every case runs `runs` times on fresh stores; the tables show medians over the runs. The
 * fixtures, the three measurements and the tables live in `bench/dispatch/`.
 *
 *   npx tsx bench/dispatch-bench.ts [--nodes 100] [--tasks 5000,20000] [--peer-tasks 500]
 *     [--latency-tasks 200] [--rate 200] [--runs 3] [--max-per-pass 5000] [--no-memory]
 */
import { pathToFileURL } from 'node:url';
import { resolveHqConfig, type HqConfig } from '../src/services/hq/hq-config.js';
import { argNumber, argValue } from './bench-args.js';
import { prng } from './bench-random.js';
import { formatDispatchResult, formatPeerSummary } from './dispatch/dispatch-tables.js';
import type { DispatchBenchOptions, DispatchBenchResult } from './dispatch/dispatch-types.js';
import { workload } from './dispatch/fleet-workload.js';
import { measureLatencyRows } from './dispatch/latency.js';
import { measurePeer } from './dispatch/naive-peer.js';
import { openEnv, submitAll } from './dispatch/store-env.js';
import { dispatchBatched, measureThroughput } from './dispatch/throughput.js';

export type {
  DispatchBenchOptions,
  DispatchBenchResult,
  DispatchStorage,
  LatencyRow,
  PeerRow,
  ThroughputRow,
} from './dispatch/dispatch-types.js';
export { formatDispatchResult } from './dispatch/dispatch-tables.js';

/** HQ's own defaults: the bench measures what a user gets. */
export const BENCH_HQ_CONFIG: Partial<HqConfig> = {};

export async function runDispatchBench(opts: DispatchBenchOptions = {}): Promise<DispatchBenchResult> {
  const nodes = opts.nodes ?? 100;
  const sizes = opts.sizes ?? [5_000, 20_000];
  const peerTasks = opts.peerTasks ?? 500;
  const latencyTasks = opts.latencyTasks ?? 200;
  const rate = opts.latencyRatePerSec ?? 200;
  const storages = opts.storages ?? ['file', 'memory'];
  const memoryMaxTasks = opts.memoryMaxTasks ?? 5_000;
  const runs = Math.max(1, opts.runs ?? 3);
  const seed = opts.seed ?? 42;
  const config = resolveHqConfig({ ...BENCH_HQ_CONFIG, ...opts.config });
  const print = opts.print ?? true;
  const rand = prng(seed);

  if (print) {
    console.log(
      `dispatch: submit → leased on SQLite, ${nodes} nodes, maxTasksPerPass ${config.maxTasksPerPass}, medians of ${runs} runs (seed ${seed})\n`,
    );
  }

  // Warm-up (untimed): the first submits and passes of a process run colder code.
  {
    const env = await openEnv('memory', nodes, 500, config);
    try {
      await submitAll(env.deps, workload(500, prng(seed + 1)));
      await dispatchBatched(env.deps, 500);
    } finally {
      await env.close();
    }
  }

  const throughput = await measureThroughput(storages, sizes, memoryMaxTasks, nodes, runs, config, rand);
  const peer = peerTasks > 0 ? await measurePeer(storages, peerTasks, nodes, runs, config, rand) : [];
  const latency = latencyTasks > 0 ? await measureLatencyRows(storages, latencyTasks, rate, nodes, runs, config, rand) : [];

  const result: DispatchBenchResult = { nodes, throughput, peer, latency };
  if (print) {
    console.log(formatDispatchResult(result));
    for (const p of peer) console.log(formatPeerSummary(p));
  }
  return result;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = process.argv.slice(2);
  const sizes = argValue(args, '--tasks');
  const maxPerPass = argNumber(args, '--max-per-pass');
  await runDispatchBench({
    nodes: argNumber(args, '--nodes'),
    sizes: sizes === undefined ? undefined : sizes.split(',').map(Number),
    peerTasks: argNumber(args, '--peer-tasks'),
    latencyTasks: argNumber(args, '--latency-tasks'),
    latencyRatePerSec: argNumber(args, '--rate'),
    runs: argNumber(args, '--runs'),
    storages: args.includes('--no-memory') ? ['file'] : undefined,
    config: maxPerPass === undefined ? undefined : { maxTasksPerPass: maxPerPass },
  });
}
