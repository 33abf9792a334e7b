import type { Selectable } from 'kysely';
import type { Guidance } from '../../../core/task.js';
import type { GuidanceTable } from './database.js';
import { toNum, toNumOrNull } from './numbers.js';
import type { Db } from './sql-context.js';

export function guidanceFromRow(row: Selectable<GuidanceTable>): Guidance {
  return {
    taskId: row.task_id,
    seq: toNum(row.seq),
    text: row.text,
    actor: row.actor,
    createdAt: toNum(row.created_at),
    deliveredAt: toNumOrNull(row.delivered_at),
    deliveryMode: deliveryModeOf(row.delivery_mode),
  };
}

function deliveryModeOf(v: string | null): Guidance['deliveryMode'] {
  return v === 'live' || v === 'interrupt_resume' || v === 'next_iteration' ? v : null;
}

/** Guidance not yet delivered, ascending seq. */
export async function pendingGuidance(db: Db, taskId: string): Promise<readonly Guidance[]> {
  const rows = await db
    .selectFrom('guidance')
    .selectAll()
    .where('task_id', '=', taskId)
    .where('delivered_at', 'is', null)
    .orderBy('seq', 'asc')
    .execute();
  return rows.map(guidanceFromRow);
}
