import { describe, expect, it } from 'vitest';
import type { NewEvent } from '../../../core/events.js';
import { addTask, claimOf, runningTask, type EnvGetter } from './contract-fixtures.js';

/** readTaskEventsNewestFirst: one task's events of some types, newest first, paged by beforeSeq. */
export function taskEventsNewestContract(env: EnvGetter): void {
  describe('task events newest first', () => {
    it("reads one task's events of the given types by descending seq, paged with beforeSeq", async () => {
      const e = env();
      const { task } = await runningTask(e);
      const other = await addTask(e);
      const finished = (iteration: number) => ({ iteration, kind: 'finished' as const, at: iteration, data: { n: iteration } });
      for (const iteration of [1, 2, 3]) {
        await e.store.reportProgress({
          claim: claimOf(task),
          nowMs: e.clock.nowMs(),
          iterations: [{ iteration, kind: 'started', at: iteration, data: {} }, finished(iteration)],
          logs: [],
        });
        // another task's events in between are never returned
        const noise: NewEvent = { type: 'iteration.finished', taskId: other.id, nodeId: null, data: { n: -iteration } };
        await e.store.appendEvents({ events: [noise], nowMs: e.clock.nowMs() });
      }
      const all = await e.store.readTaskEventsNewestFirst({ taskId: task.id, types: ['iteration.finished'], limit: 10 });
      expect(all.map((x) => x.data['n'])).toEqual([3, 2, 1]);
      expect(all.every((x) => x.type === 'iteration.finished' && x.taskId === task.id)).toBe(true);
      expect(all[0]!.seq).toBeGreaterThan(all[1]!.seq);

      const first = await e.store.readTaskEventsNewestFirst({ taskId: task.id, types: ['iteration.finished'], limit: 2 });
      expect(first.map((x) => x.data['n'])).toEqual([3, 2]);
      const next = await e.store.readTaskEventsNewestFirst({ taskId: task.id, types: ['iteration.finished'], beforeSeq: first[1]!.seq, limit: 2 });
      expect(next.map((x) => x.data['n'])).toEqual([1]);

      const both = await e.store.readTaskEventsNewestFirst({ taskId: task.id, types: ['iteration.started', 'iteration.finished'], limit: 3 });
      expect(both.map((x) => [x.type, x.data['iteration']])).toEqual([
        ['iteration.finished', 3],
        ['iteration.started', 3],
        ['iteration.finished', 2],
      ]);
      expect(await e.store.readTaskEventsNewestFirst({ taskId: task.id, types: [], limit: 10 })).toEqual([]);
      expect(await e.store.readTaskEventsNewestFirst({ taskId: 'task_unknown', types: ['iteration.finished'], limit: 10 })).toEqual([]);
    });
  });
}
