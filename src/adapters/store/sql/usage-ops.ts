/** Usage roll-ups per UTC day, project and node; daily budgets; admission input for the scheduler. */
import { sql } from 'kysely';
import { FLEET_BUDGET, utcDay, type AdmissionTask, type DailyBudget, type Spend } from '../../../core/budgets.js';
import { projectOf, type Task, type TaskSpec, type TaskUsage } from '../../../core/task.js';
import { insertEvents } from './events-sql.js';
import { parseJson } from './json.js';
import { toNum, toNumOrNull } from './numbers.js';
import type { Db, SqlContext } from './sql-context.js';
import type { UsageRow } from '../../../core/ports/store.js';


/**
 * Adds what a task used since its stored usage (`reported` − stored, per figure, never negative)
 * to today's roll-up of its project and node and to the fleet's roll-up of the current hour, and returns the usage to store: per figure the
 * larger of the stored and the reported one. Called in the transaction that stores the usage, so
 * a retried report adds nothing twice, and a lower (stale or out-of-order) report neither lowers
 * the stored usage nor makes the next report count the difference again. Usage is cumulative
 * over the task's life (a new attempt starts from the stored usage), so attempts never overlap.
 */
export async function rollUpUsage(db: Db, before: Task, reported: TaskUsage, nowMs: number): Promise<TaskUsage> {
  const stored = before.usage;
  const merged: TaskUsage = {
    iterations: Math.max(stored.iterations, reported.iterations),
    tokensIn: Math.max(stored.tokensIn, reported.tokensIn),
    tokensOut: Math.max(stored.tokensOut, reported.tokensOut),
    usd: Math.max(stored.usd, reported.usd),
  };
  const tokensIn = merged.tokensIn - stored.tokensIn;
  const tokensOut = merged.tokensOut - stored.tokensOut;
  const usd = merged.usd - stored.usd;
  if (tokensIn === 0 && tokensOut === 0 && usd === 0) return merged;
  await db
    .insertInto('usage_daily')
    .values({ day: utcDay(nowMs), project: projectOf(before.spec), node_id: before.nodeId ?? '-', tokens_in: tokensIn, tokens_out: tokensOut, usd })
    .onConflict((oc) =>
      oc.columns(['day', 'project', 'node_id']).doUpdateSet({
        tokens_in: sql`usage_daily.tokens_in + ${tokensIn}`,
        tokens_out: sql`usage_daily.tokens_out + ${tokensOut}`,
        usd: sql`usage_daily.usd + ${usd}`,
      }),
    )
    .execute();
  const hour = Math.floor(nowMs / 3_600_000) * 3_600_000;
  await db
    .insertInto('usage_hourly')
    .values({ hour, tokens_in: tokensIn, tokens_out: tokensOut, usd })
    .onConflict((oc) =>
      oc.column('hour').doUpdateSet({
        tokens_in: sql`usage_hourly.tokens_in + ${tokensIn}`,
        tokens_out: sql`usage_hourly.tokens_out + ${tokensOut}`,
        usd: sql`usage_hourly.usd + ${usd}`,
      }),
    )
    .execute();
  return merged;
}

export async function setBudget(ctx: SqlContext, input: DailyBudget & { actor: string; nowMs: number }): Promise<DailyBudget> {
  return ctx.runInTx(async (tx) => {
    if (input.dailyUsd === null && input.dailyTokens === null) {
      await tx.deleteFrom('budgets').where('project', '=', input.project).execute();
    } else {
      const row = { daily_usd: input.dailyUsd, daily_tokens: input.dailyTokens, actor: input.actor, updated_at: input.nowMs };
      await tx
        .insertInto('budgets')
        .values({ project: input.project, ...row })
        .onConflict((oc) => oc.column('project').doUpdateSet(row))
        .execute();
    }
    const scope = input.project === FLEET_BUDGET ? { fleet: true } : { project: input.project };
    await insertEvents(tx, [{ type: 'budget.changed', taskId: null, nodeId: null, data: { ...scope, dailyUsd: input.dailyUsd, dailyTokens: input.dailyTokens, actor: input.actor } }], input.nowMs);
    return { project: input.project, dailyUsd: input.dailyUsd, dailyTokens: input.dailyTokens };
  });
}

