/**
 * Scale-out benchmark on PostgreSQL (see bench/README.md and docs/benchmarks.md).
 *
 * 1. Dispatch: Cortical with 1, 2 and 4 HQ replicas (separate processes, one PostgreSQL schema,
 *    NATS wake-ups between them) against graphile-worker and pg-boss with 1, 2 and 4 worker
 *    processes on the same server. Per case a burst phase (N tasks submitted back to back by
 *    every instance at once) and a steady phase (M tasks at a fixed total rate), measuring
 *    submit → leased (Cortical) or enqueue → job started (peers), p50/p99, and picked tasks/s.
 *    Cortical's runs are checked: no task leased twice, no node over its slots, none lost; the
 *    bench exits non-zero otherwise.
 * 2. Heartbeats: one HQ (PostgreSQL + NATS, the REST API) with 2,000 and 500 simulated nodes
 *    heartbeating over HTTP from another process at HQ's interval: HQ CPU %, RSS, heartbeat
 *    latency.
 *
 *   npx tsx bench/pg-dispatch-bench.ts [--quick] [--tasks 2000] [--steady-tasks 1000] [--rate 200]
 *     [--replicas 1,2,4] [--runs 3] [--nodes 100] [--pool 5] [--no-peers]
 *     [--heartbeat-nodes 2000,500] [--seconds 60] [--no-heartbeat]
 *     [--pg postgres://postgres@127.0.0.1:5432/test] [--nats 127.0.0.1:4222]
 */
import { cpus, loadavg } from 'node:os';
import { pathToFileURL } from 'node:url';
import { argNumber, argValue } from './bench-args.js';
import { prng } from './bench-random.js';
import { median } from './bench-stats.js';
import { workload } from './dispatch/fleet-workload.js';
import { runDispatchCase, type CaseResult, type CaseSettings, type DispatchSystem, type PhaseSpec } from './pg-dispatch-case.js';
import { runHeartbeatCase, type HeartbeatResult } from './pg-heartbeat-case.js';

export interface PgDispatchBenchOptions {
  readonly pgUrl?: string;
  readonly natsUrl?: string;
  /** Tasks of the burst phase. */
  readonly tasks?: number;
  /** Tasks of the steady phase, submitted at `ratePerSec` in total. */
  readonly steadyTasks?: number;
  readonly ratePerSec?: number;
  readonly replicas?: readonly number[];
  readonly peers?: boolean;
  readonly runs?: number;
  /** Simulated fleet of the dispatch cases (registered through the store). */
  readonly nodes?: number;
  /** Connections per instance (HQ replica or peer worker). */
  readonly poolSize?: number;
  readonly heartbeatNodes?: readonly number[];
  readonly seconds?: number;
  readonly print?: boolean;
  readonly seed?: number;
}

export interface DispatchRow {
  readonly system: DispatchSystem;
  readonly instances: number;
  readonly phase: PhaseSpec['name'];
  readonly tasks: number;
  readonly runs: number;
  readonly submitPerSec: number;
  readonly pickedPerSec: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** Summed over the runs. */
  readonly lost: number;
  readonly duplicates: number;
  readonly retries: number;
}

export interface PgDispatchBenchResult {
  readonly dispatch: readonly DispatchRow[];
  readonly heartbeat: readonly HeartbeatResult[];
  /** Cortical correctness failures (tasks lost, leased twice, nodes over their slots). */
  readonly failures: readonly string[];
}

/** `--quick`: under a minute on the 2-core development machine. */
export const QUICK_OPTIONS: PgDispatchBenchOptions = { tasks: 150, steadyTasks: 50, ratePerSec: 100, runs: 1, heartbeatNodes: [300], seconds: 5 };

