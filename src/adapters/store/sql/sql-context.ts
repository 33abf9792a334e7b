import type { Kysely } from 'kysely';
import type { Database } from './database.js';

export type Db = Kysely<Database>;

/**
 * What the dialect-neutral store code needs from a dialect: a handle for reads, and a way to run
 * a function in one write transaction. The function receives the handle it must use for every
 * statement of that transaction.
 */
export interface SqlContext {
  readonly db: Db;
  runInTx<T>(fn: (tx: Db) => Promise<T>): Promise<T>;
}
