/**
 * Scheduler benchmark: one planning pass over a synthetic fleet and queue.
 *
 * The peer is a naive planner written here: rank the tasks the same way, then for each task scan
 * every node. Both run on the same smaller snapshot (where the naive one finishes in reasonable
 * time) and must produce the same plan; ours also runs at full size, once with a few capability
 * profiles and once with a host tag on every node (as many capability groups as nodes).
 *
 *   npx tsx bench/scheduler-bench.ts [--nodes 10000] [--tasks 100000] [--runs 7]
 */
import { pathToFileURL } from 'node:url';
import { performance } from 'node:perf_hooks';
import { rankTasks } from '../src/core/scheduler/ranking.js';
import { schedule } from '../src/core/scheduler/schedule.js';
import type {
  Placement,
  SchedulePlan,
  SchedulerNode,
  SchedulerSnapshot,
  SchedulerTask,
  Unplaced,
  UnplacedReason,
} from '../src/core/scheduler/scheduler-types.js';
import { UNPLACED_REASONS } from '../src/core/scheduler/scheduler-types.js';
import { argNumber } from './bench-args.js';
import { prng, pick } from './bench-random.js';
import { percentile } from './bench-stats.js';

export interface SchedulerBenchOptions {
  readonly nodes?: number;
  readonly tasks?: number;
  /** Size at which ours and the naive peer are compared. */
  readonly peerNodes?: number;
  readonly peerTasks?: number;
  /** Timed runs per case (after one warm-up run). */
  readonly runs?: number;
  readonly seed?: number;
  /** Print the table to stdout (default true). */
  readonly print?: boolean;
}

export interface SchedulerBenchRow {
  readonly name: string;
  readonly nodes: number;
  readonly tasks: number;
  readonly runs: number;
  readonly medianMs: number;
  readonly p95Ms: number;
  readonly placed: number;
  readonly unplaced: Readonly<Record<UnplacedReason, number>>;
}

export interface SchedulerBenchResult {
  readonly rows: readonly SchedulerBenchRow[];
  /** Naive median / ours median at the peer size. */
  readonly speedup: number;
  /** Whether both planners produced the same placements and reasons at the peer size. */
  readonly samePlan: boolean;
}

// ---- deterministic synthetic data -------------------------------------------------------

const NODE_PROFILES: readonly (readonly string[])[] = [
  ['linux', 'build'],
  ['linux', 'build', 'claude'],
  ['linux', 'build', 'codex'],
  ['linux', 'build', 'claude', 'codex'],
  ['linux', 'gpu'],
  ['linux', 'gpu', 'claude'],
  ['macos', 'build', 'claude', 'codex'],
  ['linux', 'claude', 'research'],
];
const REGIONS = ['eu', 'us', 'ap'] as const;
const TASK_REQUIRES: readonly (readonly string[])[] = [
  [],
  ['build'],
  ['claude'],
  ['codex'],
  ['claude', 'build'],
  ['codex', 'build'],
  ['gpu'],
  ['gpu', 'claude'],
  ['macos'],
  ['research', 'claude'],
  ['claude', 'region-eu'],
  ['gpu', 'region-us'],
  ['codex', 'gpu'], // no node has both
  ['tpu'], // no node has it
];

export function syntheticSnapshot(nodeCount: number, taskCount: number, seed: number): SchedulerSnapshot {
  const rand = prng(seed);
  const nodes: SchedulerNode[] = [];
  for (let i = 0; i < nodeCount; i++) {
    const slots = 1 + Math.floor(rand() * 8);
    const region = pick(rand, REGIONS);
    nodes.push({
      id: `node_${String(i).padStart(6, '0')}`,
      capabilities: [...pick(rand, NODE_PROFILES), `region-${region}`],
      slots,
      activeLeases: Math.floor(rand() * (slots + 1) * 0.6),
      schedulable: rand() > 0.05,
    });
  }
  const tasks: SchedulerTask[] = [];
  const t0 = 1_700_000_000_000;
  const now = t0 + taskCount * 10;
  for (let i = 0; i < taskCount; i++) {
    const r = rand();
    tasks.push({
      id: `task_${String(i).padStart(7, '0')}`,
      requires: pick(rand, TASK_REQUIRES),
      priority: r < 0.7 ? 0 : r < 0.9 ? 1 : r < 0.98 ? 5 : 10,
      createdAt: t0 + i * 10 + Math.floor(rand() * 50),
      notBefore: rand() < 0.03 ? now + 60_000 : 0,
    });
  }
  return { nodes, tasks, killSwitch: false };
}

/** The same snapshot with a host tag on every node: as many capability groups as nodes. */
export function withHostTags(snapshot: SchedulerSnapshot): SchedulerSnapshot {
  return { ...snapshot, nodes: snapshot.nodes.map((n) => ({ ...n, capabilities: [...n.capabilities, `host-${n.id}`] })) };
}

/** The `now` the synthetic snapshot was built for. */
export function syntheticNow(taskCount: number): number {
  return 1_700_000_000_000 + taskCount * 10;
}

// ---- the naive peer ------------------------------------------------------------------------

