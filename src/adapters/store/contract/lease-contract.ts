import { describe, expect, it } from 'vitest';
import type { LeaseClaimInput, Store } from '../../../core/ports/store.js';
import {
  LEASE_TTL_MS,
  addNode,
  addTask,
  claimOf,
  countEvents,
  eventTypes,
  expectCode,
  grant,
  must,
  runningTask,
  type ContractEnv,
  type EnvGetter,
} from './contract-fixtures.js';

type FencedCall = (store: Store, claim: LeaseClaimInput, nowMs: number) => Promise<unknown>;

const FENCED_CALLS: readonly (readonly [string, FencedCall])[] = [
  ['startAttempt', (s, claim, nowMs) => s.startAttempt({ claim, nowMs, workspacePath: '/w/x' })],
  ['renewLease', (s, claim, nowMs) => s.renewLease({ claim, nowMs, leaseTtlMs: LEASE_TTL_MS })],
  [
    'reportProgress',
    (s, claim, nowMs) =>
      s.reportProgress({
        claim,
        nowMs,
        iterations: [{ iteration: 1, kind: 'started', at: nowMs, data: {} }],
        logs: [{ attempt: 1, iteration: 1, stream: 'stdout', at: nowMs, text: 'x' }],
        observed: 'paused',
        runtimeMs: 999,
      }),
  ],
  [
    'completeAttempt',
    (s, claim, nowMs) => s.completeAttempt({ claim, nowMs, outcome: 'succeeded', reason: 'agent_done', message: null }),
  ],
];

