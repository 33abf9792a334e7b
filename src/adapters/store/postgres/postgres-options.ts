import { z } from 'zod';
import { CorticalError } from '../../../core/errors.js';
import { DEFAULT_RETRY_POLICY, type RetryHook, type RetryPolicy } from './pg-retry.js';

/** Options of `PostgresStore.open/create`; every field is optional. */
export interface PostgresStoreOptions {
  /**
   * Keep the store's tables in this schema (created by `migrate()` when missing) instead of the
   * connection's default search_path. Lower-case letters, digits and `_`.
   */
  readonly schema?: string | undefined;
  /** Most connections this store opens at once (default 10). */
  readonly poolSize?: number | undefined;
  /** Shown in pg_stat_activity (default `cortical-hq`). */
  readonly applicationName?: string | undefined;
  /** How long opening one connection may take (default 10,000 ms). */
  readonly connectTimeoutMs?: number | undefined;
  /** Retries of transient errors (defaults: 12 tries, back-off from 10 ms up to 500 ms). */
  readonly retry?: Partial<RetryPolicy> | undefined;
  /** Told about every retry (for logs and metrics). */
  readonly onRetry?: RetryHook | undefined;
  /** Errors of idle pooled connections (the server closed them); they are dropped from the pool. */
  readonly onPoolError?: ((error: Error) => void) | undefined;
}

export interface PostgresSettings {
  readonly schema: string | null;
  readonly poolSize: number;
  readonly applicationName: string;
  readonly connectTimeoutMs: number;
  readonly retry: RetryPolicy;
}

export const DEFAULT_POOL_SIZE = 10;
export const DEFAULT_APPLICATION_NAME = 'cortical-hq';
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

const optionsSchema = z.object({
  schema: z
    .string()
    .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'a schema name is 1 to 63 lower-case letters, digits or _, not starting with a digit')
    .optional(),
  poolSize: z.number().int().min(1).max(500).optional(),
  applicationName: z.string().min(1).max(63).optional(),
  connectTimeoutMs: z.number().int().min(100).max(600_000).optional(),
  retry: z
    .object({
      attempts: z.number().int().min(1).max(100).optional(),
      baseDelayMs: z.number().int().min(0).max(60_000).optional(),
      maxDelayMs: z.number().int().min(0).max(600_000).optional(),
    })
    .optional(),
});

/** Check the URL and options; bad input is a VALIDATION_FAILED that says what is accepted. */
export function parsePostgresSettings(url: string, options: PostgresStoreOptions): PostgresSettings {
  let protocol: string;
  try {
    protocol = new URL(url).protocol;
  } catch {
    throw new CorticalError('VALIDATION_FAILED', 'the PostgreSQL store needs a URL like postgres://user@host:5432/database', { field: 'url' });
  }
  if (protocol !== 'postgres:' && protocol !== 'postgresql:') {
    throw new CorticalError('VALIDATION_FAILED', `the PostgreSQL store needs a postgres:// or postgresql:// URL, got ${protocol}//…`, { field: 'url' });
  }
  const { onRetry: _onRetry, onPoolError: _onPoolError, ...data } = options;
  const parsed = optionsSchema.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue?.path.join('.') ?? '';
    throw new CorticalError('VALIDATION_FAILED', `invalid PostgreSQL store option ${field}: ${issue?.message ?? 'invalid'}`, { field });
  }
  const o = parsed.data;
  return {
    schema: o.schema ?? null,
    poolSize: o.poolSize ?? DEFAULT_POOL_SIZE,
    applicationName: o.applicationName ?? DEFAULT_APPLICATION_NAME,
    connectTimeoutMs: o.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
    retry: {
      attempts: o.retry?.attempts ?? DEFAULT_RETRY_POLICY.attempts,
      baseDelayMs: o.retry?.baseDelayMs ?? DEFAULT_RETRY_POLICY.baseDelayMs,
      maxDelayMs: o.retry?.maxDelayMs ?? DEFAULT_RETRY_POLICY.maxDelayMs,
    },
  };
}