/** For each ranked task, scan every node for the least-loaded feasible one: O(tasks · nodes). */
export function naiveSchedule(snapshot: SchedulerSnapshot, nowMs: number): SchedulePlan {
  const ranked = rankTasks(snapshot.tasks);
  if (snapshot.killSwitch) {
    return { placements: [], unplaced: ranked.map((t) => ({ taskId: t.id, reason: 'killswitch', detail: null })) };
  }
  const nodes = snapshot.nodes;
  const caps = nodes.map((n) => new Set(n.capabilities));
  const used = nodes.map((n) => n.activeLeases);
  const placements: Placement[] = [];
  const unplaced: Unplaced[] = [];
  for (const task of ranked) {
    if (task.notBefore > nowMs) {
      unplaced.push({ taskId: task.id, reason: 'backoff', detail: null });
      continue;
    }
    let best = -1;
    let bestLoad = 0;
    let capable = false;
    for (let i = 0; i < nodes.length; i++) {
      const node = nodes[i]!;
      if (!node.schedulable) continue;
      const c = caps[i]!;
      if (!task.requires.every((r) => c.has(r))) continue;
      capable = true;
      const u = used[i]!;
      if (u >= node.slots) continue;
      const load = u / node.slots;
      if (best < 0 || load < bestLoad || (load === bestLoad && (u < used[best]! || (u === used[best]! && node.id < nodes[best]!.id)))) {
        best = i;
        bestLoad = load;
      }
    }
    if (best >= 0) {
      used[best] = used[best]! + 1;
      placements.push({ taskId: task.id, nodeId: nodes[best]!.id });
    } else {
      unplaced.push({ taskId: task.id, reason: capable ? 'no_free_slot' : 'no_capable_node', detail: null });
    }
  }
  return { placements, unplaced };
}

// ---- measuring -----------------------------------------------------------------------------

type Planner = (snapshot: SchedulerSnapshot, nowMs: number) => SchedulePlan;

function measure(name: string, planner: Planner, snapshot: SchedulerSnapshot, nowMs: number, runs: number): { row: SchedulerBenchRow; plan: SchedulePlan } {
  let plan = planner(snapshot, nowMs); // warm-up
  const times: number[] = [];
  for (let r = 0; r < runs; r++) {
    const start = performance.now();
    plan = planner(snapshot, nowMs);
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  const unplaced = Object.fromEntries(UNPLACED_REASONS.map((r) => [r, 0])) as Record<UnplacedReason, number>;
  for (const u of plan.unplaced) unplaced[u.reason] += 1;
  return {
    plan,
    row: {
      name,
      nodes: snapshot.nodes.length,
      tasks: snapshot.tasks.length,
      runs,
      medianMs: percentile(times, 50),
      p95Ms: percentile(times, 95),
      placed: plan.placements.length,
      unplaced,
    },
  };
}

function samePlan(a: SchedulePlan, b: SchedulePlan): boolean {
  if (a.placements.length !== b.placements.length || a.unplaced.length !== b.unplaced.length) return false;
  for (let i = 0; i < a.placements.length; i++) {
    const x = a.placements[i]!;
    const y = b.placements[i]!;
    if (x.taskId !== y.taskId || x.nodeId !== y.nodeId) return false;
  }
  for (let i = 0; i < a.unplaced.length; i++) {
    const x = a.unplaced[i]!;
    const y = b.unplaced[i]!;
    if (x.taskId !== y.taskId || x.reason !== y.reason) return false;
  }
  return true;
}

function formatTable(rows: readonly SchedulerBenchRow[]): string {
  const header = ['planner', 'nodes', 'tasks', 'runs', 'median ms', 'p95 ms', 'placed', ...UNPLACED_REASONS];
  const body = rows.map((r) => [
    r.name,
    String(r.nodes),
    String(r.tasks),
    String(r.runs),
    r.medianMs.toFixed(1),
    r.p95Ms.toFixed(1),
    String(r.placed),
    ...UNPLACED_REASONS.map((k) => String(r.unplaced[k])),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: readonly string[]): string =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n');
}

export function runSchedulerBench(opts: SchedulerBenchOptions = {}): SchedulerBenchResult {
  const nodes = opts.nodes ?? 10_000;
  const tasks = opts.tasks ?? 100_000;
  const peerNodes = opts.peerNodes ?? 1_000;
  const peerTasks = opts.peerTasks ?? 10_000;
  const runs = opts.runs ?? 7;
  const seed = opts.seed ?? 42;

  const big = syntheticSnapshot(nodes, tasks, seed);
  const small = syntheticSnapshot(peerNodes, peerTasks, seed);
  const ours = measure('schedule (grouped heaps)', schedule, big, syntheticNow(tasks), runs);
  const distinct = measure('schedule, 1 group per node', schedule, withHostTags(big), syntheticNow(tasks), runs);
  const oursSmall = measure('schedule (grouped heaps)', schedule, small, syntheticNow(peerTasks), runs);
  const naive = measure('naive scan (peer)', naiveSchedule, small, syntheticNow(peerTasks), runs);

  const rows = [ours.row, distinct.row, oursSmall.row, naive.row];
  const speedup = naive.row.medianMs / oursSmall.row.medianMs;
  const same = samePlan(oursSmall.plan, naive.plan);
  if (opts.print ?? true) {
    console.log(`scheduler: one planning pass (seed ${seed})\n`);
    console.log(formatTable(rows));
    console.log(
      `\nat ${peerNodes} nodes x ${peerTasks} tasks: naive / ours = ${speedup.toFixed(1)}x (median), same plan: ${same ? 'yes' : 'NO'}`,
    );
  }
  return { rows, speedup, samePlan: same };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = process.argv.slice(2);
  const result = runSchedulerBench({
    nodes: argNumber(args, '--nodes'),
    tasks: argNumber(args, '--tasks'),
    runs: argNumber(args, '--runs'),
  });
  if (!result.samePlan) process.exitCode = 1;
}
