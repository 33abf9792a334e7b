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
 * Every case runs `runs` times on fresh stores; the tables show medians over the runs.
 *
 *   npx tsx bench/dispatch-bench.ts [--nodes 100] [--tasks 5000,20000] [--peer-tasks 500]
 *     [--latency-tasks 200] [--rate 200] [--runs 3] [--max-per-pass 5000] [--no-memory]
 */
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { performance } from 'node:perf_hooks';
import { MemoryBus } from '../src/adapters/bus/memory/memory-bus.js';
import { SystemClock } from '../src/adapters/clock/system/system-clock.js';
import { RandomIds } from '../src/adapters/ids/random/random-ids.js';
import { SqliteStore } from '../src/adapters/store/sqlite/sqlite-store.js';
import { TaskCreateRequest, type TaskCreateParsed } from '../src/contract/task-schemas.js';
import { silentLogger } from '../src/core/ports/logger.js';
import type { CommitResult, Store } from '../src/core/ports/store.js';
import { schedule } from '../src/core/scheduler/schedule.js';
import { resolveHqConfig, type HqConfig } from '../src/services/hq/hq-config.js';
import type { HqDeps } from '../src/services/hq/hq-deps.js';
import { runSchedulingPass, SchedulerLoop } from '../src/services/hq/scheduler-loop.js';
import { submitTask } from '../src/services/hq/submit-task.js';

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

/** HQ's own defaults: the bench measures what a user gets. */
export const BENCH_HQ_CONFIG: Partial<HqConfig> = {};

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

// ---- helpers -------------------------------------------------------------------------------

/** mulberry32: a small seeded PRNG, good enough for synthetic data. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function pick<T>(rand: () => number, items: readonly T[]): T {
  return items[Math.floor(rand() * items.length)] as T;
}

/** Nearest-rank percentile of an ascending array. */
function percentile(sorted: readonly number[], p: number): number {
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] ?? Number.NaN;
}

