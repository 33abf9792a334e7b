import { describe, expect, it } from 'vitest';
import {
  LEASE_TTL_MS,
  addNode,
  addTask,
  claimOf,
  countEvents,
  grant,
  must,
  type EnvGetter,
} from './contract-fixtures.js';

/** loadSchedulerSnapshot, commitPlan, recordUnplaced. */
export function schedulingContract(env: EnvGetter): void {
  describe('scheduling', () => {
    it('snapshot lists live nodes with their leases and queued tasks by priority then age', async () => {
      const e = env();
      const n1 = await addNode(e, { name: 'a', capabilities: ['gpu'], slots: 3 });
      const n2 = await addNode(e, { name: 'b' });
      await e.store.setNodeScheduling({ nodeId: n2.id, scheduling: 'cordoned', nowMs: e.clock.nowMs(), actor: 't' });
      const lost = await addNode(e, { name: 'c' });
      e.clock.advance(100_000);
      await e.store.heartbeatNode({ nodeId: n1.id, nowMs: e.clock.nowMs(), resources: n1.resources });
      await e.store.heartbeatNode({ nodeId: n2.id, nowMs: e.clock.nowMs(), resources: n2.resources });
      await e.store.reapExpired({ nowMs: e.clock.nowMs(), nodeLostAfterMs: 50_000, limit: 10 });

      const low = await addTask(e, { priority: 0 });
      const high1 = await addTask(e, { priority: 10, requires: ['gpu'] });
      const high2 = await addTask(e, { priority: 10 });
      const mid = await addTask(e, { priority: 5 });
      const leased = await addTask(e, { priority: 99 });
      await grant(e, leased.id, n1.id);

      const snap = await e.store.loadSchedulerSnapshot({ maxTasks: 10, nowMs: e.clock.nowMs() });
      expect(snap.killSwitch).toBe(false);
      expect(snap.tasks.map((t) => t.id)).toEqual([high1.id, high2.id, mid.id, low.id]);
      expect(snap.tasks[0]).toMatchObject({ requires: ['gpu'], priority: 10, createdAt: high1.createdAt, notBefore: high1.notBefore });
      const nodes = new Map(snap.nodes.map((n) => [n.id, n]));
      expect(nodes.has(lost.id)).toBe(false);
      expect(nodes.get(n1.id)).toMatchObject({ capabilities: ['gpu'], slots: 3, activeLeases: 1, schedulable: true });
      expect(nodes.get(n2.id)).toMatchObject({ schedulable: false, activeLeases: 0 });

      const two = await e.store.loadSchedulerSnapshot({ maxTasks: 2, nowMs: e.clock.nowMs() });
      expect(two.tasks.map((t) => t.id)).toEqual([high1.id, high2.id]);
      expect((await e.store.loadSchedulerSnapshot({ maxTasks: 0, nowMs: e.clock.nowMs() })).tasks).toEqual([]);
    });

    it('large writes: 7,000 placements and unplaced reasons commit in one call (statement size limits)', async () => {
      const e = env();
      const node = await addNode(e, { slots: 20_000 });
      const tasks = [];
      for (let i = 0; i < 7_000; i++) tasks.push(await addTask(e));
      const now = e.clock.nowMs();
      const unplaced = await e.store.recordUnplaced({
        items: tasks.map((t) => ({ taskId: t.id, reason: 'no_free_slot' as const, detail: null })),
        nowMs: now,
      });
      expect(unplaced).toBe(7_000);
      const res = await e.store.commitPlan({
        plan: { placements: tasks.map((t) => ({ taskId: t.id, nodeId: node.id })), unplaced: [] },
        nowMs: now,
        leaseTtlMs: LEASE_TTL_MS,
      });
      expect(res.granted).toHaveLength(7_000);
      expect(res.rejected).toEqual([]);
      expect(await countEvents(e.store, 'task.leased')).toBe(7_000);
      expect(must(await e.store.getNode(node.id)).activeLeases).toBe(7_000);
    }, 120_000);

    it('snapshot carries the kill switch', async () => {
      const e = env();
      await e.store.setKillSwitch({ on: true, reason: 'x', nowMs: e.clock.nowMs(), actor: 't' });
      expect((await e.store.loadSchedulerSnapshot({ maxTasks: 5, nowMs: e.clock.nowMs() })).killSwitch).toBe(true);
    });

    it('commitPlan grants: leased, attempts + 1, new token, lease expiry, reason cleared, task.leased', async () => {
      const e = env();
      const node = await addNode(e, { slots: 5 });
      const t = await addTask(e);
      await e.store.recordUnplaced({ items: [{ taskId: t.id, reason: 'no_free_slot', detail: null }], nowMs: e.clock.nowMs() });
      const now = e.clock.nowMs();
      const res = await e.store.commitPlan({
        plan: { placements: [{ taskId: t.id, nodeId: node.id }], unplaced: [] },
        nowMs: now,
        leaseTtlMs: LEASE_TTL_MS,
      });
      expect(res.rejected).toEqual([]);
      const g = must(res.granted[0]);
      expect(g).toMatchObject({
        id: t.id,
        state: 'leased',
        attempts: 1,
        nodeId: node.id,
        leaseExpiresAt: now + LEASE_TTL_MS,
        reason: null,
        message: null,
      });
      expect(g.fencingToken).toBeGreaterThan(t.fencingToken);
      expect(await e.store.getTask(t.id)).toEqual(g);
      const leasedEvents = await e.store.readEvents({ afterSeq: 0, limit: 10, types: ['task.leased'] });
      expect(leasedEvents).toHaveLength(1);
      expect(leasedEvents[0]).toMatchObject({ taskId: t.id, nodeId: node.id });
      expect(must(await e.store.getNode(node.id)).activeLeases).toBe(1);
    });

    it('the fencing token rises on every grant of the same task', async () => {
      const e = env();
      const node = await addNode(e);
      const t = await addTask(e, { maxAttempts: 10 });
      const tokens: number[] = [];
      for (let i = 0; i < 3; i++) {
        const g = await grant(e, t.id, node.id);
        tokens.push(g.fencingToken);
        expect(g.attempts).toBe(i + 1);
        await e.store.completeAttempt({
          claim: claimOf(g),
          nowMs: e.clock.nowMs(),
          outcome: 'requeue',
          reason: 'node_lost',
          message: null,
        });
        e.clock.advance(10 * 60_000);
      }
      expect(tokens[1] ?? 0).toBeGreaterThan(tokens[0] ?? 0);
      expect(tokens[2] ?? 0).toBeGreaterThan(tokens[1] ?? 0);
    });

    it('commitPlan rejects stale placements and grants the rest', async () => {
      const e = env();
      const ok = await addNode(e, { name: 'ok', slots: 1 });
      const cordoned = await addNode(e, { name: 'cordoned' });
      const draining = await addNode(e, { name: 'draining' });
      const lost = await addNode(e, { name: 'lost' });
      await e.store.setNodeScheduling({ nodeId: cordoned.id, scheduling: 'cordoned', nowMs: e.clock.nowMs(), actor: 't' });
      await e.store.setNodeScheduling({ nodeId: draining.id, scheduling: 'draining', nowMs: e.clock.nowMs(), actor: 't' });
      e.clock.advance(60_000);
      for (const n of [ok, cordoned, draining]) {
        await e.store.heartbeatNode({ nodeId: n.id, nowMs: e.clock.nowMs(), resources: n.resources });
      }
      expect((await e.store.reapExpired({ nowMs: e.clock.nowMs(), nodeLostAfterMs: 30_000, limit: 10 })).nodesLost).toEqual([
        lost.id,
      ]);

      const [t1, t2, t3, t4, t5, t6] = [
        await addTask(e),
        await addTask(e),
        await addTask(e),
        await addTask(e),
        await addTask(e),
        await addTask(e),
      ];
      await e.store.requestControl({ taskId: must(t6).id, desire: 'stop', nowMs: e.clock.nowMs(), actor: 't' });
      const seqBefore = await e.store.lastEventSeq();
      const res = await e.store.commitPlan({
        plan: {
          placements: [
            { taskId: must(t1).id, nodeId: ok.id },
            { taskId: must(t2).id, nodeId: ok.id }, // ok has one slot only
            { taskId: must(t3).id, nodeId: cordoned.id },
            { taskId: must(t4).id, nodeId: lost.id },
            { taskId: must(t5).id, nodeId: draining.id },
            { taskId: must(t6).id, nodeId: ok.id }, // no longer queued
            { taskId: must(t1).id, nodeId: ok.id }, // placed twice in one plan
            { taskId: 'task_missing', nodeId: ok.id },
            { taskId: must(t5).id, nodeId: 'node_missing' },
          ],
          unplaced: [],
        },
        nowMs: e.clock.nowMs(),
        leaseTtlMs: LEASE_TTL_MS,
      });
      expect(res.granted.map((t) => t.id)).toEqual([must(t1).id]);
      expect(res.rejected.map((r) => r.taskId)).toEqual([
        must(t2).id,
        must(t3).id,
        must(t4).id,
        must(t5).id,
        must(t6).id,
        must(t1).id,
        'task_missing',
        must(t5).id,
      ]);
      for (const r of res.rejected) expect(r.why.length).toBeGreaterThan(0);
      for (const t of [t2, t3, t4, t5]) expect(must(await e.store.getTask(must(t).id)).state).toBe('queued');
      expect(must(await e.store.getTask(must(t6).id)).state).toBe('cancelled');
      const written = await e.store.readEvents({ afterSeq: seqBefore, limit: 100 });
      expect(written.map((x) => x.type)).toEqual(['task.leased']);
    });

    it('commitPlan rejects every placement while the kill switch is on', async () => {
      const e = env();
      const node = await addNode(e);
      const t = await addTask(e);
      await e.store.setKillSwitch({ on: true, reason: 'incident', nowMs: e.clock.nowMs(), actor: 't' });
      const res = await e.store.commitPlan({
        plan: { placements: [{ taskId: t.id, nodeId: node.id }], unplaced: [] },
        nowMs: e.clock.nowMs(),
        leaseTtlMs: LEASE_TTL_MS,
      });
      expect(res.granted).toEqual([]);
      expect(res.rejected).toEqual([{ taskId: t.id, nodeId: node.id, why: 'killswitch' }]);
      expect(must(await e.store.getTask(t.id)).state).toBe('queued');
      expect(await countEvents(e.store, 'task.leased')).toBe(0);
    });

    it('commitPlan with an empty plan is a no-op', async () => {
      const e = env();
      expect(await e.store.commitPlan({ plan: { placements: [], unplaced: [] }, nowMs: 1, leaseTtlMs: 1 })).toEqual({
        granted: [],
        rejected: [],
      });
    });

    it('recordUnplaced writes only changed reasons of queued tasks', async () => {
      const e = env();
      const a = await addTask(e);
      const b = await addTask(e);
      const node = await addNode(e);
      const leased = await addTask(e);
      await grant(e, leased.id, node.id);
      const now = e.clock.nowMs();
      const items = [
        { taskId: a.id, reason: 'no_capable_node' as const, detail: 'missing: gpu' },
        { taskId: b.id, reason: 'no_free_slot' as const, detail: null },
        { taskId: leased.id, reason: 'no_free_slot' as const, detail: null },
        { taskId: 'task_missing', reason: 'backoff' as const, detail: null },
      ];
      expect(await e.store.recordUnplaced({ items, nowMs: now })).toBe(2);
      expect(must(await e.store.getTask(a.id))).toMatchObject({ reason: 'no_capable_node', message: 'missing: gpu' });
      expect(must(await e.store.getTask(leased.id)).reason).toBeNull();
      const seq = await e.store.lastEventSeq();
      expect(await e.store.recordUnplaced({ items, nowMs: now + 1 })).toBe(0);
      expect(await e.store.lastEventSeq()).toBe(seq);
      expect(
        await e.store.recordUnplaced({ items: [{ taskId: a.id, reason: 'no_capable_node', detail: 'missing: arm' }], nowMs: now + 2 }),
      ).toBe(1);
      expect(await countEvents(e.store, 'task.unplaced', a.id)).toBe(2);
    });
  });
}
