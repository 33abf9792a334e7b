/** Builds HQ's store from its settings: SQLite (single preset) or PostgreSQL (cluster), migrated. */
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { PostgresStore } from '../adapters/store/postgres/postgres-store.js';
import { SqliteStore } from '../adapters/store/sqlite/sqlite-store.js';
import type { Logger } from '../core/ports/logger.js';
import type { Store } from '../core/ports/store.js';
import type { StoreSetting } from './hq-settings.js';
import { redactSecrets } from './redact.js';

export interface BuiltStore {
  readonly store: Store;
  /** Whether several HQ processes may share this store (PostgreSQL). */
  readonly shared: boolean;
  /** Where the store is, with secrets masked (for logs). */
  readonly display: string;
}

/** Open the store and apply its migrations; failures say where, never with a password. */
export async function createStore(setting: StoreSetting, logger: Logger): Promise<BuiltStore> {
  if (setting.kind === 'sqlite') {
    await mkdir(dirname(setting.path), { recursive: true, mode: 0o700 });
    const store = await SqliteStore.create(setting.path);
    return { store, shared: false, display: `sqlite:${setting.path}` };
  }
  const display = redactSecrets(setting.url);
  const log = logger.child({ component: 'postgres-store' });
  try {
    const store = await PostgresStore.create(setting.url, {
      applicationName: 'cortical-hq',
      // Serialization conflicts between replicas are expected and retried; connection trouble is not.
      onRetry: (n) => {
        const fields = { scope: n.scope, kind: n.kind, attempt: n.attempt, code: n.code, delayMs: n.delayMs, err: redactSecrets(n.message) };
        if (n.kind === 'serialization') log.debug(fields, 'transaction conflict; retrying');
        else log.warn(fields, 'database connection failed; retrying');
      },
      onPoolError: (e) => log.warn({ err: redactSecrets(e.message) }, 'an idle database connection failed; it was dropped from the pool'),
    });
    return { store, shared: true, display };
  } catch (e) {
    throw new Error(`cannot open the PostgreSQL store at ${display}: ${redactSecrets(e instanceof Error ? e.message : String(e))}`, { cause: e });
  }
}