/** listNodeLeases, startAttempt, renewLease, reportProgress, completeAttempt and fencing. */
export function leaseContract(env: EnvGetter): void {
  describe('leases', () => {
    it('listNodeLeases returns the node’s leased, running and paused tasks', async () => {
      const e = env();
      const { task: running, node } = await runningTask(e);
      const t2 = await addTask(e);
      const leased = await grant(e, t2.id, node.id);
      const t3 = await addTask(e);
      const done = await grant(e, t3.id, (await addNode(e, { name: 'other' })).id);
      const leases = await e.store.listNodeLeases(node.id);
      expect(leases.map((t) => t.id).sort()).toEqual([running.id, leased.id].sort());
      expect(leases.find((t) => t.id === leased.id)?.fencingToken).toBe(leased.fencingToken);
      expect(leases.some((t) => t.id === done.id)).toBe(false);
      await expectCode(e.store.listNodeLeases('node_nope'), 'NODE_NOT_FOUND');
    });

    it('startAttempt: leased → running once; again is a no-op', async () => {
      const e = env();
      const { task, node } = await runningTask(e);
      expect(task).toMatchObject({ state: 'running', workspacePath: '/w/1', nodeId: node.id });
      expect(task.startedAt).not.toBeNull();
      const again = await e.store.startAttempt({ claim: claimOf(task), nowMs: e.clock.nowMs() + 5, workspacePath: '/w/1' });
      expect(again.state).toBe('running');
      expect(await countEvents(e.store, 'task.started', task.id)).toBe(1);
      expect(await eventTypes(e.store, task.id)).toEqual(['task.created', 'task.leased', 'task.started']);
    });

    it('renewLease extends the lease and returns desired, pending guidance and the kill switch', async () => {
      const e = env();
      const { task } = await runningTask(e);
      await e.store.addGuidance({ taskId: task.id, text: 'first', nowMs: e.clock.nowMs(), actor: 'u' });
      await e.store.addGuidance({ taskId: task.id, text: 'second', nowMs: e.clock.nowMs(), actor: 'u' });
      await e.store.requestControl({ taskId: task.id, desire: 'pause', nowMs: e.clock.nowMs(), actor: 'u' });
      e.clock.advance(10_000);
      const r = await e.store.renewLease({ claim: claimOf(task), nowMs: e.clock.nowMs(), leaseTtlMs: LEASE_TTL_MS });
      expect(r.leaseExpiresAt).toBe(e.clock.nowMs() + LEASE_TTL_MS);
      expect(r.task.leaseExpiresAt).toBe(r.leaseExpiresAt);
      expect(r.desired).toBe('pause');
      expect(r.killSwitch).toBe(false);
      expect(r.pendingGuidance.map((g) => [g.seq, g.text])).toEqual([
        [1, 'first'],
        [2, 'second'],
      ]);
      expect(must(await e.store.getTask(task.id)).leaseExpiresAt).toBe(r.leaseExpiresAt);
      await e.store.setKillSwitch({ on: true, reason: null, nowMs: e.clock.nowMs(), actor: 'u' });
      const r2 = await e.store.renewLease({ claim: claimOf(task), nowMs: e.clock.nowMs(), leaseTtlMs: LEASE_TTL_MS });
      expect(r2.killSwitch).toBe(true);
    });

    it('records how each guidance was delivered, and every agent event of an iteration once', async () => {
      const e = env();
      const { task } = await runningTask(e);
      for (const text of ['g1', 'g2', 'g3']) await e.store.addGuidance({ taskId: task.id, text, nowMs: e.clock.nowMs(), actor: 'u' });
      const report = {
        claim: claimOf(task),
        nowMs: e.clock.nowMs(),
        iterations: [
          { iteration: 1, kind: 'agent' as const, at: 5, data: { type: 'tool_call', name: 'Write', n: 1 } },
          { iteration: 1, kind: 'agent' as const, at: 5, data: { type: 'file_change', path: 'a.txt', n: 2 } },
        ],
        logs: [],
        guidanceDeliveries: [
          { seq: 1, mode: 'live' as const },
          { seq: 2, mode: 'interrupt_resume' as const },
        ],
      };
      await e.store.reportProgress(report);
      await e.store.reportProgress(report); // a retried report records nothing twice
      await e.store.reportProgress({ claim: claimOf(task), nowMs: e.clock.nowMs(), iterations: [], logs: [], guidanceDeliveredSeq: 3 });
      const guidance = await e.store.listGuidance(task.id);
      expect(guidance.map((g) => [g.text, g.deliveryMode])).toEqual([
        ['g1', 'live'],
        ['g2', 'interrupt_resume'],
        ['g3', 'next_iteration'],
      ]);
      const agentEvents = await e.store.readEvents({ afterSeq: 0, limit: 10, types: ['agent.event'] });
      expect(agentEvents.map((ev) => ev.data.type)).toEqual(['tool_call', 'file_change']);
      const delivered = await e.store.readEvents({ afterSeq: 0, limit: 10, types: ['guidance.delivered'] });
      expect(delivered.map((ev) => ev.data.mode ?? null)).toEqual(['live', 'interrupt_resume', null]);
    });

    it('reportProgress records iterations once, logs, usage, runtime and guidance delivery', async () => {
      const e = env();
      const { task } = await runningTask(e);
      await e.store.addGuidance({ taskId: task.id, text: 'g1', nowMs: e.clock.nowMs(), actor: 'u' });
      await e.store.addGuidance({ taskId: task.id, text: 'g2', nowMs: e.clock.nowMs(), actor: 'u' });
      await e.store.addGuidance({ taskId: task.id, text: 'g3', nowMs: e.clock.nowMs(), actor: 'u' });
      const report = {
        claim: claimOf(task),
        nowMs: e.clock.nowMs(),
        iterations: [
          { iteration: 1, kind: 'started' as const, at: 1, data: { prompt: 'p' } },
          { iteration: 1, kind: 'usage' as const, at: 2, data: { tokensIn: 5 } },
          { iteration: 1, kind: 'finished' as const, at: 3, data: { exitCode: 0 } },
        ],
        logs: [],
        usage: { iterations: 1, tokensIn: 5, tokensOut: 7, usd: 0.25 },
        runtimeMs: 1_500,
        observed: 'running' as const,
        guidanceDeliveredSeq: 2,
      };
      const t = await e.store.reportProgress(report);
      expect(t.usage).toEqual({ iterations: 1, tokensIn: 5, tokensOut: 7, usd: 0.25 });
      expect(t.runtimeMs).toBe(1_500);
      expect(t.state).toBe('running');
      await e.store.reportProgress(report); // a retried report changes nothing more
      expect(await eventTypes(e.store, task.id)).toEqual([
        'task.created',
        'task.leased',
        'task.started',
        'task.guided',
        'task.guided',
        'task.guided',
        'iteration.started',
        'iteration.usage-reported',
        'iteration.finished',
        'guidance.delivered',
      ]);
      const finished = await e.store.readEvents({ afterSeq: 0, limit: 10, types: ['iteration.finished'] });
      expect(finished[0]?.data).toMatchObject({ iteration: 1, exitCode: 0 });
      const guidance = await e.store.listGuidance(task.id);
      expect(guidance.map((g) => g.deliveredAt !== null)).toEqual([true, true, false]);
      const renewal = await e.store.renewLease({ claim: claimOf(task), nowMs: e.clock.nowMs(), leaseTtlMs: LEASE_TTL_MS });
      expect(renewal.pendingGuidance.map((g) => g.text)).toEqual(['g3']);
      expect(must(await e.store.getTask(task.id)).usage.usd).toBe(0.25);
    });

    it('reportProgress drives running ⇄ paused and clears the reason on resume', async () => {
      const e = env();
      const { task } = await runningTask(e);
      const base = { claim: claimOf(task), iterations: [], logs: [] };
      const paused = await e.store.reportProgress({
        ...base,
        nowMs: e.clock.nowMs(),
        observed: 'paused',
        pauseReason: 'stuck',
        pauseMessage: 'no change in 3 iterations',
      });
      expect(paused).toMatchObject({ state: 'paused', reason: 'stuck', message: 'no change in 3 iterations' });
      // A pause the node decided itself becomes the desired state, so a user's resume is visible.
      expect(paused.desired).toBe('pause');
      const resumeAsked = await e.store.requestControl({ taskId: task.id, desire: 'run', nowMs: e.clock.nowMs(), actor: 'u' });
      expect(resumeAsked).toMatchObject({ state: 'paused', desired: 'run' });
      const renewal = await e.store.renewLease({ claim: claimOf(task), nowMs: e.clock.nowMs(), leaseTtlMs: LEASE_TTL_MS });
      expect(renewal.desired).toBe('run');
      const stillPaused = await e.store.reportProgress({ ...base, nowMs: e.clock.nowMs(), observed: 'paused' });
      expect(stillPaused.state).toBe('paused');
      const resumed = await e.store.reportProgress({ ...base, nowMs: e.clock.nowMs(), observed: 'running' });
      expect(resumed).toMatchObject({ state: 'running', reason: null, message: null });
      expect(await countEvents(e.store, 'task.paused', task.id)).toBe(1);
      expect(await countEvents(e.store, 'task.resumed', task.id)).toBe(1);
      expect(must(await e.store.getTask(task.id)).state).toBe('running');
    });

    it('completeAttempt with a final outcome ends the task and frees the slot', async () => {
      const e = env();
      for (const outcome of ['succeeded', 'failed', 'cancelled'] as const) {
        const { task, node } = await runningTask(e);
        const done = await e.store.completeAttempt({
          claim: claimOf(task),
          nowMs: e.clock.nowMs(),
          outcome,
          reason: outcome === 'succeeded' ? 'once_completed' : outcome === 'failed' ? 'agent_failed' : 'stopped',
          message: `ended ${outcome}`,
          usage: { iterations: 1, tokensIn: 1, tokensOut: 2, usd: 0.5 },
          runtimeMs: 42,
        });
        expect(done).toMatchObject({ state: outcome, message: `ended ${outcome}`, leaseExpiresAt: null, runtimeMs: 42 });
        expect(done.finishedAt).toBe(e.clock.nowMs());
        expect(done.usage.usd).toBe(0.5);
        expect(await e.store.getTask(task.id)).toEqual(done);
        expect((await e.store.readEvents({ afterSeq: 0, limit: 100, taskId: task.id })).at(-1)?.type).toBe(`task.${outcome}`);
        expect(must(await e.store.getNode(node.id)).activeLeases).toBe(0);
      }
    });

    it('succeeding an attempt that never started is INVALID_TRANSITION', async () => {
      const e = env();
      const node = await addNode(e);
      const leased = await grant(e, (await addTask(e)).id, node.id);
      const err = await expectCode(
        e.store.completeAttempt({ claim: claimOf(leased), nowMs: e.clock.nowMs(), outcome: 'succeeded', reason: 'agent_done', message: null }),
        'INVALID_TRANSITION',
      );
      expect(err.message).toContain('leased');
      expect(must(await e.store.getTask(leased.id)).state).toBe('leased');
    });

    it('completeAttempt requeue applies back-off, then fails with max_attempts', async () => {
      const e = env();
      const node = await addNode(e);
      const t = await addTask(e, { maxAttempts: 2, retryBackoffMs: 1_000 });
      const g1 = await grant(e, t.id, node.id);
      const now = e.clock.nowMs();
      const q = await e.store.completeAttempt({ claim: claimOf(g1), nowMs: now, outcome: 'requeue', reason: 'spawn_failed', message: 'x' });
      expect(q).toMatchObject({ state: 'queued', reason: 'spawn_failed', nodeId: null, leaseExpiresAt: null, attempts: 1 });
      expect(q.notBefore).toBe(now + 1_000);
      expect(await countEvents(e.store, 'task.requeued', t.id)).toBe(1);
      e.clock.advance(2_000);
      const g2 = await grant(e, t.id, node.id);
      const f = await e.store.completeAttempt({ claim: claimOf(g2), nowMs: e.clock.nowMs(), outcome: 'requeue', reason: 'spawn_failed', message: null });
      expect(f).toMatchObject({ state: 'failed', reason: 'max_attempts', attempts: 2 });
      expect(f.finishedAt).toBe(e.clock.nowMs());
    });

    it('requeue for killswitch or node_released does not count the attempt', async () => {
      const e = env();
      const node = await addNode(e);
      const t = await addTask(e, { maxAttempts: 1 });
      for (const reason of ['killswitch', 'node_released'] as const) {
        const g = await grant(e, t.id, node.id);
        expect(g.attempts).toBe(1);
        const q = await e.store.completeAttempt({ claim: claimOf(g), nowMs: e.clock.nowMs(), outcome: 'requeue', reason, message: null });
        expect(q).toMatchObject({ state: 'queued', attempts: 0, reason, notBefore: e.clock.nowMs() });
      }
    });

    it('requeue of a task asked to stop cancels it', async () => {
      const e = env();
      const { task } = await runningTask(e);
      await e.store.requestControl({ taskId: task.id, desire: 'stop', nowMs: e.clock.nowMs(), actor: 'u' });
      const c = await e.store.completeAttempt({ claim: claimOf(task), nowMs: e.clock.nowMs(), outcome: 'requeue', reason: 'lease_expired', message: null });
      expect(c).toMatchObject({ state: 'cancelled', reason: 'stopped' });
    });
  });

  describe('fencing', () => {
    async function expectRejected(e: ContractEnv, call: FencedCall, claim: LeaseClaimInput, nowMs: number, why: string) {
      const before = must(await e.store.getTask(claim.taskId));
      const rejectedBefore = await countEvents(e.store, 'lease.rejected', claim.taskId);
      const seqBefore = await e.store.lastEventSeq();
      const err = await expectCode(call(e.store, claim, nowMs), 'LEASE_CONFLICT');
      expect(err.details['why']).toBe(why);
      expect(err.details['taskId']).toBe(claim.taskId);
      expect(await e.store.getTask(claim.taskId)).toEqual(before);
      expect(await countEvents(e.store, 'lease.rejected', claim.taskId)).toBe(rejectedBefore + 1);
      const written = await e.store.readEvents({ afterSeq: seqBefore, limit: 100 });
      expect(written.map((x) => x.type)).toEqual(['lease.rejected']);
      expect(written[0]).toMatchObject({ taskId: claim.taskId, nodeId: claim.nodeId });
      expect(await e.store.readLogs({ taskId: claim.taskId, afterSeq: 0, limit: 100 })).toEqual([]);
    }

    for (const [name, call] of FENCED_CALLS) {
      it(`${name} with a stale token, a wrong node or an expired lease is LEASE_CONFLICT`, async () => {
        const e = env();
        const node = await addNode(e);
        const other = await addNode(e, { name: 'other' });
        const t = await addTask(e, { maxAttempts: 5 });
        const first = await grant(e, t.id, node.id);
        await e.store.completeAttempt({ claim: claimOf(first), nowMs: e.clock.nowMs(), outcome: 'requeue', reason: 'node_released', message: null });
        const second = await grant(e, t.id, node.id);
        const now = e.clock.nowMs();
        await expectRejected(e, call, claimOf(first), now, 'stale_token');
        await expectRejected(e, call, { ...claimOf(second), nodeId: other.id }, now, 'wrong_node');
        await expectRejected(e, call, claimOf(second), must(second.leaseExpiresAt), 'expired');
      });
    }

    it('a claim on a task that is no longer leased is LEASE_CONFLICT (not_leased)', async () => {
      const e = env();
      const { task } = await runningTask(e);
      await e.store.completeAttempt({ claim: claimOf(task), nowMs: e.clock.nowMs(), outcome: 'succeeded', reason: 'agent_done', message: null });
      for (const [, call] of FENCED_CALLS) await expectRejected(e, call, claimOf(task), e.clock.nowMs(), 'not_leased');
    });

    it('a claim on an unknown task is TASK_NOT_FOUND', async () => {
      const e = env();
      await expectCode(
        e.store.renewLease({ claim: { taskId: 'task_nope', nodeId: 'n', fencingToken: 1 }, nowMs: 1, leaseTtlMs: 1 }),
        'TASK_NOT_FOUND',
      );
    });
  });
}
