import { describe, expect, it } from 'vitest';
import { FLEET_BUDGET, utcDay } from '../../../core/budgets.js';
import { claimOf, runningTask, addTask, type EnvGetter } from './contract-fixtures.js';

export function usageBudgetContract(env: EnvGetter): void {
  describe('usage roll-ups and daily budgets', () => {
    it('rolls up usage deltas per day, project and node, never twice for a retried report, across attempts', async () => {
      const e = env();
      const { task, node } = await runningTask(e, { project: 'web' });
      const report = (usage: { iterations: number; tokensIn: number; tokensOut: number; usd: number }) => ({ claim: claimOf(task), nowMs: e.clock.nowMs(), iterations: [], logs: [], usage });
      await e.store.reportProgress(report({ iterations: 1, tokensIn: 100, tokensOut: 10, usd: 0.5 }));
      await e.store.reportProgress(report({ iterations: 1, tokensIn: 100, tokensOut: 10, usd: 0.5 })); // retried
      await e.store.reportProgress(report({ iterations: 2, tokensIn: 300, tokensOut: 30, usd: 1.25 }));
      await e.store.completeAttempt({ claim: claimOf(task), nowMs: e.clock.nowMs(), outcome: 'succeeded', reason: 'agent_done', message: null, usage: { iterations: 2, tokensIn: 400, tokensOut: 40, usd: 1.5 } });
      const spent = await e.store.spendOn(utcDay(e.clock.nowMs()));
      expect(spent.get('web')).toEqual({ usd: 1.5, tokens: 440 });
      const byNode = await e.store.usageReport({ by: 'node', days: 1, nowMs: e.clock.nowMs(), limit: 10, offset: 0 });
      expect(byNode).toEqual([{ key: node.id, tokensIn: 400, tokensOut: 40, usd: 1.5 }]);
      const byProject = await e.store.usageReport({ by: 'project', days: 7, nowMs: e.clock.nowMs(), limit: 10, offset: 0 });
      expect(byProject.map((r) => r.key)).toEqual(['web']);
      expect(await e.store.spendOn('1999-01-01')).toEqual(new Map());
    });

    it('sets, lists and clears budgets (event budget.changed); admission input only when a budget exists', async () => {
      const e = env();
      const t = await addTask(e, { project: 'web', guardrails: { maxIterations: 1, timeoutMs: null, iterationTimeoutMs: null, budgetTokens: null, budgetUsd: 2, stuckAfterIterations: null } });
      expect(await e.store.loadAdmission({ taskIds: [t.id], nowMs: e.clock.nowMs() })).toBeNull();
      await e.store.setBudget({ project: 'web', dailyUsd: 5, dailyTokens: null, actor: 'admin', nowMs: e.clock.nowMs() });
      await e.store.setBudget({ project: FLEET_BUDGET, dailyUsd: null, dailyTokens: 1_000_000, actor: 'admin', nowMs: e.clock.nowMs() });
      expect(await e.store.listBudgets()).toEqual([
        { project: FLEET_BUDGET, dailyUsd: null, dailyTokens: 1_000_000 },
        { project: 'web', dailyUsd: 5, dailyTokens: null },
      ]);
      const adm = await e.store.loadAdmission({ taskIds: [t.id], nowMs: e.clock.nowMs() });
      expect(adm?.tasks).toEqual([{ id: t.id, project: 'web', budgetUsd: 2, budgetTokens: null }]);
      await e.store.setBudget({ project: 'web', dailyUsd: null, dailyTokens: null, actor: 'admin', nowMs: e.clock.nowMs() });
      expect((await e.store.listBudgets()).map((b) => b.project)).toEqual([FLEET_BUDGET]);
      const events = await e.store.readEvents({ afterSeq: 0, limit: 10, types: ['budget.changed'] });
      expect(events.map((ev) => ev.data)).toEqual([
        { project: 'web', dailyUsd: 5, dailyTokens: null, actor: 'admin' },
        { fleet: true, dailyUsd: null, dailyTokens: 1_000_000, actor: 'admin' },
        { project: 'web', dailyUsd: null, dailyTokens: null, actor: 'admin' },
      ]);
    });
  });
}
