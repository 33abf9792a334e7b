import { describe, expect, it } from 'vitest';
import { utcDay } from '../../../core/budgets.js';
import type { TaskUsage } from '../../../core/task.js';
import { addNode, claimOf, grant, LEASE_TTL_MS, must, runningTask, type ContractEnv, type EnvGetter } from './contract-fixtures.js';

const usage = (iterations: number, tokensIn: number, tokensOut: number, usd: number): TaskUsage => ({ iterations, tokensIn, tokensOut, usd });

async function report(e: ContractEnv, task: Parameters<typeof claimOf>[0], u: TaskUsage) {
  return e.store.reportProgress({ claim: claimOf(task), nowMs: e.clock.nowMs(), iterations: [], logs: [], usage: u });
}

export function usageRollupContract(env: EnvGetter): void {
  describe('usage roll-ups across attempts and days', () => {
    it('a requeued task counts each attempt once, on the node that ran it', async () => {
      const e = env();
      const { task, node } = await runningTask(e, { project: 'web' });
      await report(e, task, usage(1, 100, 10, 1));
      const requeued = await e.store.completeAttempt({ claim: claimOf(task), nowMs: e.clock.nowMs(), outcome: 'requeue', reason: 'agent_failed', message: null, usage: usage(1, 150, 15, 1.5) });
      expect(requeued).toMatchObject({ state: 'queued', usage: usage(1, 150, 15, 1.5) });

      e.clock.advance(10_000);
      const other = await addNode(e, { name: 'node-b' });
      const again = await grant(e, task.id, other.id);
      const started = await e.store.startAttempt({ claim: claimOf(again), nowMs: e.clock.nowMs(), workspacePath: '/w/2' });
      // the new attempt reports usage cumulative over the task's life (it starts from the stored usage)
      await report(e, started, usage(2, 250, 25, 2.5));
      await e.store.completeAttempt({ claim: claimOf(started), nowMs: e.clock.nowMs(), outcome: 'succeeded', reason: 'agent_done', message: null, usage: usage(2, 250, 25, 2.5) });

      const byNode = await e.store.usageReport({ by: 'node', days: 1, nowMs: e.clock.nowMs(), limit: 10, offset: 0 });
      expect(byNode).toEqual([
        { key: node.id, tokensIn: 150, tokensOut: 15, usd: 1.5 },
        { key: other.id, tokensIn: 100, tokensOut: 10, usd: 1 },
      ]);
      expect((await e.store.spendOn(utcDay(e.clock.nowMs()))).get('web')).toEqual({ usd: 2.5, tokens: 275 });
    });

    it('a reaped lease keeps what was reported; a stale holder adds nothing', async () => {
      const e = env();
      const { task } = await runningTask(e, { project: 'web' });
      await report(e, task, usage(1, 100, 0, 1));
      e.clock.advance(LEASE_TTL_MS + 1);
      await e.store.reapExpired({ nowMs: e.clock.nowMs(), nodeLostAfterMs: 10 * LEASE_TTL_MS, limit: 10 });
      expect(must(await e.store.getTask(task.id))).toMatchObject({ state: 'queued', usage: usage(1, 100, 0, 1) });
      // the old attempt's holder reports later: fenced off, nothing counted
      await expect(report(e, task, usage(2, 900, 0, 9))).rejects.toThrow();
      expect((await e.store.spendOn(utcDay(e.clock.nowMs()))).get('web')).toEqual({ usd: 1, tokens: 100 });
    });

    it('a lower (out-of-order) report neither lowers the stored usage nor makes the next one count twice', async () => {
      const e = env();
      const { task } = await runningTask(e, { project: 'api' });
      await report(e, task, usage(2, 200, 20, 2));
      const lower = await report(e, task, usage(1, 100, 10, 1));
      expect(lower.usage).toEqual(usage(2, 200, 20, 2));
      await report(e, task, usage(3, 300, 30, 3));
      expect((await e.store.spendOn(utcDay(e.clock.nowMs()))).get('api')).toEqual({ usd: 3, tokens: 330 });
    });

    it('usage lands on the UTC day it was reported; reports cover the last N days', async () => {
      const e = env();
      e.clock.set(Date.UTC(2026, 10, 20, 23, 59, 50));
      const { task } = await runningTask(e, { project: 'web' });
      await report(e, task, usage(1, 100, 0, 1));
      e.clock.set(Date.UTC(2026, 10, 21, 0, 0, 5)); // past midnight, within the lease
      await report(e, task, usage(2, 300, 0, 4));
      expect((await e.store.spendOn('2026-11-20')).get('web')).toEqual({ usd: 1, tokens: 100 });
      expect((await e.store.spendOn('2026-11-21')).get('web')).toEqual({ usd: 3, tokens: 200 });
      const byDay = await e.store.usageReport({ by: 'day', days: 2, nowMs: e.clock.nowMs(), limit: 10, offset: 0 });
      expect(byDay).toEqual([
        { key: '2026-11-21', tokensIn: 200, tokensOut: 0, usd: 3 },
        { key: '2026-11-20', tokensIn: 100, tokensOut: 0, usd: 1 },
      ]);
      expect(await e.store.usageReport({ by: 'day', days: 1, nowMs: e.clock.nowMs(), limit: 10, offset: 0 })).toHaveLength(1);
      expect(await e.store.usageReport({ by: 'day', days: 2, nowMs: e.clock.nowMs(), limit: 1, offset: 1 })).toEqual([{ key: '2026-11-20', tokensIn: 100, tokensOut: 0, usd: 1 }]);
    });
  });
}
