import { describe, expect, it } from 'vitest';
import type { NewEvent } from '../../../core/events.js';
import { addTask, claimOf, expectCode, runningTask, type EnvGetter } from './contract-fixtures.js';

/** readEvents, lastEventSeq, appendEvents, readLogs. */
export function eventsLogsContract(env: EnvGetter): void {
  describe('events', () => {
    it('lastEventSeq is 0 on an empty store', async () => {
      expect(await env().store.lastEventSeq()).toBe(0);
    });

    it('appendEvents writes events with strictly increasing seq, in order', async () => {
      const e = env();
      const batch: NewEvent[] = [
        { type: 'token.created', taskId: null, nodeId: null, data: { n: 1 } },
        { type: 'token.revoked', taskId: 'task_z', nodeId: 'node_z', data: { n: 2, nested: { ok: true } } },
      ];
      await e.store.appendEvents({ events: batch, nowMs: 1234 });
      await e.store.appendEvents({ events: [], nowMs: 1235 });
      await e.store.appendEvents({ events: [{ type: 'node.lost', taskId: null, nodeId: 'n', data: {} }], nowMs: 1236 });
      const events = await e.store.readEvents({ afterSeq: 0, limit: 100 });
      expect(events.map((x) => x.type)).toEqual(['token.created', 'token.revoked', 'node.lost']);
      expect(events[1]).toMatchObject({ taskId: 'task_z', nodeId: 'node_z', at: 1234, data: { n: 2, nested: { ok: true } } });
      for (let i = 1; i < events.length; i++) {
        expect(events[i]?.seq ?? 0).toBeGreaterThan(events[i - 1]?.seq ?? 0);
      }
      expect(await e.store.lastEventSeq()).toBe(events[events.length - 1]?.seq);
    });

    it('readEvents filters by afterSeq, limit, taskId and types', async () => {
      const e = env();
      const a = await addTask(e);
      const b = await addTask(e);
      await e.store.addGuidance({ taskId: a.id, text: 'hint', nowMs: e.clock.nowMs(), actor: 't' });
      const all = await e.store.readEvents({ afterSeq: 0, limit: 100 });
      expect(all.map((x) => x.type)).toEqual(['task.created', 'task.created', 'task.guided']);
      const first = all[0]?.seq ?? 0;
      const after = await e.store.readEvents({ afterSeq: first, limit: 100 });
      expect(after.map((x) => x.seq)).toEqual(all.slice(1).map((x) => x.seq));
      expect((await e.store.readEvents({ afterSeq: 0, limit: 1 })).map((x) => x.seq)).toEqual([first]);
      expect((await e.store.readEvents({ afterSeq: 0, limit: 100, taskId: b.id })).map((x) => x.type)).toEqual([
        'task.created',
      ]);
      const guided = await e.store.readEvents({ afterSeq: 0, limit: 100, types: ['task.guided'] });
      expect(guided.map((x) => x.taskId)).toEqual([a.id]);
      expect(await e.store.readEvents({ afterSeq: 0, limit: 100, types: [] })).toEqual([]);
      const lastSeq = await e.store.lastEventSeq();
      expect(await e.store.readEvents({ afterSeq: lastSeq, limit: 100 })).toEqual([]);
    });
  });

  describe('logs', () => {
    it('progress log lines are read back in order with afterSeq and limit', async () => {
      const e = env();
      const { task } = await runningTask(e);
      await e.store.reportProgress({
        claim: claimOf(task),
        nowMs: e.clock.nowMs(),
        iterations: [],
        logs: [
          { attempt: 1, iteration: 1, stream: 'stdout', at: 10, text: 'one' },
          { attempt: 1, iteration: 1, stream: 'stderr', at: 11, text: 'two' },
          { attempt: 1, iteration: 2, stream: 'system', at: 12, text: 'three' },
        ],
      });
      const lines = await e.store.readLogs({ taskId: task.id, afterSeq: 0, limit: 100 });
      expect(lines.map((l) => l.text)).toEqual(['one', 'two', 'three']);
      expect(lines[1]).toMatchObject({ taskId: task.id, attempt: 1, iteration: 1, stream: 'stderr', at: 11 });
      const firstSeq = lines[0]?.seq ?? 0;
      expect((await e.store.readLogs({ taskId: task.id, afterSeq: firstSeq, limit: 1 })).map((l) => l.text)).toEqual([
        'two',
      ]);
      const other = await addTask(e);
      expect(await e.store.readLogs({ taskId: other.id, afterSeq: 0, limit: 10 })).toEqual([]);
    });

    it('readLogs of an unknown task is TASK_NOT_FOUND', async () => {
      await expectCode(env().store.readLogs({ taskId: 'task_nope', afterSeq: 0, limit: 10 }), 'TASK_NOT_FOUND');
    });
  });
}
