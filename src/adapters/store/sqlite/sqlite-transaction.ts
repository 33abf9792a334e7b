import type BetterSqlite3 from 'better-sqlite3';
import { sql } from 'kysely';
import type { Db } from '../sql/sql-context.js';
import { translateSqliteError } from './sqlite-errors.js';

/**
 * Run `fn` in one write transaction on the store's single connection. `BEGIN IMMEDIATE` takes the
 * write lock up front, so a read-then-write transaction never fails half way with SQLITE_BUSY when
 * another process writes the same file (busy_timeout makes it wait instead).
 */
export async function runSqliteTx<T>(raw: BetterSqlite3.Database, db: Db, fn: (tx: Db) => Promise<T>): Promise<T> {
  try {
    return await db.connection().execute(async (conn) => {
      await sql`begin immediate`.execute(conn);
      try {
        const result = await fn(conn);
        await sql`commit`.execute(conn);
        return result;
      } catch (e) {
        if (raw.inTransaction) await sql`rollback`.execute(conn);
        throw e;
      }
    });
  } catch (e) {
    throw translateSqliteError(e);
  }
}