export async function runPgDispatchBench(opts: PgDispatchBenchOptions = {}): Promise<PgDispatchBenchResult> {
  const pgUrl = opts.pgUrl ?? process.env.CORTICAL_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
  const natsUrl = opts.natsUrl ?? process.env.CORTICAL_TEST_NATS_URL ?? '127.0.0.1:4222';
  const tasks = opts.tasks ?? 2000;
  const steadyTasks = opts.steadyTasks ?? 1000;
  const rate = opts.ratePerSec ?? 200;
  const replicas = opts.replicas ?? [1, 2, 4];
  const runs = Math.max(1, opts.runs ?? 3);
  const print = opts.print ?? true;
  const systems: DispatchSystem[] = opts.peers === false ? ['cortical'] : ['cortical', 'graphile-worker', 'pg-boss'];
  const settings: CaseSettings = {
    pgUrl,
    natsUrl,
    poolSize: opts.poolSize ?? 5,
    fleetNodes: opts.nodes ?? 100,
    // Leases and node liveness outlast the run: the fleet is simulated and never heartbeats, and a
    // lease expiring mid-run would re-lease its task (a second, legitimate lease).
    hqConfig: { leaseTtlMs: 600_000, nodeLostAfterMs: 600_000 },
    graphileConcurrency: 10,
    bossBatchSize: 100,
    bossPollingSeconds: 0.5,
    drainTimeoutMs: 60_000,
  };
  const phases: PhaseSpec[] = [
    { name: 'burst', count: tasks, ratePerSec: 0 },
    { name: 'steady', count: steadyTasks, ratePerSec: rate },
  ].filter((p) => p.count > 0) as PhaseSpec[];
  const requests = workload(tasks + steadyTasks, prng(opts.seed ?? 42));
  if (print) {
    const cpu = cpus();
    console.log(
      `pg-dispatch: ${cpu.length} cores (${cpu[0]?.model.trim() ?? '?'}), load ${loadavg().map((l) => l.toFixed(1)).join(' ')}; ` +
        `burst ${tasks}, steady ${steadyTasks} at ${rate}/s, instances ${replicas.join(',')}, ${runs} run(s), pool ${settings.poolSize}/instance\n`,
    );
  }

  const results: CaseResult[] = [];
  const failures: string[] = [];
  for (let run = 0; run < runs && phases.length > 0; run++) {
    for (const k of replicas) {
      // Rotate which system goes first, so none always runs on a machine warmed by the others.
      const order = systems.map((_, i) => systems[(i + run) % systems.length]!);
      for (const system of order) {
        const r = await runDispatchCase(settings, system, k, phases, requests);
        results.push(r);
        if (print) console.log(`  run ${run + 1}: ${system} × ${k}: ${r.phases.map((p) => `${p.phase} ${Math.round(p.pickedPerSec)}/s p50 ${p.p50Ms.toFixed(1)} ms`).join(', ')}`);
        if (system === 'cortical') {
          for (const p of r.phases) {
            if (p.lost > 0) failures.push(`${k} replica(s), ${p.phase}: ${p.lost} task(s) never leased`);
            if (p.duplicates > 0) failures.push(`${k} replica(s), ${p.phase}: ${p.duplicates} task(s) leased twice`);
          }
          for (const v of r.violations) failures.push(`${k} replica(s): ${v}`);
        }
      }
    }
  }

  const dispatch: DispatchRow[] = [];
  for (const system of phases.length > 0 ? systems : []) {
    for (const k of replicas) {
      const rs = results.filter((r) => r.system === system && r.instances === k);
      for (const phase of phases) {
        const ps = rs.map((r) => r.phases.find((p) => p.phase === phase.name)!);
        dispatch.push({
          system,
          instances: k,
          phase: phase.name,
          tasks: phase.count,
          runs: ps.length,
          submitPerSec: median(ps.map((p) => p.submitPerSec)),
          pickedPerSec: median(ps.map((p) => p.pickedPerSec)),
          p50Ms: median(ps.map((p) => p.p50Ms)),
          p99Ms: median(ps.map((p) => p.p99Ms)),
          lost: ps.reduce((a, p) => a + p.lost, 0),
          duplicates: ps.reduce((a, p) => a + p.duplicates, 0),
          retries: median(rs.map((r) => r.retries)),
        });
      }
    }
  }
  if (print && phases.length > 0) console.log(`\n${formatDispatchTable(dispatch, rate)}\n\n${formatRatios(dispatch, replicas)}\n`);

  const heartbeat: HeartbeatResult[] = [];
  for (const nodes of opts.heartbeatNodes ?? [2000, 500]) {
    const r = await runHeartbeatCase({ pgUrl, natsUrl, nodes, seconds: opts.seconds ?? 60 });
    heartbeat.push(r);
    if (print && r.firstError !== null) console.log(`  heartbeat ${nodes} nodes: ${r.errors} error(s), first: ${r.firstError}`);
  }
  if (print && heartbeat.length > 0) console.log(`${formatHeartbeatTable(heartbeat)}\n`);
  if (print) console.log(failures.length === 0 ? 'Cortical: no task lost, none leased twice, no node over its slots.' : `FAILED:\n- ${failures.join('\n- ')}`);
  return { dispatch, heartbeat, failures };
}

