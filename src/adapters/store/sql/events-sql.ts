import { sql, type Selectable } from 'kysely';
import type { EventType, NewEvent, StoredEvent } from '../../../core/events.js';
import type { EventsTable } from './database.js';
import { parseJson, toJson } from './json.js';
import { boundLimit, toNum } from './numbers.js';
import type { Db } from './sql-context.js';

export const MAX_EVENTS_PER_READ = 10_000;

/**
 * Rows per INSERT statement: keeps every statement far below the bound-parameter limits of
 * SQLite (32,766) and PostgreSQL (65,535) however many events one transaction writes.
 */
export const INSERT_CHUNK_ROWS = 1_000;

/** Split rows into INSERT-sized chunks. */
export function chunked<T>(rows: readonly T[], size = INSERT_CHUNK_ROWS): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < rows.length; i += size) out.push(rows.slice(i, i + size));
  return out;
}

/** Append events in the caller's transaction, in the order given. */
export async function insertEvents(db: Db, events: readonly NewEvent[], at: number): Promise<void> {
  for (const chunk of chunked(events)) {
    await db
      .insertInto('events')
      .values(
        chunk.map((e) => ({
          type: e.type,
          task_id: e.taskId,
          node_id: e.nodeId,
          at,
          data: toJson(e.data),
        })),
      )
      .execute();
  }
}

export function eventFromRow(row: Selectable<EventsTable>): StoredEvent {
  return {
    seq: toNum(row.seq),
    at: toNum(row.at),
    type: row.type as EventType,
    taskId: row.task_id,
    nodeId: row.node_id,
    data: parseJson<Record<string, unknown>>(row.data, 'events.data'),
  };
}

export async function readEvents(
  db: Db,
  input: { afterSeq: number; limit: number; taskId?: string | undefined; types?: readonly EventType[] | undefined },
): Promise<readonly StoredEvent[]> {
  if (input.types !== undefined && input.types.length === 0) return [];
  let q = db.selectFrom('events').selectAll().where('seq', '>', input.afterSeq);
  if (input.taskId !== undefined) q = q.where('task_id', '=', input.taskId);
  if (input.types !== undefined) {
    // With a task, compare the type as an expression so the planner keeps to events(task_id, seq)
    // instead of walking the fleet's events of that type through events(type, seq).
    q = input.taskId !== undefined ? q.where(sql<string>`(${sql.ref('type')} || '')`, 'in', [...input.types]) : q.where('type', 'in', [...input.types]);
  }
  const rows = await q.orderBy('seq', 'asc').limit(boundLimit(input.limit, MAX_EVENTS_PER_READ)).execute();
  return rows.map(eventFromRow);
}

export async function lastEventSeq(db: Db): Promise<number> {
  const row = await db
    .selectFrom('events')
    .select((eb) => eb.fn.max('seq').as('max_seq'))
    .executeTakeFirst();
  return row?.max_seq === null || row?.max_seq === undefined ? 0 : toNum(row.max_seq);
}
