import { describe, expect, it } from 'vitest';
import {
  LEASE_TTL_MS,
  addNode,
  addTask,
  claimOf,
  countEvents,
  expectCode,
  grant,
  must,
  runningTask,
  type EnvGetter,
} from './contract-fixtures.js';

/** reapExpired, requestControl, addGuidance, listGuidance. */
export function reaperControlContract(env: EnvGetter): void {
  describe('reapExpired', () => {
    it('requeues expired leases with back-off and leaves live ones alone', async () => {
      const e = env();
      const node = await addNode(e, { slots: 5 });
      const expiring = await grant(e, (await addTask(e, { retryBackoffMs: 1_000 })).id, node.id);
      e.clock.advance(LEASE_TTL_MS / 2);
      const fresh = await grant(e, (await addTask(e)).id, node.id);
      const at = must(expiring.leaseExpiresAt);
      expect((await e.store.reapExpired({ nowMs: at - 1, nodeLostAfterMs: 3_600_000, limit: 10 })).requeued).toEqual([]);
      const res = await e.store.reapExpired({ nowMs: at, nodeLostAfterMs: 3_600_000, limit: 10 });
      expect(res).toEqual({ requeued: [expiring.id], failed: [], cancelled: [], nodesLost: [] });
      const t = must(await e.store.getTask(expiring.id));
      expect(t).toMatchObject({ state: 'queued', reason: 'lease_expired', nodeId: null, leaseExpiresAt: null, attempts: 1 });
      expect(t.notBefore).toBe(at + 1_000);
      expect(must(await e.store.getTask(fresh.id)).state).toBe('leased');
      const events = await e.store.readEvents({ afterSeq: 0, limit: 100, taskId: expiring.id });
      expect(events.map((x) => x.type).slice(-2)).toEqual(['lease.expired', 'task.requeued']);
      expect(must(await e.store.getNode(node.id)).activeLeases).toBe(1);
      await expectCode(
        e.store.renewLease({ claim: claimOf(expiring), nowMs: at, leaseTtlMs: LEASE_TTL_MS }),
        'LEASE_CONFLICT',
      );
    });

    it('fails a task at maxAttempts and cancels one asked to stop', async () => {
      const e = env();
      const node = await addNode(e, { slots: 5 });
      const last = await grant(e, (await addTask(e, { maxAttempts: 1 })).id, node.id);
      const { task: stopping } = await runningTask(e);
      await e.store.requestControl({ taskId: stopping.id, desire: 'stop', nowMs: e.clock.nowMs(), actor: 'u' });
      e.clock.advance(LEASE_TTL_MS * 2);
      const res = await e.store.reapExpired({ nowMs: e.clock.nowMs(), nodeLostAfterMs: 3_600_000, limit: 10 });
      expect(res.failed).toEqual([last.id]);
      expect(res.cancelled).toEqual([stopping.id]);
      expect(res.requeued).toEqual([]);
      expect(must(await e.store.getTask(last.id))).toMatchObject({ state: 'failed', reason: 'max_attempts' });
      expect(must(await e.store.getTask(stopping.id))).toMatchObject({ state: 'cancelled', reason: 'stopped' });
      expect(await countEvents(e.store, 'lease.expired')).toBe(2);
      expect(await countEvents(e.store, 'task.failed', last.id)).toBe(1);
      expect(await countEvents(e.store, 'task.cancelled', stopping.id)).toBe(1);
    });

    it('is bounded by limit', async () => {
      const e = env();
      const node = await addNode(e, { slots: 10 });
      for (let i = 0; i < 5; i++) await grant(e, (await addTask(e)).id, node.id);
      e.clock.advance(LEASE_TTL_MS * 2);
      const opts = { nowMs: e.clock.nowMs(), nodeLostAfterMs: 3_600_000, limit: 2 };
      expect((await e.store.reapExpired(opts)).requeued).toHaveLength(2);
      expect((await e.store.reapExpired(opts)).requeued).toHaveLength(2);
      expect((await e.store.reapExpired(opts)).requeued).toHaveLength(1);
      expect((await e.store.reapExpired(opts)).requeued).toHaveLength(0);
    });

    it('marks silent nodes lost once, without touching their tasks', async () => {
      const e = env();
      const { task, node } = await runningTask(e);
      const alive = await addNode(e, { name: 'alive' });
      e.clock.advance(20_000);
      await e.store.heartbeatNode({ nodeId: alive.id, nowMs: e.clock.nowMs(), resources: alive.resources });
      await e.store.renewLease({ claim: claimOf(task), nowMs: e.clock.nowMs(), leaseTtlMs: LEASE_TTL_MS });
      const res = await e.store.reapExpired({ nowMs: e.clock.nowMs(), nodeLostAfterMs: 15_000, limit: 10 });
      expect(res.nodesLost).toEqual([node.id]);
      expect(must(await e.store.getNode(node.id)).liveness).toBe('lost');
      expect(must(await e.store.getNode(alive.id)).liveness).toBe('ready');
      expect(must(await e.store.getTask(task.id)).state).toBe('running');
      const again = await e.store.reapExpired({ nowMs: e.clock.nowMs(), nodeLostAfterMs: 15_000, limit: 10 });
      expect(again.nodesLost).toEqual([]);
      expect(await countEvents(e.store, 'node.lost')).toBe(1);
    });
  });

  describe('controls', () => {
    it('stop on a queued task cancels it at once', async () => {
      const e = env();
      const t = await addTask(e);
      const c = await e.store.requestControl({ taskId: t.id, desire: 'stop', nowMs: e.clock.nowMs(), actor: 'u' });
      expect(c).toMatchObject({ state: 'cancelled', reason: 'stopped', desired: 'stop' });
      expect(c.finishedAt).toBe(e.clock.nowMs());
      const types = (await e.store.readEvents({ afterSeq: 0, limit: 10, taskId: t.id })).map((x) => x.type);
      expect(types).toEqual(['task.created', 'task.control-requested', 'task.cancelled']);
    });

    it('pause, pause_now, resume and stop of a leased task record the desire', async () => {
      const e = env();
      const { task } = await runningTask(e);
      const ask = (desire: 'pause' | 'pause_now' | 'run' | 'stop') =>
        e.store.requestControl({ taskId: task.id, desire, nowMs: e.clock.nowMs(), actor: 'u' });
      expect((await ask('pause')).desired).toBe('pause');
      expect((await ask('run')).desired).toBe('run');
      expect((await ask('pause_now')).desired).toBe('pause_now');
      const stopped = await ask('stop');
      expect(stopped).toMatchObject({ desired: 'stop', state: 'running' });
      expect(await countEvents(e.store, 'task.control-requested', task.id)).toBe(4);
    });

    it('resume of a task neither paused nor asked to pause is INVALID_TRANSITION', async () => {
      const e = env();
      const { task } = await runningTask(e);
      const err = await expectCode(
        e.store.requestControl({ taskId: task.id, desire: 'run', nowMs: e.clock.nowMs(), actor: 'u' }),
        'INVALID_TRANSITION',
      );
      expect(err.message).toMatch(/resume/);
      expect(await countEvents(e.store, 'task.control-requested', task.id)).toBe(0);
    });

    it('pause of a queued task is kept as its desire for the next attempt, and can be resumed', async () => {
      const e = env();
      const t = await addTask(e);
      const p = await e.store.requestControl({ taskId: t.id, desire: 'pause', nowMs: e.clock.nowMs(), actor: 'u' });
      expect(p).toMatchObject({ state: 'queued', desired: 'pause' });
      const r = await e.store.requestControl({ taskId: t.id, desire: 'run', nowMs: e.clock.nowMs(), actor: 'u' });
      expect(r).toMatchObject({ state: 'queued', desired: 'run' });
      await expectCode(
        e.store.requestControl({ taskId: t.id, desire: 'run', nowMs: e.clock.nowMs(), actor: 'u' }),
        'INVALID_TRANSITION',
      );
    });

    it('resume of a paused task asks it to run', async () => {
      const e = env();
      const { task } = await runningTask(e);
      await e.store.reportProgress({ claim: claimOf(task), nowMs: e.clock.nowMs(), iterations: [], logs: [], observed: 'paused' });
      const r = await e.store.requestControl({ taskId: task.id, desire: 'run', nowMs: e.clock.nowMs(), actor: 'u' });
      expect(r).toMatchObject({ desired: 'run', state: 'paused' });
    });

    it('controls and guidance on a terminal task are INVALID_TRANSITION', async () => {
      const e = env();
      const { task } = await runningTask(e);
      await e.store.completeAttempt({ claim: claimOf(task), nowMs: e.clock.nowMs(), outcome: 'succeeded', reason: 'agent_done', message: null });
      for (const desire of ['pause', 'pause_now', 'run', 'stop'] as const) {
        const err = await expectCode(
          e.store.requestControl({ taskId: task.id, desire, nowMs: e.clock.nowMs(), actor: 'u' }),
          'INVALID_TRANSITION',
        );
        expect(err.message).toContain('succeeded');
      }
      await expectCode(e.store.addGuidance({ taskId: task.id, text: 'x', nowMs: 1, actor: 'u' }), 'INVALID_TRANSITION');
      expect(must(await e.store.getTask(task.id)).state).toBe('succeeded');
    });

    it('unknown tasks are TASK_NOT_FOUND', async () => {
      const e = env();
      await expectCode(e.store.requestControl({ taskId: 'task_nope', desire: 'stop', nowMs: 1, actor: 'u' }), 'TASK_NOT_FOUND');
      await expectCode(e.store.addGuidance({ taskId: 'task_nope', text: 'x', nowMs: 1, actor: 'u' }), 'TASK_NOT_FOUND');
      await expectCode(e.store.listGuidance('task_nope'), 'TASK_NOT_FOUND');
    });

    it('guidance gets per-task sequence numbers and a task.guided event', async () => {
      const e = env();
      const a = await addTask(e);
      const b = await addTask(e);
      const g1 = await e.store.addGuidance({ taskId: a.id, text: 'one', nowMs: 10, actor: 'alice' });
      const g2 = await e.store.addGuidance({ taskId: a.id, text: 'two', nowMs: 11, actor: 'bob' });
      const gb = await e.store.addGuidance({ taskId: b.id, text: 'other', nowMs: 12, actor: 'bob' });
      expect([g1.seq, g2.seq, gb.seq]).toEqual([1, 2, 1]);
      expect(g1).toEqual({ taskId: a.id, seq: 1, text: 'one', actor: 'alice', createdAt: 10, deliveredAt: null, deliveryMode: null });
      expect(await e.store.listGuidance(a.id)).toEqual([g1, g2]);
      expect(await countEvents(e.store, 'task.guided', a.id)).toBe(2);
    });
  });
}
