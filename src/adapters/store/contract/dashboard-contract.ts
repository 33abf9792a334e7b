import { describe, expect, it } from 'vitest';
import type { TaskUsage } from '../../../core/task.js';
import { addTask, claimOf, runningTask, type EnvGetter } from './contract-fixtures.js';

const HOUR = 3_600_000;
const usage = (tokensIn: number, usd: number): TaskUsage => ({ iterations: 1, tokensIn, tokensOut: 0, usd });

export function dashboardContract(env: EnvGetter): void {
  describe('dashboard reads', () => {
    it('lists tasks by a case-insensitive substring of the id or the prompt; LIKE characters are literal', async () => {
      const e = env();
      const a = await addTask(e, { prompt: 'Fix the Login page' });
      await addTask(e, { prompt: 'write docs' });
      const c = await addTask(e, { prompt: 'discount is 100% off_today' });
      const ids = async (text: string) => (await e.store.listTasks({ text, limit: 50 })).items.map((t) => t.id);
      expect(await ids('login')).toEqual([a.id]);
      expect(await ids('LOGIN PAGE')).toEqual([a.id]);
      expect(await ids(a.id.toUpperCase())).toEqual([a.id]);
      expect(await ids('100%')).toEqual([c.id]);
      expect(await ids('0% o')).toEqual([c.id]);
      expect(await ids('f_t')).toEqual([c.id]);
      expect(await ids('%')).toEqual([c.id]);
      expect(await ids('i_e')).toEqual([]); // '_' is no wildcard ("write" would match)
      expect(await ids('nothing like this')).toEqual([]);
      // combined with another filter, and paginated
      expect((await e.store.listTasks({ text: 'login', states: ['succeeded'], limit: 50 })).items).toEqual([]);
      for (let i = 0; i < 5; i += 1) await addTask(e, { prompt: `batch item ${i}` });
      const first = await e.store.listTasks({ text: 'batch', limit: 3 });
      expect(first.items).toHaveLength(3);
      const second = await e.store.listTasks({ text: 'batch', limit: 3, cursor: first.nextCursor ?? undefined });
      expect(second.items).toHaveLength(2);
      expect(second.nextCursor).toBeNull();
    });

    it('rolls spend up per hour and reads it back by time range', async () => {
      const e = env();
      e.clock.set(Date.UTC(2026, 10, 21, 9, 59, 50));
      const { task } = await runningTask(e, { project: 'web' });
      const report = (u: TaskUsage) => e.store.reportProgress({ claim: claimOf(task), nowMs: e.clock.nowMs(), iterations: [], logs: [], usage: u });
      await report(usage(100, 1));
      e.clock.set(Date.UTC(2026, 10, 21, 10, 0, 5));
      await report(usage(300, 1.5));
      await report(usage(350, 2));
      const nine = Date.UTC(2026, 10, 21, 9);
      expect(await e.store.usageHourly({ sinceMs: nine - HOUR, untilMs: e.clock.nowMs() })).toEqual([
        { hour: nine, usd: 1, tokens: 100 },
        { hour: nine + HOUR, usd: 1, tokens: 250 },
      ]);
      expect(await e.store.usageHourly({ sinceMs: nine + 30 * 60_000, untilMs: e.clock.nowMs() })).toEqual([
        { hour: nine, usd: 1, tokens: 100 },
        { hour: nine + HOUR, usd: 1, tokens: 250 },
      ]);
      expect(await e.store.usageHourly({ sinceMs: nine + HOUR, untilMs: e.clock.nowMs() })).toHaveLength(1);
    });

    it('counts tasks that ended since a time by final state', async () => {
      const e = env();
      e.clock.set(Date.UTC(2026, 10, 21, 8));
      const { task: early } = await runningTask(e);
      await e.store.completeAttempt({ claim: claimOf(early), nowMs: e.clock.nowMs(), outcome: 'failed', reason: 'agent_failed', message: null, usage: usage(0, 0) });
      const since = Date.UTC(2026, 10, 21, 12);
      e.clock.set(since + 1000);
      const { task: late } = await runningTask(e);
      await e.store.completeAttempt({ claim: claimOf(late), nowMs: e.clock.nowMs(), outcome: 'failed', reason: 'agent_failed', message: null, usage: usage(0, 0) });
      const queued = await addTask(e);
      await e.store.requestControl({ taskId: queued.id, desire: 'stop', nowMs: e.clock.nowMs(), actor: 'admin:t' });
      expect(await e.store.countFinishedSince(since)).toEqual({ succeeded: 0, failed: 1, cancelled: 1 });
      expect(await e.store.countFinishedSince(0)).toEqual({ succeeded: 0, failed: 2, cancelled: 1 });
    });

    it('reads events of given types newest first, paging backwards by seq', async () => {
      const e = env();
      const tasks = [];
      for (let i = 0; i < 4; i += 1) tasks.push(await addTask(e, { prompt: `t${i}` }));
      await e.store.setKillSwitch({ on: true, reason: 'test', nowMs: e.clock.nowMs(), actor: 'admin:a' });
      await e.store.addGuidance({ taskId: tasks[0]!.id, text: 'hint', nowMs: e.clock.nowMs(), actor: 'admin:a' });
      const types = ['task.created', 'killswitch.changed', 'task.guided'] as const;
      const all = await e.store.readEventsNewestFirst({ types, limit: 100 });
      expect(all.map((x) => x.type)).toEqual(['task.guided', 'killswitch.changed', 'task.created', 'task.created', 'task.created', 'task.created']);
      expect(all.map((x) => x.seq)).toEqual([...all.map((x) => x.seq)].sort((a, b) => b - a));
      const page1 = await e.store.readEventsNewestFirst({ types, limit: 2 });
      const page2 = await e.store.readEventsNewestFirst({ types, limit: 2, beforeSeq: page1[1]!.seq });
      const page3 = await e.store.readEventsNewestFirst({ types, limit: 2, beforeSeq: page2[1]!.seq });
      expect([...page1, ...page2, ...page3].map((x) => x.seq)).toEqual(all.map((x) => x.seq));
      expect(await e.store.readEventsNewestFirst({ types: ['token.revoked'], limit: 10 })).toEqual([]);
    });
  });
}