const f0 = (n: number): string => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '–');
const f1 = (n: number): string => (Number.isFinite(n) ? n.toFixed(1) : '–');

export function formatDispatchTable(rows: readonly DispatchRow[], rate: number): string {
  const out = [
    '| system | instances | phase | tasks | submit/s | picked/s | p50 ms | p99 ms | lost | twice | tx retries |',
    '|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const r of rows) {
    const phase = r.phase === 'burst' ? 'burst' : `steady ${rate}/s`;
    const retries = r.system === 'cortical' ? f0(r.retries) : '';
    out.push(`| ${r.system} | ${r.instances} | ${phase} | ${f0(r.tasks)} | ${f0(r.submitPerSec)} | ${f0(r.pickedPerSec)} | ${f1(r.p50Ms)} | ${f1(r.p99Ms)} | ${r.lost} | ${r.duplicates} | ${retries} |`);
  }
  return out.join('\n');
}

/** Burst throughput: each system against its own single instance, and Cortical against each peer. */
export function formatRatios(rows: readonly DispatchRow[], replicas: readonly number[]): string {
  const burst = (system: DispatchSystem, k: number): number => rows.find((r) => r.system === system && r.instances === k && r.phase === 'burst')?.pickedPerSec ?? Number.NaN;
  const systems = [...new Set(rows.map((r) => r.system))];
  const out = [`| burst picked/s | ${replicas.map((k) => `${k} inst.`).join(' | ')} | ${replicas.map((k) => `×${k} / ×1`).join(' | ')} |`, `|---|${replicas.map(() => '---:|').join('').repeat(2)}`];
  for (const s of systems) {
    out.push(`| ${s} | ${replicas.map((k) => f0(burst(s, k))).join(' | ')} | ${replicas.map((k) => `${(burst(s, k) / burst(s, replicas[0]!)).toFixed(2)}x`).join(' | ')} |`);
  }
  for (const peer of systems.filter((s) => s !== 'cortical')) {
    out.push(`| cortical / ${peer} | ${replicas.map((k) => `${(burst('cortical', k) / burst(peer, k)).toFixed(2)}x`).join(' | ')} | ${replicas.map(() => '').join(' | ')} |`);
  }
  return out.join('\n');
}

export function formatHeartbeatTable(rows: readonly HeartbeatResult[]): string {
  const out = [
    '| nodes | interval s | window s | offered/s | answered/s | p50 ms | p99 ms | errors | late | tx retries | HQ CPU % | HQ CPU ms / heartbeat | HQ RSS MB (end / max) | fleet CPU % | PostgreSQL CPU % | machine busy % | join s |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const r of rows) {
    out.push(
      `| ${f0(r.nodes)} | ${r.intervalMs / 1000} | ${r.seconds} | ${f0((r.nodes * 1000) / r.intervalMs)} | ${f0(r.heartbeatsPerSec)} | ${f1(r.p50Ms)} | ${f1(r.p99Ms)} | ${r.errors} | ${r.skipped} | ${f0(r.txRetries)} | ${f1(r.hqCpuPercent)} | ${f1((r.hqCpuPercent * 10) / r.heartbeatsPerSec)} | ${f0(r.hqRssMbEnd)} / ${f0(r.hqRssMbMax)} | ${f1(r.fleetCpuPercent)} | ${f1(r.postgresCpuPercent)} | ${f0(r.machineBusyPercent)} | ${f1(r.joinMs / 1000)} |`,
    );
  }
  return out.join('\n');
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = process.argv.slice(2);
  const list = (flag: string): number[] | undefined => argValue(args, flag)?.split(',').map(Number);
  const base = args.includes('--quick') ? QUICK_OPTIONS : {};
  const result = await runPgDispatchBench({
    ...base,
    pgUrl: argValue(args, '--pg'),
    natsUrl: argValue(args, '--nats'),
    ...defined({
      tasks: argNumber(args, '--tasks'),
      steadyTasks: argNumber(args, '--steady-tasks'),
      ratePerSec: argNumber(args, '--rate'),
      replicas: list('--replicas'),
      runs: argNumber(args, '--runs'),
      nodes: argNumber(args, '--nodes'),
      poolSize: argNumber(args, '--pool'),
      heartbeatNodes: args.includes('--no-heartbeat') ? [] : list('--heartbeat-nodes'),
      seconds: argNumber(args, '--seconds'),
    }),
    peers: !args.includes('--no-peers'),
  });
  process.exitCode = result.failures.length === 0 ? 0 : 1;
}

function defined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
