/**
 * Daily budgets of projects and of the fleet, and admission: which queued tasks may start now.
 * Pure: the store supplies today's spend; the scheduler keeps the tasks this refuses queued with
 * reason `budget_exhausted`.
 */

/** The fleet's budget is kept under this project name (not a valid project name). */
export const FLEET_BUDGET = '*';

export interface DailyBudget {
  /** A project, or FLEET_BUDGET. */
  readonly project: string;
  readonly dailyUsd: number | null;
  readonly dailyTokens: number | null;
}

export interface Spend {
  readonly usd: number;
  readonly tokens: number;
}

export const NO_SPEND: Spend = { usd: 0, tokens: 0 };

/** The UTC day of a time, `YYYY-MM-DD` (budgets and roll-ups are per UTC day). */
export function utcDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

export interface AdmissionTask {
  readonly id: string;
  readonly project: string;
  /** The task's own caps: a task that may spend more than what is left waits. */
  readonly budgetUsd: number | null;
  readonly budgetTokens: number | null;
}

function money(usd: number): string {
  return `$${usd.toFixed(2)}`;
}

/**
 * Why `task` may not start under `budget` given `spent` today and `held` (what tasks admitted in
 * this pass may still spend); null = it may.
 */
function refusal(task: AdmissionTask, budget: DailyBudget | undefined, spent: Spend, held: Spend, what: string): string | null {
  if (budget === undefined) return null;
  const heldUsd = held.usd > 0 ? ` (${money(held.usd)} more held by tasks starting now)` : '';
  const heldTokens = held.tokens > 0 ? ` (${held.tokens} more held by tasks starting now)` : '';
  if (budget.dailyUsd !== null) {
    const left = budget.dailyUsd - spent.usd - held.usd;
    if (left <= 0 || (task.budgetUsd !== null && task.budgetUsd > left)) {
      const used = `${what}: ${money(spent.usd)} of ${money(budget.dailyUsd)} spent today${heldUsd}`;
      return left <= 0 ? used : `${used}; this task may spend up to ${money(task.budgetUsd ?? 0)}`;
    }
  }
  if (budget.dailyTokens !== null) {
    const left = budget.dailyTokens - spent.tokens - held.tokens;
    if (left <= 0 || (task.budgetTokens !== null && task.budgetTokens > left)) {
      const used = `${what}: ${spent.tokens} of ${budget.dailyTokens} tokens used today${heldTokens}`;
      return left <= 0 ? used : `${used}; this task may use up to ${task.budgetTokens ?? 0}`;
    }
  }
  return null;
}

/**
 * Splits queued tasks into those that may start and those held back by their project's or the
 * fleet's daily budget (with the reason in words). O(tasks) with map lookups.
 */
export function admitByBudget(
  tasks: readonly AdmissionTask[],
  budgets: ReadonlyMap<string, DailyBudget>,
  spentToday: ReadonlyMap<string, Spend>,
): { admitted: Set<string>; refused: { taskId: string; detail: string }[] } {
  const admitted = new Set<string>();
  const refused: { taskId: string; detail: string }[] = [];
  const fleet = budgets.get(FLEET_BUDGET);
  const fleetSpent = [...spentToday.values()].reduce((a, s) => ({ usd: a.usd + s.usd, tokens: a.tokens + s.tokens }), NO_SPEND);
  // What admitted tasks may still spend is reserved as they are admitted, so several capped tasks
  // that each fit what is left cannot start together and overshoot the day's budget.
  let fleetReserved = NO_SPEND;
  const reserved = new Map<string, Spend>();
  const plus = (a: Spend, t: AdmissionTask): Spend => ({ usd: a.usd + (t.budgetUsd ?? 0), tokens: a.tokens + (t.budgetTokens ?? 0) });
  for (const t of tasks) {
    const why =
      refusal(t, fleet, fleetSpent, fleetReserved, 'the fleet') ??
      refusal(t, budgets.get(t.project), spentToday.get(t.project) ?? NO_SPEND, reserved.get(t.project) ?? NO_SPEND, `project ${t.project}`);
    if (why === null) {
      admitted.add(t.id);
      fleetReserved = plus(fleetReserved, t);
      reserved.set(t.project, plus(reserved.get(t.project) ?? NO_SPEND, t));
    } else refused.push({ taskId: t.id, detail: why });
  }
  return { admitted, refused };
}
