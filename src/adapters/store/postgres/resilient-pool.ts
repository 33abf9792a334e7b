import type { PostgresCursor, PostgresPool, PostgresPoolClient, PostgresQueryResult } from 'kysely';
import type pg from 'pg';
import { transientKind, translatePgError } from './pg-errors.js';
import { backoffMs, noticeOf, sleep, type RetryHook, type RetryPolicy } from './pg-retry.js';

const TX_OPEN = /^\s*(?:begin|start\s+transaction)\b/i;
const TX_CLOSE = /^\s*(?:commit|rollback|end|abort)\b/i;
/** Statements that may run again after a broken connection without changing anything twice. */
const READ_ONLY = /^\s*select\b/i;

/**
 * The pool Kysely's PostgresDialect draws connections from, over a pg Pool:
 * - opening a connection is retried (bounded, with back-off) while the server refuses or drops
 *   it; when it still fails the caller gets UNAVAILABLE naming the server (password masked);
 * - a read (`select`) outside a transaction whose connection breaks is run again on a fresh
 *   connection; writes and statements inside a transaction are never re-run here (the
 *   transaction runner retries whole transactions);
 * - errors of statements outside a transaction are translated into the error family;
 * - a connection that broke, or is handed back inside a transaction, is destroyed, not reused.
 */
export class ResilientPool implements PostgresPool {
  constructor(
    private readonly pool: pg.Pool,
    private readonly policy: RetryPolicy,
    readonly where: string,
    private readonly onRetry: RetryHook | undefined,
  ) {}

  async connect(): Promise<PostgresPoolClient> {
    return new ResilientClient(this, this.policy, await this.rawConnect());
  }

  /** A connection from the pg pool; transient failures to open one are retried. */
  async rawConnect(): Promise<pg.PoolClient> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.pool.connect();
      } catch (e) {
        const kind = transientKind(e);
        if (kind === null || attempt >= this.policy.attempts) throw translatePgError(e, this.where);
        await this.pause(e, 'connect', attempt);
      }
    }
  }

  /** Tell the hook, then wait out the back-off before try `attempt + 1`. */
  async pause(e: unknown, scope: 'connect' | 'statement' | 'transaction', attempt: number): Promise<void> {
    const delayMs = backoffMs(this.policy, attempt);
    const kind = transientKind(e) ?? 'connection';
    try {
      this.onRetry?.(noticeOf(e, scope, kind, attempt, delayMs));
    } catch {
      // a failing hook must not stop the retry
    }
    await sleep(delayMs);
  }

  end(): Promise<void> {
    return this.pool.end();
  }
}

class ResilientClient implements PostgresPoolClient {
  private client: pg.PoolClient | null;
  private inTx = false;
  private broken: Error | undefined;

  /**
   * pg emits 'error' on a checked-out client whose socket dies between queries; unheard, that
   * event would end the process. Heard here, it marks the connection broken.
   */
  private readonly onError = (e: Error): void => {
    this.broken ??= e;
  };

  constructor(
    private readonly owner: ResilientPool,
    private readonly policy: RetryPolicy,
    client: pg.PoolClient,
  ) {
    this.client = this.hold(client);
  }

  private hold(client: pg.PoolClient): pg.PoolClient {
    client.on('error', this.onError);
    return client;
  }

  /** Back to the pool, or destroyed when broken (then still heard: late socket errors are ignored). */
  private giveBack(client: pg.PoolClient): void {
    const broken = this.broken;
    this.broken = undefined;
    if (broken === undefined) client.removeListener('error', this.onError);
    client.release(broken);
  }

  query<R>(sql: string, parameters: ReadonlyArray<unknown>): Promise<PostgresQueryResult<R>>;
  query<R>(cursor: PostgresCursor<R>): PostgresCursor<R>;
  query<R>(sqlOrCursor: string | PostgresCursor<R>, parameters?: ReadonlyArray<unknown>): Promise<PostgresQueryResult<R>> | PostgresCursor<R> {
    if (typeof sqlOrCursor !== 'string') throw new Error('the PostgreSQL store does not stream query results');
    return this.run<R>(sqlOrCursor, parameters ?? []);
  }

  private async run<R>(text: string, parameters: ReadonlyArray<unknown>): Promise<PostgresQueryResult<R>> {
    const opens = TX_OPEN.test(text);
    const closes = TX_CLOSE.test(text);
    const autocommit = !this.inTx && !opens;
    const rerunnable = autocommit && READ_ONLY.test(text);
    for (let attempt = 1; ; attempt++) {
      const client = this.client;
      if (client === null) throw new Error('PostgreSQL connection used after it was released');
      try {
        const result = await client.query(text, [...parameters]);
        if (opens) this.inTx = true;
        if (closes) this.inTx = false;
        return result as unknown as PostgresQueryResult<R>;
      } catch (e) {
        if (closes) this.inTx = false;
        const kind = transientKind(e);
        if (kind === 'connection' && e instanceof Error) this.broken = e;
        if (!rerunnable || kind !== 'connection' || attempt >= this.policy.attempts) {
          // Inside a transaction the raw error goes to the transaction runner, which decides.
          throw autocommit ? translatePgError(e, this.owner.where) : e;
        }
        await this.owner.pause(e, 'statement', attempt);
        this.client = null;
        this.broken ??= e instanceof Error ? e : new Error(String(e));
        this.giveBack(client);
        this.client = this.hold(await this.owner.rawConnect());
      }
    }
  }

  release(): void {
    if (this.client === null) return;
    // Handed back inside a transaction (a failed rollback): never let it be reused half way.
    if (this.inTx && this.broken === undefined) this.broken = new Error('connection released inside a transaction');
    const client = this.client;
    this.client = null;
    this.giveBack(client);
  }
}
