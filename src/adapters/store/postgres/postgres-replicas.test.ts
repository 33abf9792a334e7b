import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { utcDay } from '../../../core/budgets.js';
import type { CorticalError } from '../../../core/errors.js';
import type { CommitResult } from '../../../core/ports/store.js';
import type { Task } from '../../../core/task.js';
import { makeSpec, nodeRegistration } from '../contract/contract-fixtures.js';
import { PostgresStore } from './postgres-store.js';
import { dropSchemas, postgresReachable, TEST_PG_DISPLAY, TEST_PG_URL, uniqueSchema } from './postgres-test-db.js';

const reachable = await postgresReachable();
const REPLICAS = 4;
const T0 = 1_790_000_000_000;
const TTL_MS = 30_000;

/** Several HQ replicas: one PostgresStore each, all on one database (one schema). */
describe.runIf(reachable)('PostgresStore: several replicas on one database', () => {
  let schema: string;
  let replicas: PostgresStore[];
  let retries: number;

  beforeEach(async () => {
    schema = uniqueSchema('replicas');
    retries = 0;
    replicas = Array.from({ length: REPLICAS }, () =>
      PostgresStore.open(TEST_PG_URL, { schema, poolSize: 3, onRetry: () => (retries += 1) }),
    );
    // replicas starting together all migrate
    await Promise.all(replicas.map((r) => r.migrate()));
  });

  afterEach(async () => {
    await Promise.all(replicas.map((r) => r.close()));
    await dropSchemas([schema]);
  });

  const first = (): PostgresStore => replicas[0] as PostgresStore;

  async function addNode(id: string, slots: number): Promise<void> {
    await first().registerNode({ ...nodeRegistration({ name: id, slots }), id, nowMs: T0 });
  }

  async function addTasks(prefix: string, n: number, project = 'default'): Promise<string[]> {
    const ids = Array.from({ length: n }, (_, i) => `${prefix}_${String(i).padStart(2, '0')}`);
    for (const id of ids) await first().createTask({ id, spec: makeSpec({ project }), nowMs: T0, actor: 'tester' });
    return ids;
  }

  function leasedTasks(all: readonly Task[]): Task[] {
    return all.filter((t) => t.state === 'leased');
  }

  async function allTasks(): Promise<Task[]> {
    return (await first().listTasks({ limit: 500 })).items as Task[];
  }

  /** Every placement a replica sent is answered exactly once, granted or rejected. */
  function expectAnswered(placements: readonly { taskId: string; nodeId: string }[], result: CommitResult): void {
    const answered = [...result.granted.map((t) => `${t.id}@${t.nodeId}`), ...result.rejected.map((r) => `${r.taskId}@${r.nodeId}`)];
    expect(answered.sort()).toEqual(placements.map((p) => `${p.taskId}@${p.nodeId}`).sort());
  }

  it('commitPlan of the same queued tasks from every replica: no task leased twice, no node over its slots', async () => {
    await addNode('n1', 2);
    await addNode('n2', 3);
    const ids = await addTasks('same', 12);
    const plans = replicas.map((_, r) => ids.map((taskId, i) => ({ taskId, nodeId: (i + r) % 2 === 0 ? 'n1' : 'n2' })));
    const results = await Promise.all(
      replicas.map((store, r) => store.commitPlan({ plan: { placements: plans[r] ?? [], unplaced: [] }, nowMs: T0 + 1, leaseTtlMs: TTL_MS })),
    );

    results.forEach((result, r) => expectAnswered(plans[r] ?? [], result));
    const granted = results.flatMap((r) => r.granted.map((t) => t.id));
    expect(new Set(granted).size).toBe(granted.length);
    expect(granted).toHaveLength(5);
    const rejectedWhy = new Set(results.flatMap((r) => r.rejected.map((x) => x.why)));
    expect([...rejectedWhy].every((w) => w === 'task_not_queued' || w === 'no_free_slot')).toBe(true);

    const leased = leasedTasks(await allTasks());
    expect(leased.map((t) => t.id).sort()).toEqual([...granted].sort());
    for (const t of leased) expect({ attempts: t.attempts, fencingToken: t.fencingToken }).toEqual({ attempts: 1, fencingToken: 1 });
    expect((await first().getNode('n1'))?.activeLeases).toBe(2);
    expect((await first().getNode('n2'))?.activeLeases).toBe(3);
    expect(await first().readEvents({ afterSeq: 0, limit: 1_000, types: ['task.leased'] })).toHaveLength(5);
  });

  it('commitPlan of different tasks onto one node from every replica: the slots are never overbooked', async () => {
    await addNode('shared', 4);
    const plans = await Promise.all(
      replicas.map(async (_, r) => (await addTasks(`r${r}`, 3)).map((taskId) => ({ taskId, nodeId: 'shared' }))),
    );
    const results = await Promise.all(
      replicas.map((store, r) => store.commitPlan({ plan: { placements: plans[r] ?? [], unplaced: [] }, nowMs: T0 + 1, leaseTtlMs: TTL_MS })),
    );
    results.forEach((result, r) => expectAnswered(plans[r] ?? [], result));
    expect(results.flatMap((r) => r.granted)).toHaveLength(4);
    expect(results.flatMap((r) => r.rejected).every((x) => x.why === 'no_free_slot')).toBe(true);
    expect((await first().getNode('shared'))?.activeLeases).toBe(4);
    expect(leasedTasks(await allTasks())).toHaveLength(4);
  });

  it('reapExpired from every replica at once requeues each expired lease once and loses each silent node once', async () => {
    await addNode('n1', 8);
    const ids = await addTasks('reap', 8);
    const committed = await first().commitPlan({ plan: { placements: ids.map((taskId) => ({ taskId, nodeId: 'n1' })), unplaced: [] }, nowMs: T0 + 1, leaseTtlMs: TTL_MS });
    expect(committed.granted).toHaveLength(8);

    const nowMs = T0 + TTL_MS + 10_000;
    const results = await Promise.all(replicas.map((store) => store.reapExpired({ nowMs, nodeLostAfterMs: 5_000, limit: 100 })));
    const requeued = results.flatMap((r) => r.requeued);
    expect([...requeued].sort()).toEqual([...ids].sort());
    expect(results.flatMap((r) => [...r.failed, ...r.cancelled])).toEqual([]);
    expect(results.flatMap((r) => r.nodesLost)).toEqual(['n1']);
    expect(await first().readEvents({ afterSeq: 0, limit: 1_000, types: ['lease.expired'] })).toHaveLength(8);
    expect(await first().readEvents({ afterSeq: 0, limit: 1_000, types: ['node.lost'] })).toHaveLength(1);
    for (const t of await allTasks()) expect({ state: t.state, attempts: t.attempts }).toEqual({ state: 'queued', attempts: 1 });
  });

  it('heartbeats from every replica at once never abort each other; one racing the reaper leaves the node ready with matching events', async () => {
    const nodes = Array.from({ length: 40 }, (_, i) => `hb_${String(i).padStart(2, '0')}`);
    for (const id of nodes) await addNode(id, 1);
    const resources = { cpuCount: 2, loadAvg1: 0.5, memTotalMb: 1024, memFreeMb: 512 };
    for (let round = 1; round <= 5; round++) {
      await Promise.all(nodes.map((nodeId, i) => (replicas[i % REPLICAS] as PostgresStore).heartbeatNode({ nodeId, nowMs: T0 + round * 1000, resources })));
    }
    // heartbeats and command fetches are node-scoped (READ COMMITTED, row lock): no retries
    expect(retries).toBe(0);
    // every node silent for long enough, then the reaper (on every replica) races one more beat per node
    const late = T0 + 60_000;
    await Promise.all([
      ...replicas.map((store) => store.reapExpired({ nowMs: late, nodeLostAfterMs: 5_000, limit: 100 })),
      ...nodes.map((nodeId, i) => (replicas[i % REPLICAS] as PostgresStore).heartbeatNode({ nodeId, nowMs: late, resources })),
    ]);
    for (const nodeId of nodes) {
      const node = await first().getNode(nodeId);
      const events = (await first().readEvents({ afterSeq: 0, limit: 1000, types: ['node.lost', 'node.recovered'] })).filter((e) => e.nodeId === nodeId);
      const lost = events.filter((e) => e.type === 'node.lost').length;
      const recovered = events.filter((e) => e.type === 'node.recovered').length;
      // a heartbeat at `late` is the newest word: the node is ready, and was lost at most once
      // (then recovered by that heartbeat), never left lost
      expect(node?.liveness).toBe('ready');
      expect(lost).toBeLessThanOrEqual(1);
      expect(recovered).toBe(lost);
    }
  });

  it('a single-use join token consumed from every replica at once is accepted exactly once', async () => {
    await first().createToken({
      id: 'tok_join',
      kind: 'join',
      role: 'node',
      secretHash: 'hash',
      nodeId: null,
      label: null,
      nowMs: T0,
      expiresAt: null,
      singleUse: true,
      actor: 'tester',
    });
    const contenders = [...replicas, ...replicas];
    const results = await Promise.allSettled(contenders.map((store) => store.consumeJoinToken({ id: 'tok_join', secretHash: 'hash', nowMs: T0 + 1 })));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of results) {
      if (r.status === 'rejected') expect((r.reason as CorticalError).code).toBe('JOIN_TOKEN_INVALID');
    }
    expect((await first().getToken('tok_join'))?.usedAt).toBe(T0 + 1);
  });

  it('progress reports with usage from every replica at once (each sent twice) are rolled up once', async () => {
    await addNode('n1', 1);
    const [taskId] = await addTasks('usage', 1, 'web');
    const committed = await first().commitPlan({ plan: { placements: [{ taskId: taskId ?? '', nodeId: 'n1' }], unplaced: [] }, nowMs: T0 + 1, leaseTtlMs: 10 * 60_000 });
    const leased = committed.granted[0] as Task;
    const claim = { taskId: leased.id, nodeId: 'n1', fencingToken: leased.fencingToken };
    await first().startAttempt({ claim, nowMs: T0 + 2, workspacePath: '/w' });

    // waves of reports, cumulative usage growing; each report goes to two replicas at once
    // (a node retrying through another replica), so eight writers race on one task per wave
    const REPORTS = 16;
    const PER_WAVE = 4;
    for (let wave = 0; wave < REPORTS / PER_WAVE; wave++) {
      const calls = Array.from({ length: PER_WAVE * 2 }, (_, i) => {
        const k = wave * PER_WAVE + (i % PER_WAVE) + 1;
        const store = replicas[i % REPLICAS] as PostgresStore;
        return store.reportProgress({
          claim,
          nowMs: T0 + 10 + k,
          iterations: [{ iteration: k, kind: 'finished', at: T0 + k, data: {} }],
          logs: [{ attempt: 1, iteration: k, stream: 'stdout', at: T0 + k, text: `line ${k}` }],
          usage: { iterations: k, tokensIn: 100 * k, tokensOut: 10 * k, usd: 0.25 * k },
        });
      });
      await Promise.all(calls);
    }

    const task = await first().getTask(leased.id);
    expect(task?.usage).toEqual({ iterations: REPORTS, tokensIn: 100 * REPORTS, tokensOut: 10 * REPORTS, usd: 0.25 * REPORTS });
    expect((await first().spendOn(utcDay(T0 + 10))).get('web')).toEqual({ usd: 0.25 * REPORTS, tokens: 110 * REPORTS });
    expect(await first().usageReport({ by: 'node', days: 1, nowMs: T0 + 100, limit: 10, offset: 0 })).toEqual([
      { key: 'n1', tokensIn: 100 * REPORTS, tokensOut: 10 * REPORTS, usd: 0.25 * REPORTS },
    ]);
    expect(await first().readEvents({ afterSeq: 0, limit: 1_000, taskId: leased.id, types: ['iteration.finished'] })).toHaveLength(REPORTS);
    // every report that committed wrote its line once; transactions run again left none behind
    const lines = await first().readLogs({ taskId: leased.id, afterSeq: 0, limit: 1_000 });
    expect(lines).toHaveLength(REPORTS * 2);
    for (let k = 1; k <= REPORTS; k++) expect(lines.filter((l) => l.text === `line ${k}`)).toHaveLength(2);
  });

  it('a reader following the event log by seq while every replica writes misses no event', async () => {
    const PER_REPLICA = 40;
    const seen: number[] = [];
    let writing = true;
    const follow = (async () => {
      let after = 0;
      for (;;) {
        const done = !writing;
        const batch = await first().readEvents({ afterSeq: after, limit: 1_000 });
        for (const e of batch) seen.push(e.seq);
        after = batch.at(-1)?.seq ?? after;
        if (done && batch.length === 0) return;
      }
    })();
    await Promise.all(
      replicas.map(async (store, r) => {
        for (let i = 0; i < PER_REPLICA; i++) {
          await store.appendEvents({ events: [{ type: 'node.lost', taskId: null, nodeId: `r${r}`, data: { i } }], nowMs: T0 + i });
        }
      }),
    );
    writing = false;
    await follow;
    const all = (await first().readEvents({ afterSeq: 0, limit: 10_000 })).map((e) => e.seq);
    expect(all).toHaveLength(REPLICAS * PER_REPLICA);
    expect(seen).toEqual(all);
  });

  it('retries are bounded and reported: contention shows up as retries, not as errors', async () => {
    await addNode('n1', 50);
    const ids = await addTasks('contend', 20);
    await Promise.all(
      replicas.map((store) =>
        store.commitPlan({ plan: { placements: ids.map((taskId) => ({ taskId, nodeId: 'n1' })), unplaced: [] }, nowMs: T0 + 1, leaseTtlMs: TTL_MS }),
      ),
    );
    expect(leasedTasks(await allTasks())).toHaveLength(20);
    // four replicas writing the same rows at once: PostgreSQL aborted some and they ran again
    expect(retries).toBeGreaterThan(0);
  });
});

describe.runIf(!reachable)('PostgresStore: several replicas on one database', () => {
  it.skip(`skipped: no PostgreSQL at ${TEST_PG_DISPLAY} (set CORTICAL_TEST_PG_URL)`, () => undefined);
});
