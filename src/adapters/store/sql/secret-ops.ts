import type { SqlContext } from './sql-context.js';

/**
 * The secret stored under `name`, creating it from `candidate` when there is none yet. Safe when
 * several HQ replicas race: the first insert wins and everybody reads the stored value.
 */
export async function ensureSecret(ctx: SqlContext, input: { name: string; candidate: string; nowMs: number }): Promise<string> {
  await ctx.db
    .insertInto('hq_secrets')
    .values({ name: input.name, value: input.candidate, created_at: input.nowMs })
    .onConflict((oc) => oc.column('name').doNothing())
    .execute();
  const row = await ctx.db.selectFrom('hq_secrets').select('value').where('name', '=', input.name).executeTakeFirstOrThrow();
  return row.value;
}
