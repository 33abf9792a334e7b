import type { KillSwitch } from '../../../core/ports/store.js';
import { insertEvents } from './events-sql.js';
import { toBool, toNumOrNull, fromBool } from './numbers.js';
import type { Db, SqlContext } from './sql-context.js';

/** The kill switch lives in the single settings row (id 1) created by the first migration. */
export async function readKillSwitch(db: Db): Promise<KillSwitch> {
  const row = await db.selectFrom('settings').selectAll().where('id', '=', 1).executeTakeFirst();
  if (row === undefined) return { on: false, reason: null, changedAt: null, changedBy: null };
  return {
    on: toBool(row.killswitch_on),
    reason: row.killswitch_reason,
    changedAt: toNumOrNull(row.killswitch_changed_at),
    changedBy: row.killswitch_changed_by,
  };
}

export async function setKillSwitch(
  ctx: SqlContext,
  input: { on: boolean; reason: string | null; nowMs: number; actor: string },
): Promise<KillSwitch> {
  return ctx.runInTx(async (tx) => {
    await tx
      .updateTable('settings')
      .set({
        killswitch_on: fromBool(input.on),
        killswitch_reason: input.reason,
        killswitch_changed_at: input.nowMs,
        killswitch_changed_by: input.actor,
      })
      .where('id', '=', 1)
      .execute();
    await insertEvents(
      tx,
      [{ type: 'killswitch.changed', taskId: null, nodeId: null, data: { on: input.on, reason: input.reason, actor: input.actor } }],
      input.nowMs,
    );
    return readKillSwitch(tx);
  });
}
