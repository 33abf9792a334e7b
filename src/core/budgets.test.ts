import { describe, expect, it } from 'vitest';
import { admitByBudget, FLEET_BUDGET, utcDay, type AdmissionTask, type DailyBudget } from './budgets.js';

const task = (id: string, project: string, budgetUsd: number | null = null, budgetTokens: number | null = null): AdmissionTask => ({ id, project, budgetUsd, budgetTokens });
const budget = (project: string, dailyUsd: number | null, dailyTokens: number | null = null): [string, DailyBudget] => [project, { project, dailyUsd, dailyTokens }];

describe('admission by daily budgets', () => {
  it('holds back tasks of a project that spent its budget, with the reason; others run', () => {
    const r = admitByBudget([task('a', 'web'), task('b', 'api')], new Map([budget('web', 5)]), new Map([['web', { usd: 5.2, tokens: 10 }]]));
    expect([...r.admitted]).toEqual(['b']);
    expect(r.refused).toEqual([{ taskId: 'a', detail: 'project web: $5.20 of $5.00 spent today' }]);
  });

  it("holds back a task whose own cap is more than what is left of the project's day", () => {
    const r = admitByBudget([task('a', 'web', 2), task('b', 'web', 0.5)], new Map([budget('web', 5)]), new Map([['web', { usd: 4.2, tokens: 0 }]]));
    expect([...r.admitted]).toEqual(['b']);
    expect(r.refused[0]?.detail).toBe('project web: $4.20 of $5.00 spent today; this task may spend up to $2.00');
  });

  it('token budgets, and the fleet budget over all projects', () => {
    const spent = new Map([
      ['web', { usd: 1, tokens: 900 }],
      ['api', { usd: 2, tokens: 50 }],
    ]);
    const tokens = admitByBudget([task('a', 'web'), task('b', 'web', null, 200)], new Map([budget('web', null, 1000)]), new Map([['web', { usd: 0, tokens: 900 }]]));
    expect([...tokens.admitted]).toEqual(['a']);
    const fleet = admitByBudget([task('a', 'web'), task('b', 'other')], new Map([budget(FLEET_BUDGET, 3)]), spent);
    expect([...fleet.admitted]).toEqual([]);
    expect(fleet.refused.map((x) => x.detail)).toEqual(['the fleet: $3.00 of $3.00 spent today', 'the fleet: $3.00 of $3.00 spent today']);
  });

  it('reserves what admitted tasks may spend: capped tasks that each fit cannot start together over the budget', () => {
    const r = admitByBudget([task('a', 'web', 0.6), task('b', 'web', 0.6), task('c', 'web', null)], new Map([budget('web', 5)]), new Map([['web', { usd: 4, tokens: 0 }]]));
    expect([...r.admitted]).toEqual(['a', 'c']);
    expect(r.refused[0]).toEqual({ taskId: 'b', detail: 'project web: $4.00 of $5.00 spent today ($0.60 more held by tasks starting now); this task may spend up to $0.60' });
  });

  it('no budget set: everything may run', () => {
    expect([...admitByBudget([task('a', 'x')], new Map(), new Map([['x', { usd: 1e6, tokens: 1e9 }]])).admitted]).toEqual(['a']);
    expect(utcDay(Date.UTC(2026, 10, 21, 23, 59))).toBe('2026-11-21');
  });
});
