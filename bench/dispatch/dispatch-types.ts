/** Options and result rows of the dispatch bench. */
import type { HqConfig } from '../../src/services/hq/hq-config.js';

export type DispatchStorage = 'file' | 'memory';

export interface DispatchBenchOptions {
  /** Nodes in the fleet (default 100). */
  readonly nodes?: number;
  /** Queue sizes of the throughput case (default 5,000 and 20,000). */
  readonly sizes?: readonly number[];
  /** Queue size at which ours and the naive one-task-per-transaction loop are compared. */
  readonly peerTasks?: number;
  /** Tasks submitted in the latency case, and the steady submit rate (tasks/s). */
  readonly latencyTasks?: number;
  readonly latencyRatePerSec?: number;
  /** Storage kinds to run (default both: a temp file in WAL mode and `:memory:`). */
  readonly storages?: readonly DispatchStorage[];
  /** `:memory:` throughput runs only at sizes up to this (default 5,000), to bound the runtime. */
  readonly memoryMaxTasks?: number;
  /** Fresh-store repetitions per case; tables report medians (default 3). */
  readonly runs?: number;
  /** HQ settings over HQ's defaults (default: BENCH_HQ_CONFIG). */
  readonly config?: Partial<HqConfig>;
  readonly seed?: number;
  /** Print the tables to stdout (default true). */
  readonly print?: boolean;
}

export interface ThroughputRow {
  readonly storage: DispatchStorage;
  readonly tasks: number;
  readonly runs: number;
  /** Tasks created per second through the submit service (median over runs). */
  readonly submitPerSec: number;
  /** Tasks leased per second of wall time, first pass to last (median over runs). */
  readonly leasedPerSec: number;
  /** Wall time of the dispatch (all passes) in ms (median over runs). */
  readonly dispatchMs: number;
  /** Passes until the queue was empty, counting the final empty one (median over runs). */
  readonly passes: number;
  /** Median and p95 of the times of the passes that leased something (all runs pooled). */
  readonly passMedianMs: number;
  readonly passP95Ms: number;
}

export interface PeerRow {
  readonly storage: DispatchStorage;
  readonly tasks: number;
  readonly runs: number;
  /** Batched passes (runSchedulingPass), tasks leased per second (median). */
  readonly batchedPerSec: number;
  /** One task per snapshot and commit, tasks leased per second (median). */
  readonly naivePerSec: number;
  /** batched / naive. */
  readonly ratio: number;
}

export interface LatencyRow {
  readonly storage: DispatchStorage;
  readonly tasks: number;
  readonly runs: number;
  readonly ratePerSec: number;
  /** Submit call → leasing commit returned, ms: medians over runs of each run's percentile. */
  readonly p50Ms: number;
  readonly p95Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  /** Scheduling passes per task submitted (below 1 when wake-ups coalesce; median). */
  readonly passesPerTask: number;
  /** Cross-check from the events table (task.created → task.leased `at`, 1 ms clock): p50, p99. */
  readonly eventsP50Ms: number;
  readonly eventsP99Ms: number;
}

export interface DispatchBenchResult {
  readonly nodes: number;
  readonly throughput: readonly ThroughputRow[];
  readonly peer: readonly PeerRow[];
  readonly latency: readonly LatencyRow[];
}
