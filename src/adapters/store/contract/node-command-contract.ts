import { describe, expect, it } from 'vitest';
import type { NewNodeCommand } from '../../../core/ports/store.js';
import {
  addNode,
  addTask,
  claimOf,
  countEvents,
  expectCode,
  grant,
  must,
  runningTask,
  type ContractEnv,
  type EnvGetter,
} from './contract-fixtures.js';

function newCommand(e: ContractEnv, taskId: string, nodeId: string, overrides: Partial<NewNodeCommand> = {}): NewNodeCommand {
  return {
    id: e.ids.newId('cmd'),
    nodeId,
    taskId,
    kind: 'snapshot',
    args: { label: 'before refactor' },
    actor: 'user:tok_1',
    nowMs: e.clock.nowMs(),
    ...overrides,
  };
}

/** Node commands: queue, delivery with heartbeats, results, listing, the workspace's node. */
export function nodeCommandContract(env: EnvGetter): void {
  describe('node commands', () => {
    it('enqueue, get and workspace.command-queued; unknown task → TASK_NOT_FOUND', async () => {
      const e = env();
      const { task, node } = await runningTask(e);
      const c = await e.store.enqueueNodeCommand(newCommand(e, task.id, node.id));
      expect(c).toMatchObject({ taskId: task.id, nodeId: node.id, kind: 'snapshot', args: { label: 'before refactor' }, state: 'queued', result: null, error: null, actor: 'user:tok_1' });
      expect(await e.store.getNodeCommand(c.id)).toEqual(c);
      expect(await e.store.getNodeCommand('cmd_nope')).toBeNull();
      expect(await countEvents(e.store, 'workspace.command-queued', task.id)).toBe(1);
      await e.store.enqueueNodeCommand(newCommand(e, task.id, node.id, { kind: 'list_snapshots', args: {} }));
      expect(await countEvents(e.store, 'workspace.command-queued', task.id)).toBe(1);
      await expectCode(e.store.enqueueNodeCommand(newCommand(e, 'task_nope', node.id)), 'TASK_NOT_FOUND');
    });

    it('takeNodeCommands: only that node, oldest first, bounded; queued → sent, sent ones again', async () => {
      const e = env();
      const { task, node } = await runningTask(e);
      const other = await addNode(e, { name: 'other' });
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) {
        ids.push((await e.store.enqueueNodeCommand(newCommand(e, task.id, node.id, { args: { label: `s${i}` } }))).id);
        e.clock.advance(1);
      }
      await e.store.enqueueNodeCommand(newCommand(e, task.id, other.id));
      const first = await e.store.takeNodeCommands({ nodeId: node.id, limit: 3, nowMs: e.clock.nowMs() });
      expect(first.map((c) => c.id)).toEqual(ids.slice(0, 3));
      expect(first.every((c) => c.state === 'sent')).toBe(true);
      expect(must(await e.store.getNodeCommand(ids[0]!)).state).toBe('sent');
      expect(must(await e.store.getNodeCommand(ids[4]!)).state).toBe('queued');
      const again = await e.store.takeNodeCommands({ nodeId: node.id, limit: 20, nowMs: e.clock.nowMs() });
      expect(again.map((c) => c.id)).toEqual(ids);
      await e.store.finishNodeCommand({ id: ids[0]!, nodeId: node.id, state: 'done', result: { snapshotId: 's', durationMs: 3 }, error: null, nowMs: e.clock.nowMs() });
      const rest = await e.store.takeNodeCommands({ nodeId: node.id, limit: 20, nowMs: e.clock.nowMs() });
      expect(rest.map((c) => c.id)).toEqual(ids.slice(1));
    });

    it('finish: done / failed with their events, idempotent, own node only', async () => {
      const e = env();
      const { task, node } = await runningTask(e);
      const snap = await e.store.enqueueNodeCommand(newCommand(e, task.id, node.id));
      const rev = await e.store.enqueueNodeCommand(newCommand(e, task.id, node.id, { kind: 'revert', args: { snapshotId: 'x' } }));
      const bad = await e.store.enqueueNodeCommand(newCommand(e, task.id, node.id, { kind: 'revert', args: { snapshotId: 'y' } }));
      const other = await addNode(e, { name: 'other' });
      await expectCode(
        e.store.finishNodeCommand({ id: snap.id, nodeId: other.id, state: 'done', result: {}, error: null, nowMs: e.clock.nowMs() }),
        'FORBIDDEN',
      );
      await expectCode(e.store.finishNodeCommand({ id: 'cmd_nope', state: 'done', result: {}, error: null, nowMs: 1 }), 'NOT_FOUND');
      e.clock.advance(10);
      const done = await e.store.finishNodeCommand({
        id: snap.id, nodeId: node.id, state: 'done', result: { snapshotId: 'snap-1', label: 'before refactor', durationMs: 12 }, error: null, nowMs: e.clock.nowMs(),
      });
      expect(done).toMatchObject({ state: 'done', result: { snapshotId: 'snap-1', durationMs: 12 }, error: null, updatedAt: e.clock.nowMs() });
      const twice = await e.store.finishNodeCommand({ id: snap.id, nodeId: node.id, state: 'failed', result: null, error: 'late', nowMs: e.clock.nowMs() + 5 });
      expect(twice).toEqual(done);
      await e.store.finishNodeCommand({ id: rev.id, nodeId: node.id, state: 'done', result: { snapshotId: 'x', written: 3, removed: 1, durationMs: 40 }, error: null, nowMs: e.clock.nowMs() });
      const failed = await e.store.finishNodeCommand({ id: bad.id, state: 'failed', result: { ignored: true }, error: 'snapshot y not found', nowMs: e.clock.nowMs() });
      expect(failed).toMatchObject({ state: 'failed', result: null, error: 'snapshot y not found' });
      const events = await e.store.readEvents({ afterSeq: 0, limit: 100, taskId: task.id, types: ['workspace.snapshotted', 'workspace.reverted', 'workspace.command-failed'] });
      expect(events.map((x) => x.type)).toEqual(['workspace.snapshotted', 'workspace.reverted', 'workspace.command-failed']);
      expect(events[0]?.data).toMatchObject({ commandId: snap.id, snapshotId: 'snap-1', durationMs: 12, actor: 'user:tok_1' });
      expect(events[1]?.data).toMatchObject({ commandId: rev.id, written: 3, removed: 1, durationMs: 40 });
      expect(events[2]?.data).toMatchObject({ commandId: bad.id, kind: 'revert', error: 'snapshot y not found' });
      expect(events[0]?.nodeId).toBe(node.id);
    });

    it("lists a task's commands newest first with a cursor", async () => {
      const e = env();
      const { task, node } = await runningTask(e);
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) {
        ids.push((await e.store.enqueueNodeCommand(newCommand(e, task.id, node.id))).id);
        if (i % 2 === 0) e.clock.advance(1); // some share a timestamp
      }
      const seen: string[] = [];
      let cursor: string | undefined;
      for (let page = 0; page < 10; page++) {
        const p = await e.store.listNodeCommands({ taskId: task.id, limit: 2, cursor });
        seen.push(...p.items.map((c) => c.id));
        if (p.nextCursor === null) break;
        cursor = p.nextCursor;
      }
      expect(seen).toEqual([...ids].reverse());
      expect((await e.store.listNodeCommands({ taskId: 'task_other' })).items).toEqual([]);
      await expectCode(e.store.listNodeCommands({ taskId: task.id, cursor: 'garbage' }), 'VALIDATION_FAILED');
    });

    it("workspaceNodeOf: the task's node, else the node it last started on, else null", async () => {
      const e = env();
      const fresh = await addTask(e);
      expect(await e.store.workspaceNodeOf(fresh.id)).toBeNull();
      await expectCode(e.store.workspaceNodeOf('task_nope'), 'TASK_NOT_FOUND');
      const { task, node } = await runningTask(e);
      expect(await e.store.workspaceNodeOf(task.id)).toBe(node.id);
      // requeued: the task has no node any more, its workspace stays on the node it ran on
      await e.store.completeAttempt({ claim: claimOf(task), nowMs: e.clock.nowMs(), outcome: 'requeue', reason: 'node_released', message: null });
      expect(must(await e.store.getTask(task.id)).nodeId).toBeNull();
      expect(await e.store.workspaceNodeOf(task.id)).toBe(node.id);
      // leased to another node but not started there yet: that node holds the lease
      const other = await addNode(e, { name: 'other' });
      e.clock.advance(10_000);
      await grant(e, task.id, other.id);
      expect(await e.store.workspaceNodeOf(task.id)).toBe(other.id);
    });
  });
}
