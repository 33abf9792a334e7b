import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { CorticalError } from '../../../core/errors.js';
import type { Database } from '../sql/database.js';
import { runMigrations } from '../sql/migrations/run-migrations.js';
import type { Db, SqlContext } from '../sql/sql-context.js';
import { migratedOrClosed, SqlStore } from '../sql/sql-store.js';
import { redactUrl } from './pg-errors.js';
import { sleep } from './pg-retry.js';
import { parsePostgresSettings, type PostgresSettings, type PostgresStoreOptions } from './postgres-options.js';
import { runPostgresTx } from './postgres-transaction.js';
import { ResilientPool } from './resilient-pool.js';

export type { PostgresStoreOptions } from './postgres-options.js';
export type { RetryNotice, RetryPolicy } from './pg-retry.js';

const INT8_OID = 20;
const NUMERIC_OID = 1700;

/** 64-bit integers and numerics (sums) come back as numbers, not strings (epoch ms, counters). */
const NUMERIC_TYPES: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID || oid === NUMERIC_OID ? (value: string) => Number(value) : (pg.types.getTypeParser(oid, format) as (value: string) => unknown)) as pg.CustomTypesConfig['getTypeParser'],
};

const MIGRATE_TRIES = 3;

/**
 * The store on PostgreSQL: the shared SQL store code (Kysely) over a pg pool. Several instances
 * (one per HQ replica) may share one database: write transactions run SERIALIZABLE (a few hot
 * single-row ones READ COMMITTED with row locks) and are retried when PostgreSQL aborts one for a
 * concurrent one, and events are committed in the order
 * of their sequence numbers (see docs/scale-out.md). Transient connection errors are retried a
 * bounded number of times; the connection password never appears in messages.
 */
export class PostgresStore extends SqlStore {
  private closed = false;

  private constructor(
    private readonly db: Db,
    private readonly settings: PostgresSettings,
    /** The server's URL with the password masked, for logs. */
    readonly displayUrl: string,
    ctx: SqlContext,
  ) {
    super(ctx);
  }

  /** A store on `url` (no connection is opened yet); call `migrate()` before use. */
  static open(url: string, options: PostgresStoreOptions = {}): PostgresStore {
    const settings = parsePostgresSettings(url, options);
    const where = redactUrl(url);
    const pool = new pg.Pool({
      connectionString: url,
      max: settings.poolSize,
      application_name: settings.applicationName,
      connectionTimeoutMillis: settings.connectTimeoutMs,
      types: NUMERIC_TYPES,
      ...(settings.schema === null ? {} : { options: `-c search_path=${settings.schema}` }),
    });
    // An idle connection the server closed: pg drops it from the pool; without a listener the
    // 'error' event would end the process.
    pool.on('error', (e) => options.onPoolError?.(e));
    const resilient = new ResilientPool(pool, settings.retry, where, options.onRetry);
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: resilient }) });
    const ctx: SqlContext = {
      db,
      flavor: 'postgres',
      runInTx: (fn, tx) => runPostgresTx(db, resilient, settings.retry, where, fn, tx?.isolation ?? 'serializable'),
    };
    return new PostgresStore(db, settings, where, ctx);
  }

  /** Open and migrate. */
  static async create(url: string, options: PostgresStoreOptions = {}): Promise<PostgresStore> {
    return migratedOrClosed(PostgresStore.open(url, options));
  }

  /**
   * Create the schema when one was asked for, then apply pending migrations (flavor
   * `postgres`). Replicas starting together may race on creating the migration tables; the
   * loser tries again and finds them.
   */
  async migrate(): Promise<void> {
    // Reach the server first, so that a wrong URL or a server down reads as such (UNAVAILABLE),
    // not as a failed migration.
    const { rows } = await sql<{ schema: string | null }>`select current_schema() as schema`.execute(this.db);
    if (this.settings.schema !== null) await this.ensureSchema(this.settings.schema);
    const schema = this.settings.schema ?? rows[0]?.schema ?? null;
    if (schema === null) {
      throw new CorticalError('UNAVAILABLE', `PostgreSQL at ${this.displayUrl}: no schema to create the tables in (the search_path names none that exists); set the schema option`);
    }
    for (let attempt = 1; ; attempt++) {
      try {
        await runMigrations(this.db as unknown as Kysely<unknown>, 'postgres', schema);
        return;
      } catch (e) {
        if (attempt >= MIGRATE_TRIES) throw e;
        await sleep(50 * attempt);
      }
    }
  }

  private async ensureSchema(schema: string): Promise<void> {
    try {
      await sql`create schema if not exists ${sql.id(schema)}`.execute(this.db);
    } catch (e) {
      // Created by another replica at the same moment.
      const code = e instanceof CorticalError ? e.details.driverCode : null;
      if (code !== '23505' && code !== '42P06') throw e;
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.db.destroy();
  }
}
