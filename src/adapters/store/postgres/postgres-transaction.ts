import { sql } from 'kysely';
import { CorticalError } from '../../../core/errors.js';
import type { Db, TxIsolation } from '../sql/sql-context.js';
import { transientKind, translatePgError } from './pg-errors.js';
import type { RetryPolicy } from './pg-retry.js';
import type { ResilientPool } from './resilient-pool.js';

type Phase = 'acquire' | 'body' | 'commit';

/**
 * Run `fn` in one transaction (SERIALIZABLE unless asked otherwise) on one pooled connection, and run it again (bounded,
 * with back-off) when PostgreSQL aborts it for a concurrent transaction (40001, 40P01) or the
 * connection breaks before COMMIT. Serializable isolation makes the shared read-check-write code
 * behave as if every transaction ran alone (as on SQLite's single writer), whichever HQ replica
 * runs it; `fn` must therefore be safe to run again, which the store's operations are (they keep
 * all their state inside the transaction).
 *
 * A connection lost during COMMIT is not retried: the transaction may have committed, so the
 * caller gets a retryable UNAVAILABLE that says the outcome is unknown.
 */
export async function runPostgresTx<T>(
  db: Db,
  pool: ResilientPool,
  policy: RetryPolicy,
  where: string,
  fn: (tx: Db) => Promise<T>,
  isolation: TxIsolation = 'serializable',
): Promise<T> {
  const begin = isolation === 'serializable' ? sql`begin isolation level serializable` : sql`begin isolation level read committed`;
  for (let attempt = 1; ; attempt++) {
    const at: { phase: Phase } = { phase: 'acquire' };
    try {
      return await db.connection().execute(async (conn) => {
        at.phase = 'body';
        await begin.execute(conn);
        let result: T;
        try {
          result = await fn(conn);
        } catch (e) {
          await rollbackQuietly(conn);
          throw e;
        }
        at.phase = 'commit';
        await sql`commit`.execute(conn);
        return result;
      });
    } catch (e) {
      const kind = transientKind(e);
      // `acquire` failures were already retried by the pool.
      if (kind === null || at.phase === 'acquire') throw translatePgError(e, where);
      if (kind === 'connection' && at.phase === 'commit') {
        throw new CorticalError(
          'UNAVAILABLE',
          `the connection to PostgreSQL at ${where} broke during COMMIT: the change may or may not have been saved; read it back before retrying`,
          { driverCode: (e as { code?: unknown }).code ?? null, outcomeUnknown: true },
          true,
        );
      }
      if (attempt >= policy.attempts) throw translatePgError(e, where);
      await pool.pause(e, 'transaction', attempt);
    }
  }
}

async function rollbackQuietly(conn: Db): Promise<void> {
  try {
    await sql`rollback`.execute(conn);
  } catch {
    // The connection is gone or the transaction already ended; the server rolls back either way.
  }
}
