import type { ReasonCode, TaskSpec } from './task.js';

export type RetryDecision =
  | { readonly action: 'requeue'; readonly notBefore: number; readonly reason: ReasonCode }
  | { readonly action: 'fail'; readonly reason: 'max_attempts' };

export const MAX_BACKOFF_MS = 5 * 60_000;

/**
 * After an attempt ends without a final outcome (lease expired, node lost, released): requeue
 * with exponential back-off, or fail when the attempts are used up. `attempts` counts attempts
 * started so far. Reasons that are not the task's fault (`killswitch`, `node_released`) requeue
 * without back-off and without counting against `maxAttempts`.
 */
export function decideRetry(
  spec: Pick<TaskSpec, 'maxAttempts' | 'retryBackoffMs'>,
  attempts: number,
  reason: ReasonCode,
  nowMs: number,
): RetryDecision {
  if (reason === 'killswitch' || reason === 'node_released') {
    return { action: 'requeue', notBefore: nowMs, reason };
  }
  if (attempts >= spec.maxAttempts) return { action: 'fail', reason: 'max_attempts' };
  const exp = Math.max(0, attempts - 1);
  const delay = Math.min(MAX_BACKOFF_MS, spec.retryBackoffMs * 2 ** Math.min(exp, 30));
  return { action: 'requeue', notBefore: nowMs + delay, reason };
}
