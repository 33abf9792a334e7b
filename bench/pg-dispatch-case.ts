/**
 * One case of the PostgreSQL dispatch bench: a system (Cortical HQ, graphile-worker or pg-boss)
 * with `instances` processes on the same PostgreSQL server, a burst phase and a steady-rate
 * phase, and the checks that nothing was lost or handed out twice.
 *
 * - Cortical: `instances` HQ replicas (`pg-hq-replica.ts`), one schema for all of them, a fleet
 *   registered through the store. Submits go through the replicas' submit-task service, spread
 *   round-robin; "picked" is the return of the `commitPlan` that leased the task.
 * - Peers: `instances` worker processes (`pg-peer-worker.ts`), one schema per library; jobs are
 *   enqueued through the library's API by the same processes, round-robin; "picked" is the start
 *   of the job's handler.
 */
import { randomBytes } from 'node:crypto';
import { Logger, runMigrations } from 'graphile-worker';
import PgBoss from 'pg-boss';
import { PostgresStore } from '../src/adapters/store/postgres/postgres-store.js';
import { dropSchemas } from '../src/adapters/store/postgres/postgres-test-db.js';
import type { TaskCreateParsed } from '../src/contract/task-schemas.js';
import type { HqConfig } from '../src/services/hq/hq-config.js';
import { percentile } from './bench-stats.js';
import { NODE_PROFILES } from './dispatch/fleet-workload.js';
import { sleep, spawnBenchChild, wallMs, type BenchChild } from './pg-bench-ipc.js';
import type { LeaseStamp, ReplicaReport, ReplicaStart, Stamp, SubmitRequest } from './pg-hq-replica.js';
import { PEER_QUEUE, type EnqueueRequest, type PeerLib, type PeerStart } from './pg-peer-worker.js';

export type DispatchSystem = 'cortical' | PeerLib;

export interface CaseSettings {
  readonly pgUrl: string;
  readonly natsUrl: string;
  /** Connections per instance (every system). */
  readonly poolSize: number;
  readonly fleetNodes: number;
  readonly hqConfig: Partial<HqConfig>;
  readonly graphileConcurrency: number;
  readonly bossBatchSize: number;
  readonly bossPollingSeconds: number;
  /** How long to wait for the last task to be picked after the last submit. */
  readonly drainTimeoutMs: number;
}

export interface PhaseSpec {
  readonly name: 'burst' | 'steady';
  readonly count: number;
  /** Total submits per second over all instances; 0: each instance submits back to back. */
  readonly ratePerSec: number;
}

export interface PhaseResult {
  readonly phase: PhaseSpec['name'];
  readonly count: number;
  readonly submitPerSec: number;
  /** Tasks picked per second, from the first submit to the last pick. */
  readonly pickedPerSec: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** Submitted, never picked within the drain timeout. */
  readonly lost: number;
  /** Picked more than once. */
  readonly duplicates: number;
}

export interface CaseResult {
  readonly system: DispatchSystem;
  readonly instances: number;
  readonly phases: readonly PhaseResult[];
  /** Cortical only: store-level check failures (tasks leased twice, nodes over their slots, missing events). */
  readonly violations: readonly string[];
  /** Cortical only: serialization retries over all replicas. */
  readonly retries: number;
}

interface Driver {
  readonly children: readonly BenchChild[];
  /** Instance `j` submits its share of the phase's items; answers [key, submitted at]. */
  submit(j: number, items: readonly number[], phase: PhaseSpec, startAtMs: number, intervalMs: number): Promise<Stamp[]>;
  /** Picks since the last poll, from every instance. */
  poll(): Promise<(Stamp | LeaseStamp)[]>;
  /** Checks after the phases (store state); returns violations. */
  check(submitted: number): Promise<string[]>;
  retries(): Promise<number>;
  close(): Promise<void>;
}

const rid = (): string => randomBytes(4).toString('hex');

/**
 * The SQLite dispatch bench's capability profiles, with `codex` added to the GPU profile: a task's
 * agent is a requirement, and the shared workload has GPU tasks for codex, which would otherwise
 * fit no node and stay queued.
 */
const PROFILES: readonly (readonly string[])[] = NODE_PROFILES.map((p) => (p.includes('gpu') && !p.includes('codex') ? [...p, 'codex'] : p));

