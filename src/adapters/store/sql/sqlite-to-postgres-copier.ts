import { existsSync } from 'node:fs';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect, sql } from 'kysely';
import pg from 'pg';
import { CorticalError } from '../../../core/errors.js';
import type { StoreCopier, StoreCopyReport, StoreCopyRequest, TableCopyReport } from '../../../core/ports/store-copy.js';
import { redactUrl, translatePgError } from '../postgres/pg-errors.js';
import { PostgresStore } from '../postgres/postgres-store.js';
import { advanceIdentitySequences, COPY_ORDER, copyTables, countRows, occupiedTables } from './copy-store.js';
import type { Database } from './database.js';
import { storeMigrations } from './migrations/migrations.js';
import { MIGRATION_TABLE } from './migrations/run-migrations.js';

/**
 * `cortical migrate`: an embedded fleet's SQLite file into an empty PostgreSQL database.
 *
 * - The source is opened in SQLite's exclusive locking mode and `BEGIN EXCLUSIVE` is taken before
 *   anything is read: this fails at once when another process (an embedded HQ) has the file open,
 *   keeps any from opening it during the copy, and makes every read see one consistent state.
 *   Its content is never changed: the transaction is rolled back (closing the connection may fold
 *   the write-ahead log into the file, as closing any SQLite connection does).
 * - The source must be at this version's latest schema; the target is migrated to it.
 * - The whole copy runs in ONE target transaction that first locks every store table: on any
 *   error nothing is left behind, and no one writes to the target meanwhile. A target holding
 *   any data is refused (checked inside that transaction).
 */
export class SqliteToPostgresCopier implements StoreCopier {
  async copy(request: StoreCopyRequest): Promise<StoreCopyReport> {
    const started = Date.now();
    const to = redactUrl(request.toPostgresUrl);
    const source = openSource(request.fromSqlitePath);
    try {
      await checkSourceSchema(source.db, request.fromSqlitePath);
      const totals = await countRows(source.db);
      const target = openTarget(request.toPostgresUrl);
      try {
        let tables: TableCopyReport[];
        let lastEventSeq: number;
        if (request.dryRun) {
          await guard(to, () => refuseOccupiedIfMigrated(target, to));
          tables = COPY_ORDER.map((table) => ({ table, rows: totals.get(table) ?? 0, copied: 0 }));
          lastEventSeq = await sourceLastEventSeq(source.db);
        } else {
          await migrateTarget(request.toPostgresUrl);
          ({ tables, lastEventSeq } = await guard(to, () =>
            target.transaction().execute(async (tx) => {
              await sql`lock table ${sql.join(COPY_ORDER.map((t) => sql.table(t)))} in exclusive mode`.execute(tx);
              await refuseOccupied(tx, to);
              const copied = await copyTables({ source: source.db, target: tx, totals, batchRows: request.batchRows, onProgress: request.onProgress });
              return { tables: copied, lastEventSeq: await advanceIdentitySequences(tx) };
            }),
          ));
        }
        const totalRows = tables.reduce((n, t) => n + t.rows, 0);
        const copiedRows = tables.reduce((n, t) => n + t.copied, 0);
        return { from: request.fromSqlitePath, to, dryRun: request.dryRun, tables, totalRows, copiedRows, lastEventSeq, durationMs: Date.now() - started };
      } finally {
        await target.destroy();
      }
    } finally {
      await source.close();
    }
  }
}

interface Source {
  readonly db: Kysely<Database>;
  close(): Promise<void>;
}

function openSource(path: string): Source {
  if (!existsSync(path)) throw new CorticalError('VALIDATION_FAILED', `no SQLite database at ${path} (the embedded HQ keeps it at <data-dir>/cortical.db)`, { field: 'from' });
  let raw: BetterSqlite3.Database;
  try {
    raw = new BetterSqlite3(path, { fileMustExist: true, timeout: 0 });
    raw.pragma('locking_mode = EXCLUSIVE');
    raw.exec('BEGIN EXCLUSIVE');
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED') {
      throw new CorticalError(
        'CONFLICT',
        `the SQLite database ${path} is in use by another process (is an embedded HQ, \`cortical up\` or \`cortical hq\`, running on it?): stop it and run migrate again`,
        { field: 'from' },
      );
    }
    if (code === 'SQLITE_NOTADB') throw new CorticalError('VALIDATION_FAILED', `${path} is not an SQLite database`, { field: 'from' });
    throw new CorticalError('UNAVAILABLE', `could not open the SQLite database ${path}: ${(e as Error).message}`, { field: 'from' });
  }
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: raw }) });
  return {
    db,
    close: async () => {
      if (raw.inTransaction) raw.exec('ROLLBACK');
      await db.destroy();
      if (raw.open) raw.close();
    },
  };
}

async function checkSourceSchema(db: Kysely<Database>, path: string): Promise<void> {
  const known = Object.keys(storeMigrations('sqlite'));
  let applied: string[];
  try {
    const { rows } = await sql<{ name: string }>`select name from ${sql.table(MIGRATION_TABLE)} order by name`.execute(db);
    applied = rows.map((r) => r.name);
  } catch {
    throw new CorticalError('VALIDATION_FAILED', `${path} is not a Cortical HQ database (it has no ${MIGRATION_TABLE} table)`, { field: 'from' });
  }
  const unknown = applied.filter((n) => !known.includes(n));
  if (unknown.length > 0) {
    throw new CorticalError('VALIDATION_FAILED', `${path} was migrated by a newer Cortical (schema ${unknown.join(', ')}); run migrate with that version`, { field: 'from' });
  }
  const missing = known.filter((n) => !applied.includes(n));
  if (missing.length > 0) {
    throw new CorticalError(
      'VALIDATION_FAILED',
      `${path} is at an older schema (${missing.length} migration(s) pending, from ${missing[0]}): start the embedded HQ of this version on it once (\`cortical up\` or \`cortical hq\`) so it migrates, stop it, then run migrate again`,
      { field: 'from' },
    );
  }
}

function openTarget(url: string): Kysely<Database> {
  const pool = new pg.Pool({ connectionString: url, max: 1, application_name: 'cortical-migrate', connectionTimeoutMillis: 10_000 });
  pool.on('error', () => undefined);
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
}

async function migrateTarget(url: string): Promise<void> {
  const store = await PostgresStore.create(url, { applicationName: 'cortical-migrate', poolSize: 1 });
  await store.close();
}

async function refuseOccupied(db: Kysely<Database>, to: string): Promise<void> {
  const occupied = await occupiedTables(db);
  if (occupied.length === 0) return;
  const what = occupied.map((o) => `${o.table}: ${o.rows}`).join(', ');
  throw new CorticalError(
    'CONFLICT',
    `the target database ${to} is not empty (${what}); migrate copies into an empty database only: create a new database (or drop this one's tables) and do not start HQ replicas on it before the copy`,
    { field: 'to' },
  );
}

/** Dry run: the target may not have the tables yet (nothing is created); when it has, it must be empty. */
async function refuseOccupiedIfMigrated(db: Kysely<Database>, to: string): Promise<void> {
  const { rows } = await sql<{ t: string | null }>`select to_regclass('tasks')::text as t`.execute(db);
  if (rows[0]?.t !== null && rows[0]?.t !== undefined) await refuseOccupied(db, to);
}

async function sourceLastEventSeq(db: Kysely<Database>): Promise<number> {
  const { rows } = await sql<{ max: number | null }>`select max(seq) as max from events`.execute(db);
  return rows[0]?.max ?? 0;
}

/** Errors of the target connection, with the password masked. */
async function guard<T>(where: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw translatePgError(e, where);
  }
}
