import { sql } from 'kysely';
import type { EventType, StoredEvent } from '../../../core/events.js';
import { eventFromRow, MAX_EVENTS_PER_READ } from './events-sql.js';
import { boundLimit } from './numbers.js';
import type { Db } from './sql-context.js';

/**
 * One task's events of the given types, newest first (seq < `beforeSeq` when given). Walks the
 * index on events(task_id, seq) backwards: never a scan of the fleet's events. The type is
 * compared as an expression (`type || ''`) so that no planner picks the index on (type, seq)
 * instead, which would walk every task's events of that type.
 */
export async function readTaskEventsNewestFirst(
  db: Db,
  input: { taskId: string; types: readonly EventType[]; beforeSeq?: number | undefined; limit: number },
): Promise<readonly StoredEvent[]> {
  if (input.types.length === 0) return [];
  let q = db
    .selectFrom('events')
    .selectAll()
    .where('task_id', '=', input.taskId)
    .where(sql<string>`(${sql.ref('type')} || '')`, 'in', [...input.types]);
  if (input.beforeSeq !== undefined) q = q.where('seq', '<', input.beforeSeq);
  const rows = await q.orderBy('seq', 'desc').limit(boundLimit(input.limit, MAX_EVENTS_PER_READ)).execute();
  return rows.map(eventFromRow);
}
