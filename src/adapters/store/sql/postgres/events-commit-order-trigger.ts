import { sql, type Kysely } from 'kysely';

/**
 * PostgreSQL only. Readers follow the event log by sequence number (`seq > cursor`), so an event
 * must never become visible after one with a higher seq: with several writers, a transaction
 * that drew seq 10 could commit after one that drew seq 11, and a reader already past 11 would
 * never see 10. A statement-level BEFORE INSERT trigger takes a transaction-scoped advisory lock
 * (one per schema) before any seq is drawn, so event-writing transactions draw and commit in
 * the same order; the lock is held only from a transaction's first event insert to its end.
 * (SQLite has a single writer and needs nothing.)
 */
export const EVENTS_ORDER_LOCK_CLASS = 0x636f7274; // 'cort'

export async function createEventsCommitOrderTrigger(db: Kysely<unknown>): Promise<void> {
  await sql`
    create function events_commit_order() returns trigger language plpgsql as $$
    begin
      perform pg_advisory_xact_lock(${sql.lit(EVENTS_ORDER_LOCK_CLASS)}, hashtext(tg_table_schema));
      return null;
    end
    $$`.execute(db);
  await sql`
    create trigger events_commit_order before insert on events
    for each statement execute function events_commit_order()`.execute(db);
}

export async function dropEventsCommitOrderTrigger(db: Kysely<unknown>): Promise<void> {
  await sql`drop trigger if exists events_commit_order on events`.execute(db);
  await sql`drop function if exists events_commit_order()`.execute(db);
}
