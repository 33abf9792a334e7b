/**
 * HQ's resource use under a heartbeating fleet: one HQ process on PostgreSQL + NATS
 * (`pg-heartbeat-hq.ts`, a database of its own created for the case and dropped after it) and
 * the simulated nodes in another process (`pg-heartbeat-fleet.ts`) talking to HQ's REST API.
 * After the joins and a warm-up of two heartbeat intervals, HQ's CPU time (utime + stime from
 * /proc/<pid>/stat) and RSS (/proc/<pid>/status) are sampled over `seconds`.
 */
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { withAdmin } from '../src/adapters/store/postgres/postgres-test-db.js';
import { percentile } from './bench-stats.js';
import { sleep, spawnBenchChild, type BenchChild } from './pg-bench-ipc.js';
import type { FleetReport, FleetStart } from './pg-heartbeat-fleet.js';
import type { HeartbeatHqInfo, HeartbeatHqStart, HeartbeatHqStats } from './pg-heartbeat-hq.js';

/** Linux reports process times in clock ticks of 1/100 s (USER_HZ). */
const TICKS_PER_SEC = 100;

export interface HeartbeatSettings {
  readonly pgUrl: string;
  readonly natsUrl: string;
  readonly nodes: number;
  readonly seconds: number;
}

export interface HeartbeatResult {
  readonly nodes: number;
  readonly seconds: number;
  readonly intervalMs: number;
  readonly joinMs: number;
  /** Heartbeats answered per second over the window (expected: nodes / interval). */
  readonly heartbeatsPerSec: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly errors: number;
  readonly skipped: number;
  readonly firstError: string | null;
  /** HQ process CPU time over the window, % of one core. */
  readonly hqCpuPercent: number;
  /** The fleet process, for comparison (it shares the machine). */
  readonly fleetCpuPercent: number;
  /** Every `postgres` process on the machine (server-wide: other clients' queries count too), % of one core. */
  readonly postgresCpuPercent: number;
  /** The whole machine: busy share of all cores, %. */
  readonly machineBusyPercent: number;
  readonly hqRssMbEnd: number;
  readonly hqRssMbMax: number;
  /** HQ's store: transactions run again after a serialization failure, during the window. */
  readonly txRetries: number;
  /** HQ's error log lines during the window. */
  readonly hqErrors: number;
}

function cpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may contain spaces): state is field 3, utime 14, stime 15.
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(rest[11]) + Number(rest[12]);
}

/** CPU ticks of every process named `postgres` (a process that exits in between is skipped). */
function postgresTicks(): number {
  let sum = 0;
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      if (stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')) === 'postgres') sum += cpuTicks(Number(pid));
    } catch {
      // gone
    }
  }
  return sum;
}

/** [busy, total] ticks of all cores since boot. */
function machineTicks(): [number, number] {
  const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const total = cpu.reduce((a, b) => a + b, 0);
  const idle = (cpu[3] ?? 0) + (cpu[4] ?? 0);
  return [total - idle, total];
}

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m === null ? Number.NaN : Number(m[1]) / 1024;
}

function databaseUrl(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

export async function runHeartbeatCase(s: HeartbeatSettings): Promise<HeartbeatResult> {
  const id = randomBytes(4).toString('hex');
  const database = `cortical_bench_hb_${id}`;
  const streamName = `CORTICAL_BENCH_HB_${id.toUpperCase()}`;
  await withAdmin((c) => c.query(`create database ${database}`), s.pgUrl);
  let hq: BenchChild | null = null;
  let fleet: BenchChild | null = null;
  try {
    hq = spawnBenchChild('./pg-heartbeat-hq.ts');
    const info = await hq.request<HeartbeatHqInfo>('start', {
      pgUrl: databaseUrl(s.pgUrl, database),
      natsUrl: s.natsUrl,
      subjectPrefix: `cortical-bench-hb.${id}`,
      streamName,
    } satisfies HeartbeatHqStart);
    fleet = spawnBenchChild('./pg-heartbeat-fleet.ts');
    const joined = await fleet.request<{ joined: number; joinMs: number }>('start', {
      url: info.url,
      joinToken: info.joinToken,
      nodes: s.nodes,
      intervalMs: info.heartbeatIntervalMs,
      joinConcurrency: 8,
    } satisfies FleetStart);
    await sleep(2 * info.heartbeatIntervalMs);

    const t0 = performance.now();
    const hq0 = cpuTicks(info.pid);
    const fleet0 = cpuTicks(fleet.pid);
    const pg0 = postgresTicks();
    const machine0 = machineTicks();
    const stats0 = await hq.request<HeartbeatHqStats>('stats');
    await fleet.request('mark');
    let rssMax = 0;
    const end = t0 + s.seconds * 1000;
    while (performance.now() < end) {
      rssMax = Math.max(rssMax, rssMb(info.pid));
      await sleep(Math.min(1000, Math.max(0, end - performance.now())));
    }
    const report = await fleet.request<FleetReport>('report');
    const stats1 = await hq.request<HeartbeatHqStats>('stats');
    const wallSec = (performance.now() - t0) / 1000;
    const hqCpu = (cpuTicks(info.pid) - hq0) / TICKS_PER_SEC / wallSec;
    const fleetCpu = (cpuTicks(fleet.pid) - fleet0) / TICKS_PER_SEC / wallSec;
    const pgCpu = (postgresTicks() - pg0) / TICKS_PER_SEC / wallSec;
    const machine1 = machineTicks();
    const rssEnd = rssMb(info.pid);
    const lat = [...report.latenciesMs].sort((a, b) => a - b);
    return {
      nodes: joined.joined,
      seconds: s.seconds,
      intervalMs: info.heartbeatIntervalMs,
      joinMs: joined.joinMs,
      heartbeatsPerSec: lat.length / wallSec,
      p50Ms: percentile(lat, 50),
      p99Ms: percentile(lat, 99),
      errors: report.errors,
      skipped: report.skipped,
      firstError: report.firstError,
      hqCpuPercent: hqCpu * 100,
      fleetCpuPercent: fleetCpu * 100,
      postgresCpuPercent: pgCpu * 100,
      machineBusyPercent: ((machine1[0] - machine0[0]) / Math.max(1, machine1[1] - machine0[1])) * 100,
      hqRssMbEnd: rssEnd,
      hqRssMbMax: Math.max(rssMax, rssEnd),
      txRetries: stats1.txRetries - stats0.txRetries,
      hqErrors: stats1.errors - stats0.errors,
    };
  } finally {
    await fleet?.stop();
    await hq?.stop();
    await withAdmin((c) => c.query(`drop database if exists ${database} with (force)`), s.pgUrl).catch((e: unknown) => console.error(`could not drop ${database}: ${String(e)}`));
    await deleteStream(s.natsUrl, streamName);
  }
}

async function deleteStream(natsUrl: string, name: string): Promise<void> {
  const nc = await connect({ servers: natsUrl, timeout: 3_000 });
  try {
    const jsm = await jetstreamManager(nc);
    // The event stream and the relay's cursor bucket (a KV bucket is the stream `KV_<bucket>`).
    for (const stream of [name, `KV_${name}_RELAY`]) await jsm.streams.delete(stream).catch(() => false);
  } finally {
    await nc.close();
  }
}
