import type { Kysely, SelectQueryBuilder } from 'kysely';
import type { Database } from './database.js';
import type { SqlFlavor } from './sql-flavor.js';

export type Db = Kysely<Database>;

/**
 * How strictly a write transaction is isolated from concurrent ones. SQLite has one writer and
 * ignores it. On PostgreSQL:
 * - `serializable` (the default): the shared read-check-write code behaves as if every
 *   transaction ran alone; PostgreSQL aborts one of two conflicting transactions (retried).
 * - `read_committed`: for hot single-row operations that lock what they change (`forUpdate`)
 *   and read nothing whose change by another transaction could make their write wrong; they
 *   never abort for a concurrent transaction and take no predicate locks.
 */
export type TxIsolation = 'serializable' | 'read_committed';

export interface TxOptions {
  readonly isolation?: TxIsolation;
}

/**
 * What the dialect-neutral store code needs from a dialect: a handle for reads, and a way to run
 * a function in one write transaction. The function receives the handle it must use for every
 * statement of that transaction.
 */
export interface SqlContext {
  readonly db: Db;
  readonly flavor: SqlFlavor;
  runInTx<T>(fn: (tx: Db) => Promise<T>, options?: TxOptions): Promise<T>;
}

/**
 * Lock the selected rows until the transaction ends (PostgreSQL `FOR UPDATE`); SQLite's single
 * writer already holds every row of a write transaction, and has no such clause.
 */
export function forUpdate<DB, TB extends keyof DB, O>(
  ctx: SqlContext,
  q: SelectQueryBuilder<DB, TB, O>,
): SelectQueryBuilder<DB, TB, O> {
  return ctx.flavor === 'postgres' ? q.forUpdate() : q;
}