function median(values: readonly number[]): number {
  return percentile(
    [...values].sort((a, b) => a - b),
    50,
  );
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

// ---- fleet and workload ----------------------------------------------------------------------

/** Every profile is a quarter of the fleet; every task requirement below fits at least one. */
const NODE_PROFILES: readonly (readonly string[])[] = [
  ['linux', 'build', 'claude'],
  ['linux', 'build', 'codex'],
  ['linux', 'gpu', 'claude'],
  ['macos', 'build', 'claude', 'codex'],
];
const TASK_REQUIRES: readonly (readonly string[])[] = [
  [],
  [],
  ['build'],
  ['claude'],
  ['codex'],
  ['build', 'claude'],
  ['gpu'],
  ['macos'],
];
const AGENTS = ['shell', 'claude', 'codex'] as const;

/** Validated create requests, as the API hands them to the service. */
function workload(count: number, rand: () => number): TaskCreateParsed[] {
  const out: TaskCreateParsed[] = [];
  for (let i = 0; i < count; i++) {
    const r = rand();
    out.push(
      TaskCreateRequest.parse({
        prompt: `Task ${i}: fix the flaky test in packages/core, run the suite, and open a pull request with a short summary of the change.`,
        agent: pick(rand, AGENTS),
        mode: rand() < 0.3 ? 'loop' : 'once',
        requires: [...pick(rand, TASK_REQUIRES)],
        repo: { path: '/srv/repos/app', baseRef: 'main' },
        priority: r < 0.7 ? 0 : r < 0.9 ? 1 : 5,
        labels: rand() < 0.5 ? { team: pick(rand, ['infra', 'web', 'ml']) } : {},
      }),
    );
  }
  return out;
}

interface Env {
  readonly deps: HqDeps;
  readonly store: Store;
  /** The database file, or null for `:memory:`. */
  readonly file: string | null;
  /** Close the store; the file is removed unless `keepFile`. */
  close(keepFile?: boolean): Promise<void>;
}

/**
 * A store with `nodes` registered nodes, enough slots for `capacity` tasks even when all of them
 * need the same profile: fresh, or (file storage) a copy of `template`, a closed database file
 * prepared the same way. The store can be wrapped (e.g. to observe it).
 */
async function openEnv(
  storage: DispatchStorage,
  nodes: number,
  capacity: number,
  config: HqConfig,
  opts: { wrap?: (s: Store) => Store; template?: string } = {},
): Promise<Env> {
  const dir = storage === 'file' ? mkdtempSync(join(tmpdir(), 'cortical-dispatch-')) : null;
  const file = dir === null ? null : join(dir, 'hq.db');
  if (file !== null && opts.template !== undefined) copyFileSync(opts.template, file);
  const raw = await SqliteStore.create(file ?? ':memory:');
  const store = opts.wrap?.(raw) ?? raw;
  const clock = new SystemClock();
  const deps: HqDeps = {
    store,
    bus: new MemoryBus(),
    clock,
    ids: new RandomIds(() => clock.nowMs()),
    logger: silentLogger,
    config,
  };
  if (file === null || opts.template === undefined) {
    const slots = Math.max(1, Math.ceil((capacity * NODE_PROFILES.length) / nodes));
    for (let i = 0; i < nodes; i++) {
      await store.registerNode({
        id: `node_${String(i).padStart(4, '0')}`,
        name: `bench-${i}`,
        capabilities: [...NODE_PROFILES[i % NODE_PROFILES.length]!, `region-${['eu', 'us', 'ap'][i % 3]!}`],
        slots,
        resources: { cpuCount: 16, loadAvg1: 0.5, memTotalMb: 65536, memFreeMb: 32768 },
        version: 'bench',
        nowMs: clock.nowMs(),
      });
    }
  }
  return {
    deps,
    store,
    file,
    close: async (keepFile = false) => {
      await deps.bus.close();
      await raw.close();
      if (dir !== null && !keepFile) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Submit every request through the service, one at a time, in `chunks` consecutive timed chunks;
 * returns tasks per second of each chunk.
 */
async function submitAll(deps: HqDeps, requests: readonly TaskCreateParsed[], chunks = 1): Promise<number[]> {
  const rates: number[] = [];
  for (let c = 0; c < chunks; c++) {
    const from = Math.floor((c * requests.length) / chunks);
    const to = Math.floor(((c + 1) * requests.length) / chunks);
    const start = performance.now();
    for (let i = from; i < to; i++) await submitTask(deps, requests[i]!, 'bench');
    rates.push((to - from) / ((performance.now() - start) / 1000));
  }
  return rates;
}

/**
 * Where each run's queue comes from. `:memory:` cannot be copied, so every run submits its own
 * queue (one submit-rate sample per run). A database file is filled once and copied for each run
 * (the submit rate is then sampled over `runs` consecutive chunks of that one fill).
 */
class QueueSource {
  private template: Env | null = null;
  readonly submitRates: number[] = [];

  constructor(
    private readonly storage: DispatchStorage,
    private readonly nodes: number,
    private readonly requests: readonly TaskCreateParsed[],
    private readonly config: HqConfig,
    private readonly runs: number,
  ) {}

  /** A store holding the fleet and every request as a queued task. */
  async open(wrap?: (s: Store) => Store): Promise<Env> {
    const capacity = this.requests.length;
    if (this.storage === 'memory') {
      const env = await openEnv('memory', this.nodes, capacity, this.config, wrap === undefined ? {} : { wrap });
      this.submitRates.push(...(await submitAll(env.deps, this.requests)));
      return env;
    }
    if (this.template === null) {
      const env = await openEnv('file', this.nodes, capacity, this.config);
      this.submitRates.push(...(await submitAll(env.deps, this.requests, this.runs)));
      await env.close(true);
      this.template = env;
    }
    return openEnv('file', this.nodes, capacity, this.config, { template: this.template.file!, ...(wrap === undefined ? {} : { wrap }) });
  }

  dispose(): void {
    const file = this.template?.file;
    if (file !== undefined && file !== null) rmSync(dirname(file), { recursive: true, force: true });
    this.template = null;
  }
}

async function expectAllLeased(store: Store, tasks: number, what: string): Promise<void> {
  const counts = await store.countTasksByState();
  if (counts.queued !== 0 || counts.leased !== tasks) {
    throw new Error(`${what}: expected ${tasks} leased and none queued, got ${JSON.stringify(counts)}`);
  }
}

// ---- 1. throughput: batched passes ------------------------------------------------------------

interface DispatchRun {
  readonly ms: number;
  readonly passes: number;
  readonly passTimes: readonly number[];
}

/**
 * HQ's scheduling pass, repeated the way the scheduler loop repeats it without waiting for a
 * wake-up: again at once while a pass saw a full snapshot (`maxTasksPerPass`) and placed some.
 */
async function dispatchBatched(deps: HqDeps, tasks: number): Promise<DispatchRun> {
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

// ---- 2. the naive peer: one task per transaction -------------------------------------------

/** For each task: a snapshot of one queued task, plan it, commit that single placement. */
async function dispatchNaive(deps: HqDeps, tasks: number): Promise<number> {
  const { store, clock, config } = deps;
  let leased = 0;
  const start = performance.now();
  for (;;) {
    const snapshot = await store.loadSchedulerSnapshot({ maxTasks: 1, nowMs: clock.nowMs() });
    if (snapshot.tasks.length === 0) break;
    const now = clock.nowMs();
    const plan = schedule(snapshot, now);
    if (plan.placements.length === 0) throw new Error(`naive claim: task not placeable: ${JSON.stringify(plan.unplaced)}`);
    const commit = await store.commitPlan({ plan, nowMs: now, leaseTtlMs: config.leaseTtlMs });
    leased += commit.granted.length;
  }
  const ms = performance.now() - start;
  await expectAllLeased(store, tasks, 'naive claim loop');
  if (leased !== tasks) throw new Error(`naive claim loop leased ${leased} of ${tasks}`);
  return ms;
}

// ---- 3. latency with the scheduler loop running -----------------------------------------------

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

// ---- tables ---------------------------------------------------------------------------------

function formatTable(header: readonly string[], body: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: readonly string[]): string =>
    `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ')} |`;
  const rule = `|${widths.map((w, i) => (i === 0 ? '-'.repeat(w + 2) : `${'-'.repeat(w + 1)}:`)).join('|')}|`;
  return [line(header), rule, ...body.map(line)].join('\n');
}

const STORAGE_LABEL: Record<DispatchStorage, string> = { file: 'file (WAL)', memory: ':memory:' };
const int = (n: number): string => Math.round(n).toLocaleString('en-US');
const ms1 = (n: number): string => n.toFixed(1);

export function formatDispatchResult(result: DispatchBenchResult): string {
  const out: string[] = [];
  out.push(
    formatTable(
      ['storage', 'tasks', 'runs', 'submit tasks/s', 'leased tasks/s', 'dispatch ms', 'passes', 'pass p50 ms', 'pass p95 ms'],
      result.throughput.map((r) => [
        STORAGE_LABEL[r.storage],
        int(r.tasks),
        String(r.runs),
        int(r.submitPerSec),
        int(r.leasedPerSec),
        int(r.dispatchMs),
        String(r.passes),
        ms1(r.passMedianMs),
        ms1(r.passP95Ms),
      ]),
    ),
  );
  if (result.peer.length > 0) {
    out.push('');
    out.push(
      formatTable(
        ['storage', 'tasks', 'runs', 'batched tasks/s', 'one-per-tx tasks/s', 'batched / one-per-tx'],
        result.peer.map((r) => [
          STORAGE_LABEL[r.storage],
          int(r.tasks),
          String(r.runs),
          int(r.batchedPerSec),
          int(r.naivePerSec),
          `${r.ratio.toFixed(1)}x`,
        ]),
      ),
    );
  }
  if (result.latency.length > 0) {
    out.push('');
    out.push(
      formatTable(
        ['storage', 'tasks', 'runs', 'rate/s', 'p50 ms', 'p95 ms', 'p99 ms', 'max ms', 'passes/task', 'events p50', 'events p99'],
        result.latency.map((r) => [
          STORAGE_LABEL[r.storage],
          int(r.tasks),
          String(r.runs),
          int(r.ratePerSec),
          ms1(r.p50Ms),
          ms1(r.p95Ms),
          ms1(r.p99Ms),
          ms1(r.maxMs),
          r.passesPerTask.toFixed(2),
          String(r.eventsP50Ms),
          String(r.eventsP99Ms),
        ]),
      ),
    );
  }
  return out.join('\n');
}

// ---- the bench ----------------------------------------------------------------------------------

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

  const peer: PeerRow[] = [];
  if (peerTasks > 0) {
    for (const storage of storages) {
      const source = new QueueSource(storage, nodes, workload(peerTasks, rand), config, runs);
      const batched: number[] = [];
      const naive: number[] = [];
      try {
        for (let r = 0; r < runs; r++) {
          // Alternate which goes first so neither always runs on a warmer process.
          for (const which of r % 2 === 0 ? ['batched', 'naive'] : ['naive', 'batched']) {
            const env = await source.open();
            try {
              if (which === 'batched') batched.push(peerTasks / ((await dispatchBatched(env.deps, peerTasks)).ms / 1000));
              else naive.push(peerTasks / ((await dispatchNaive(env.deps, peerTasks)) / 1000));
            } finally {
              await env.close();
            }
          }
        }
      } finally {
        source.dispose();
      }
      const b = median(batched);
      const n = median(naive);
      peer.push({ storage, tasks: peerTasks, runs, batchedPerSec: b, naivePerSec: n, ratio: b / n });
    }
  }

  const latency: LatencyRow[] = [];
  if (latencyTasks > 0) {
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
  }

  const result: DispatchBenchResult = { nodes, throughput, peer, latency };
  if (print) {
    console.log(formatDispatchResult(result));
    for (const p of peer) {
      console.log(
        `\n${STORAGE_LABEL[p.storage]}, ${p.tasks} tasks: batched passes lease ${p.ratio.toFixed(1)}x as many tasks/s as one task per transaction`,
      );
    }
  }
  return result;
}

function argValue(args: readonly string[], flag: string): string | undefined {
  const i = args.indexOf(flag);
  return i >= 0 ? args[i + 1] : undefined;
}

function argNumber(args: readonly string[], flag: string): number | undefined {
  const v = argValue(args, flag);
  return v === undefined ? undefined : Number(v);
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