export async function listBudgets(db: Db): Promise<DailyBudget[]> {
  const rows = await db.selectFrom('budgets').selectAll().orderBy('project').limit(10_000).execute();
  return rows.map((r) => ({ project: r.project, dailyUsd: r.daily_usd === null ? null : Number(r.daily_usd), dailyTokens: toNumOrNull(r.daily_tokens) }));
}

/** Distinct projects of tasks, ascending (the `tasks_project_idx` index serves it). */
export async function listTaskProjects(db: Db, limit: number): Promise<string[]> {
  const rows = await db.selectFrom('tasks').select('project').distinct().orderBy('project').limit(limit).execute();
  return rows.map((r) => r.project);
}

/** Spend per project on `day`. */
export async function spendOn(db: Db, day: string): Promise<Map<string, Spend>> {
  const rows = await db
    .selectFrom('usage_daily')
    .select(['project', (eb) => eb.fn.sum<number>('tokens_in').as('tin'), (eb) => eb.fn.sum<number>('tokens_out').as('tout'), (eb) => eb.fn.sum<number>('usd').as('usd')])
    .where('day', '=', day)
    .groupBy('project')
    .execute();
  return new Map(rows.map((r) => [r.project, { usd: Number(r.usd ?? 0), tokens: toNum(r.tin ?? 0) + toNum(r.tout ?? 0) }]));
}

/**
 * What the scheduler's admission needs for these queued tasks: their projects and caps, the
 * budgets, and today's spend. Empty (nothing to check) when no budget is set.
 */
export async function loadAdmission(
  ctx: SqlContext,
  input: { taskIds: readonly string[]; nowMs: number },
): Promise<{ tasks: AdmissionTask[]; budgets: Map<string, DailyBudget>; spent: Map<string, Spend> } | null> {
  const budgets = await listBudgets(ctx.db);
  if (budgets.length === 0 || input.taskIds.length === 0) return null;
  const tasks: AdmissionTask[] = [];
  for (let i = 0; i < input.taskIds.length; i += 500) {
    const rows = await ctx.db.selectFrom('tasks').select(['id', 'spec']).where('id', 'in', input.taskIds.slice(i, i + 500)).execute();
    for (const r of rows) {
      const spec = parseJson<TaskSpec>(r.spec, 'tasks.spec');
      tasks.push({ id: r.id, project: projectOf(spec), budgetUsd: spec.guardrails.budgetUsd, budgetTokens: spec.guardrails.budgetTokens });
    }
  }
  return { tasks, budgets: new Map(budgets.map((b) => [b.project, b])), spent: await spendOn(ctx.db, utcDay(input.nowMs)) };
}

/** Usage of the last `days` UTC days (today included), grouped by project, node or day; largest spend first. */
export async function usageReport(ctx: SqlContext, input: { by: 'project' | 'node' | 'day'; days: number; nowMs: number; limit: number; offset: number }): Promise<UsageRow[]> {
  const since = utcDay(input.nowMs - (Math.max(1, input.days) - 1) * 86_400_000);
  const col = input.by === 'project' ? 'project' : input.by === 'node' ? 'node_id' : 'day';
  const rows = await ctx.db
    .selectFrom('usage_daily')
    .select([`${col} as key`, (eb) => eb.fn.sum<number>('tokens_in').as('tin'), (eb) => eb.fn.sum<number>('tokens_out').as('tout'), (eb) => eb.fn.sum<number>('usd').as('usd')])
    .where('day', '>=', since)
    .groupBy(col)
    .orderBy(input.by === 'day' ? 'key' : 'usd', 'desc')
    .orderBy('key', 'asc')
    .limit(input.limit)
    .offset(input.offset)
    .execute();
  return rows.map((r) => ({ key: String(r.key), tokensIn: toNum(r.tin ?? 0), tokensOut: toNum(r.tout ?? 0), usd: Number(r.usd ?? 0) }));
}