async function startChildren<T>(script: string, n: number, body: (j: number) => T): Promise<BenchChild[]> {
  const children = Array.from({ length: n }, () => spawnBenchChild(script));
  try {
    await Promise.all(children.map((c, j) => c.request('start', body(j))));
  } catch (e) {
    await Promise.all(children.map((c) => c.stop(2_000)));
    throw e;
  }
  return children;
}

async function corticalDriver(s: CaseSettings, instances: number, requests: readonly TaskCreateParsed[]): Promise<Driver> {
  const schema = `bench_hq_${Date.now().toString(36)}_${rid()}`;
  const admin = await PostgresStore.create(s.pgUrl, { schema, poolSize: 2, applicationName: 'cortical-bench-admin' });
  const slots = Math.max(1, Math.ceil((requests.length * PROFILES.length) / s.fleetNodes));
  const nodeSlots = new Map<string, number>();
  for (let i = 0; i < s.fleetNodes; i++) {
    const id = `node_${String(i).padStart(4, '0')}`;
    await admin.registerNode({
      id,
      name: `bench-${i}`,
      capabilities: [...PROFILES[i % PROFILES.length]!, `region-${['eu', 'us', 'ap'][i % 3]!}`],
      slots,
      resources: { cpuCount: 16, loadAvg1: 0.5, memTotalMb: 65536, memFreeMb: 32768 },
      version: 'bench',
      nowMs: Date.now(),
    });
    nodeSlots.set(id, slots);
  }
  const subjectPrefix = `cortical-bench.${rid()}`;
  let children: BenchChild[] = [];
  try {
    children = await startChildren('./pg-hq-replica.ts', instances, (index): ReplicaStart => ({
      index,
      pgUrl: s.pgUrl,
      schema,
      poolSize: s.poolSize,
      natsUrl: s.natsUrl,
      subjectPrefix,
      config: s.hqConfig,
    }));
  } catch (e) {
    await admin.close();
    await dropSchemas([schema]);
    throw e;
  }
  let retries = 0;
  return {
    children,
    submit: (j, items, _phase, startAtMs, intervalMs) =>
      children[j]!.request<Stamp[]>('submit', { requests: items.map((i) => requests[i]!), startAtMs, intervalMs } satisfies SubmitRequest),
    async poll() {
      const reports = await Promise.all(children.map((c) => c.request<ReplicaReport>('report')));
      retries = reports.reduce((a, r) => a + r.retries, 0);
      return reports.flatMap((r) => r.leased);
    },
    async check(submitted) {
      const v: string[] = [];
      const counts = await admin.countTasksByState();
      if (counts.queued !== 0 || counts.leased !== submitted) v.push(`task states ${JSON.stringify(counts)}, expected ${submitted} leased`);
      for (const [id, max] of nodeSlots) {
        const leases = await admin.listNodeLeases(id);
        if (leases.length > max) v.push(`node ${id}: ${leases.length} leases on ${max} slots`);
        const node = await admin.getNode(id);
        if (node !== null && node.activeLeases > max) v.push(`node ${id}: activeLeases ${node.activeLeases} > ${max} slots`);
        for (const t of leases) if (t.attempts !== 1 || t.fencingToken !== 1) v.push(`task ${t.id}: attempts ${t.attempts}, fencing token ${t.fencingToken}`);
      }
      let leasedEvents = 0;
      for (let after = 0; ; ) {
        const events = await admin.readEvents({ afterSeq: after, limit: 1000, types: ['task.leased'] });
        if (events.length === 0) break;
        leasedEvents += events.length;
        after = events[events.length - 1]!.seq;
      }
      if (leasedEvents !== submitted) v.push(`${leasedEvents} task.leased events for ${submitted} tasks`);
      return v;
    },
    retries: () => Promise.resolve(retries),
    async close() {
      await Promise.all(children.map((c) => c.stop()));
      await admin.close();
      await dropSchemas([schema]);
    },
  };
}

