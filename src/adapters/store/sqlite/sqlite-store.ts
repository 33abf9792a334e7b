import BetterSqlite3 from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import type { Database } from '../sql/database.js';
import { runMigrations } from '../sql/migrations/run-migrations.js';
import type { Db, SqlContext } from '../sql/sql-context.js';
import { migratedOrClosed, SqlStore } from '../sql/sql-store.js';
import { runSqliteTx } from './sqlite-transaction.js';

export interface SqliteStoreOptions {
  /** How long a writer waits for another process's lock before failing. */
  readonly busyTimeoutMs?: number | undefined;
}

export const DEFAULT_BUSY_TIMEOUT_MS = 5_000;

/**
 * The embedded store: one SQLite file (or `:memory:`) through better-sqlite3, WAL journal,
 * foreign keys on. All statements go through one connection; write transactions are
 * `BEGIN IMMEDIATE`.
 */
export class SqliteStore extends SqlStore {
  private closed = false;

  private constructor(
    private readonly raw: BetterSqlite3.Database,
    private readonly db: Db,
    ctx: SqlContext,
  ) {
    super(ctx);
  }

  /** Open (creating when missing) a database file; call `migrate()` before use. */
  static open(filename: string, options: SqliteStoreOptions = {}): SqliteStore {
    const raw = new BetterSqlite3(filename);
    raw.pragma(`busy_timeout = ${Math.max(0, Math.floor(options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS))}`);
    raw.pragma('journal_mode = WAL');
    raw.pragma('synchronous = NORMAL');
    raw.pragma('foreign_keys = ON');
    const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: raw }) });
    const ctx: SqlContext = { db, flavor: 'sqlite', runInTx: (fn) => runSqliteTx(raw, db, fn) };
    return new SqliteStore(raw, db, ctx);
  }

  /** Open and migrate. */
  static async create(filename: string, options: SqliteStoreOptions = {}): Promise<SqliteStore> {
    return migratedOrClosed(SqliteStore.open(filename, options));
  }

  async migrate(): Promise<void> {
    await runMigrations(this.db as unknown as Kysely<unknown>, 'sqlite');
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.db.destroy();
    if (this.raw.open) this.raw.close();
  }
}
