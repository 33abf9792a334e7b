import type { NewEvent } from '../../../core/events.js';
import type { Lockdown } from '../../../core/lockdown.js';
import type { KillSwitch } from '../../../core/ports/store.js';
import { insertEvents } from './events-sql.js';
import { fromBool, toBool, toNumOrNull } from './numbers.js';
import type { Db, SqlContext } from './sql-context.js';

/** The lockdown lives in the settings row (id 1), beside the kill switch. */
export async function readLockdown(db: Db): Promise<Lockdown> {
  const row = await db
    .selectFrom('settings')
    .select(['lockdown_on', 'lockdown_reason', 'lockdown_changed_at', 'lockdown_changed_by'])
    .where('id', '=', 1)
    .executeTakeFirst();
  if (row === undefined) return { on: false, reason: null, changedAt: null, changedBy: null };
  return { on: toBool(row.lockdown_on), reason: row.lockdown_reason, changedAt: toNumOrNull(row.lockdown_changed_at), changedBy: row.lockdown_changed_by };
}

/** The kill switch and the lockdown in one read of the settings row (every heartbeat answers with both). */
export async function readFleetSwitches(db: Db): Promise<{ killSwitch: KillSwitch; lockdown: Lockdown }> {
  const row = await db.selectFrom('settings').selectAll().where('id', '=', 1).executeTakeFirst();
  if (row === undefined) return { killSwitch: { on: false, reason: null, changedAt: null, changedBy: null }, lockdown: { on: false, reason: null, changedAt: null, changedBy: null } };
  return {
    killSwitch: { on: toBool(row.killswitch_on), reason: row.killswitch_reason, changedAt: toNumOrNull(row.killswitch_changed_at), changedBy: row.killswitch_changed_by },
    lockdown: { on: toBool(row.lockdown_on), reason: row.lockdown_reason, changedAt: toNumOrNull(row.lockdown_changed_at), changedBy: row.lockdown_changed_by },
  };
}

/** Set the lockdown; turning it on also turns the kill switch on (one transaction, two events). */
export async function setLockdown(ctx: SqlContext, input: { on: boolean; reason: string | null; nowMs: number; actor: string }): Promise<Lockdown> {
  return ctx.runInTx(async (tx) => {
    const set = { lockdown_on: fromBool(input.on), lockdown_reason: input.reason, lockdown_changed_at: input.nowMs, lockdown_changed_by: input.actor };
    const events: NewEvent[] = [{ type: 'lockdown.changed', taskId: null, nodeId: null, data: { on: input.on, reason: input.reason, actor: input.actor } }];
    if (input.on) {
      await tx
        .updateTable('settings')
        .set({ ...set, killswitch_on: 1, killswitch_reason: input.reason ?? 'lockdown', killswitch_changed_at: input.nowMs, killswitch_changed_by: input.actor })
        .where('id', '=', 1)
        .execute();
      events.push({ type: 'killswitch.changed', taskId: null, nodeId: null, data: { on: true, reason: input.reason ?? 'lockdown', actor: input.actor } });
    } else {
      await tx.updateTable('settings').set(set).where('id', '=', 1).execute();
    }
    await insertEvents(tx, events, input.nowMs);
    return readLockdown(tx);
  });
}