async function peerDriver(s: CaseSettings, lib: PeerLib, instances: number): Promise<Driver> {
  const schema = `bench_${lib === 'pg-boss' ? 'pgb' : 'gw'}_${Date.now().toString(36)}_${rid()}`;
  if (lib === 'graphile-worker') {
    await runMigrations({ connectionString: s.pgUrl, schema, logger: new Logger(() => () => undefined) });
  } else {
    const boss = new PgBoss({ connectionString: s.pgUrl, schema, max: 2, schedule: false, supervise: false });
    boss.on('error', (e) => console.error(`pg-boss setup: ${e.message}`));
    await boss.start();
    await boss.createQueue(PEER_QUEUE);
    await boss.stop({ graceful: false, wait: true });
  }
  let children: BenchChild[];
  try {
    children = await startChildren('./pg-peer-worker.ts', instances, (index): PeerStart => ({
      lib,
      index,
      pgUrl: s.pgUrl,
      schema,
      poolSize: s.poolSize,
      concurrency: s.graphileConcurrency,
      batchSize: s.bossBatchSize,
      pollingIntervalSeconds: s.bossPollingSeconds,
    }));
  } catch (e) {
    await dropSchemas([schema]);
    throw e;
  }
  return {
    children,
    submit: (j, items, phase, startAtMs, intervalMs) =>
      children[j]!.request<Stamp[]>('enqueue', { keys: items.map((i) => `${phase.name}-${i}`), startAtMs, intervalMs } satisfies EnqueueRequest),
    async poll() {
      const reports = await Promise.all(children.map((c) => c.request<{ started: Stamp[] }>('report')));
      return reports.flatMap((r) => r.started);
    },
    check: () => Promise.resolve([]),
    retries: () => Promise.resolve(0),
    async close() {
      await Promise.all(children.map((c) => c.stop()));
      await dropSchemas([schema]);
    },
  };
}

async function runPhase(d: Driver, phase: PhaseSpec, picks: Map<string, number[]>, drainTimeoutMs: number): Promise<PhaseResult> {
  const k = d.children.length;
  const startAt = wallMs() + 200;
  const gapMs = phase.ratePerSec > 0 ? 1000 / phase.ratePerSec : 0;
  const shares = Array.from({ length: k }, (_, j) => Array.from({ length: phase.count }, (_, i) => i).filter((i) => i % k === j));
  const submitted = (await Promise.all(shares.map((items, j) => d.submit(j, items, phase, startAt + j * gapMs, gapMs * k)))).flat();
  const record = (stamps: readonly (Stamp | LeaseStamp)[]): void => {
    for (const st of stamps) {
      const list = picks.get(st[0]);
      if (list === undefined) picks.set(st[0], [st[1]]);
      else list.push(st[1]);
    }
  };
  const deadline = wallMs() + drainTimeoutMs;
  for (;;) {
    record(await d.poll());
    if (submitted.every(([key]) => picks.has(key)) || wallMs() > deadline) break;
    await sleep(25);
  }
  await sleep(50);
  record(await d.poll());
  const latencies: number[] = [];
  let lost = 0;
  let duplicates = 0;
  let lastPick = 0;
  for (const [key, at] of submitted) {
    const p = picks.get(key);
    if (p === undefined) {
      lost += 1;
      continue;
    }
    if (p.length > 1) duplicates += 1;
    latencies.push(p[0]! - at);
    lastPick = Math.max(lastPick, ...p);
  }
  latencies.sort((a, b) => a - b);
  const firstSubmit = Math.min(...submitted.map((x) => x[1]));
  const lastSubmit = Math.max(...submitted.map((x) => x[1]));
  return {
    phase: phase.name,
    count: submitted.length,
    submitPerSec: submitted.length / Math.max(0.001, (lastSubmit - firstSubmit) / 1000),
    pickedPerSec: (submitted.length - lost) / Math.max(0.001, (lastPick - firstSubmit) / 1000),
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    lost,
    duplicates,
  };
}

/** Run one case: start the instances, the phases in order, the checks; clean up always. */
export async function runDispatchCase(
  s: CaseSettings,
  system: DispatchSystem,
  instances: number,
  phases: readonly PhaseSpec[],
  requests: readonly TaskCreateParsed[],
): Promise<CaseResult> {
  const driver = system === 'cortical' ? await corticalDriver(s, instances, requests) : await peerDriver(s, system, instances);
  try {
    const picks = new Map<string, number[]>();
    const results: PhaseResult[] = [];
    let offset = 0;
    for (const phase of phases) {
      // Cortical's requests are one list; each phase takes the next `count` of them.
      const shifted: Driver =
        system === 'cortical'
          ? { ...driver, submit: (j, items, p, at, iv) => driver.submit(j, items.map((i) => i + offset), p, at, iv) }
          : driver;
      results.push(await runPhase(shifted, phase, picks, s.drainTimeoutMs));
      offset += phase.count;
    }
    const violations = await driver.check(offset);
    return { system, instances, phases: results, violations, retries: await driver.retries() };
  } finally {
    await driver.close();
  }
}
