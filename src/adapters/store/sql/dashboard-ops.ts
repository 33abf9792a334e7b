/** Reads behind the dashboard: the audit log, spend per hour, tasks that ended since a time. */
import type { EventType, StoredEvent } from '../../../core/events.js';
import type { FinishedCounts, HourlySpend } from '../../../core/ports/store.js';
import { eventFromRow, MAX_EVENTS_PER_READ } from './events-sql.js';
import { boundLimit, toNum } from './numbers.js';
import type { Db } from './sql-context.js';

export const HOUR_MS = 3_600_000;

/**
 * Events of the given types with seq < `beforeSeq`, newest first, at most `limit`. Each type is
 * read through `events_type_idx` (type, seq) as its own bounded query and the results merged,
 * so the cost is (types × limit) rows however large the event log is.
 */
export async function readEventsNewestFirst(
  db: Db,
  input: { types: readonly EventType[]; beforeSeq?: number | undefined; limit: number },
): Promise<StoredEvent[]> {
  const limit = boundLimit(input.limit, MAX_EVENTS_PER_READ);
  const merged: StoredEvent[] = [];
  for (const type of new Set(input.types)) {
    let q = db.selectFrom('events').selectAll().where('type', '=', type);
    if (input.beforeSeq !== undefined) q = q.where('seq', '<', input.beforeSeq);
    const rows = await q.orderBy('seq', 'desc').limit(limit).execute();
    merged.push(...rows.map(eventFromRow));
  }
  merged.sort((a, b) => b.seq - a.seq);
  return merged.slice(0, limit);
}

/** Spend per hour from `sinceMs` (rounded down to its hour) to `untilMs`, hours without spend left out. */
export async function usageHourly(db: Db, input: { sinceMs: number; untilMs: number }): Promise<HourlySpend[]> {
  const since = Math.floor(input.sinceMs / HOUR_MS) * HOUR_MS;
  const rows = await db
    .selectFrom('usage_hourly')
    .selectAll()
    .where('hour', '>=', since)
    .where('hour', '<=', input.untilMs)
    .orderBy('hour', 'asc')
    .limit(24 * 400)
    .execute();
  return rows.map((r) => ({ hour: toNum(r.hour), usd: Number(r.usd), tokens: toNum(r.tokens_in) + toNum(r.tokens_out) }));
}

/** How many tasks ended as succeeded, failed or cancelled at or after `sinceMs` (`tasks_finished_idx`). */
export async function countFinishedSince(db: Db, sinceMs: number): Promise<FinishedCounts> {
  const rows = await db
    .selectFrom('tasks')
    .select(['state', (eb) => eb.fn.countAll<number>().as('n')])
    .where('state', 'in', ['succeeded', 'failed', 'cancelled'])
    .where('finished_at', '>=', sinceMs)
    .groupBy('state')
    .execute();
  const out = { succeeded: 0, failed: 0, cancelled: 0 };
  for (const r of rows) out[r.state as keyof typeof out] = toNum(r.n);
  return out;
}
