import { FLEET_BUDGET, NO_SPEND, utcDay, type DailyBudget, type Spend } from '../../core/budgets.js';
import type { UsageRow } from '../../core/ports/store.js';
import type { HqDeps } from './hq-deps.js';
import { notify } from './notify.js';

/** Projects read from the tasks for a list (budgets and today's spend are few by nature). */
const MAX_PROJECTS = 10_000;

export interface ProjectBudgetView {
  readonly project: string;
  readonly dailyUsd: number | null;
  readonly dailyTokens: number | null;
  readonly today: Spend;
}

/**
 * Daily budgets of projects and of the fleet, and usage reports. A change wakes the scheduler:
 * tasks held back by a budget are placed as soon as it allows them (level-based).
 */
export class BudgetService {
  constructor(private readonly deps: HqDeps) {}

  async setProject(project: string, limits: { dailyUsd: number | null; dailyTokens: number | null }, actor: string): Promise<ProjectBudgetView> {
    const b = await this.deps.store.setBudget({ project, ...limits, actor, nowMs: this.deps.clock.nowMs() });
    await notify(this.deps, ['tasks.queued'], { budget: project });
    return this.view(b, (await this.today()).get(project) ?? NO_SPEND);
  }

  setFleet(limits: { dailyUsd: number | null; dailyTokens: number | null }, actor: string): Promise<ProjectBudgetView> {
    return this.setProject(FLEET_BUDGET, limits, actor);
  }

  async fleet(): Promise<ProjectBudgetView> {
    const [budgets, spent] = await Promise.all([this.deps.store.listBudgets(), this.today()]);
    const total = [...spent.values()].reduce((a, s) => ({ usd: a.usd + s.usd, tokens: a.tokens + s.tokens }), NO_SPEND);
    return this.view(budgets.find((b) => b.project === FLEET_BUDGET) ?? { project: FLEET_BUDGET, dailyUsd: null, dailyTokens: null }, total);
  }

  /**
   * Projects that have tasks, a budget or spend today, by name; offset pagination over that
   * (bounded) set.
   */
  async projects(page: { offset: number; limit: number }): Promise<{ items: ProjectBudgetView[]; total: number }> {
    const [budgets, spent, withTasks] = await Promise.all([this.deps.store.listBudgets(), this.today(), this.deps.store.listTaskProjects({ limit: MAX_PROJECTS })]);
    const byName = new Map(budgets.filter((b) => b.project !== FLEET_BUDGET).map((b) => [b.project, b]));
    const names = [...new Set([...byName.keys(), ...spent.keys(), ...withTasks])].sort();
    const items = names
      .slice(page.offset, page.offset + page.limit)
      .map((p) => this.view(byName.get(p) ?? { project: p, dailyUsd: null, dailyTokens: null }, spent.get(p) ?? NO_SPEND));
    return { items, total: names.length };
  }

  usage(input: { by: 'project' | 'node' | 'day'; days: number; offset: number; limit: number }): Promise<UsageRow[]> {
    return this.deps.store.usageReport({ ...input, nowMs: this.deps.clock.nowMs() });
  }

  private today(): Promise<ReadonlyMap<string, Spend>> {
    return this.deps.store.spendOn(utcDay(this.deps.clock.nowMs()));
  }

  private view(b: DailyBudget, today: Spend): ProjectBudgetView {
    return { project: b.project, dailyUsd: b.dailyUsd, dailyTokens: b.dailyTokens, today: { usd: Math.round(today.usd * 1e6) / 1e6, tokens: today.tokens } };
  }
}
