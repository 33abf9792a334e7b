import type { TransientKind } from './pg-errors.js';

/** Bounded retries of transient database errors, with exponential back-off and full jitter. */
export interface RetryPolicy {
  /** Tries in all (the first one included); 1 disables retries. */
  readonly attempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { attempts: 12, baseDelayMs: 10, maxDelayMs: 500 };

/** What a retry hook is told (for logs and metrics; it never sees the connection URL). */
export interface RetryNotice {
  /** `transaction`, `statement` (one statement outside a transaction) or `connect`. */
  readonly scope: 'transaction' | 'statement' | 'connect';
  readonly kind: TransientKind;
  /** The try that failed, from 1. */
  readonly attempt: number;
  readonly code: string | null;
  readonly message: string;
  readonly delayMs: number;
}

export type RetryHook = (notice: RetryNotice) => void;

/** Delay before try `attempt + 1`: uniform in [0, min(max, base·2^(attempt−1))]. */
export function backoffMs(policy: RetryPolicy, attempt: number, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(random() * ceiling);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export function noticeOf(e: unknown, scope: RetryNotice['scope'], kind: TransientKind, attempt: number, delayMs: number): RetryNotice {
  const code = typeof e === 'object' && e !== null && typeof (e as { code?: unknown }).code === 'string' ? (e as { code: string }).code : null;
  return { scope, kind, attempt, code, message: e instanceof Error ? e.message : String(e), delayMs };
}
