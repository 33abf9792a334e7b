import { isCorticalError } from '../../core/errors.js';
import type { HqLink } from '../../core/ports/hq-link.js';
import type { Logger } from '../../core/ports/logger.js';
import type { ReasonCode, Task, TaskUsage } from '../../core/task.js';
import { Backoff, sleep } from './timers.js';

/** How an attempt ended: completed at HQ, lease lost (nothing to complete), or node shutdown. */
export type AttemptEnd =
  | { readonly kind: 'completed'; readonly outcome: 'succeeded' | 'failed' | 'cancelled' | 'requeue'; readonly reason: ReasonCode; readonly message: string | null }
  | { readonly kind: 'lease_lost' }
  | { readonly kind: 'shutdown' };

export type Completion = Extract<AttemptEnd, { kind: 'completed' }>;

export const done = (outcome: Completion['outcome'], reason: ReasonCode, message: string | null = null): Completion => ({
  kind: 'completed',
  outcome,
  reason,
  message,
});

/** startAttempt, retried while HQ is unreachable; null = started, else how the attempt ends. */
export async function startAttemptWithRetry(
  hq: HqLink,
  task: Task,
  workspacePath: string,
  signal: AbortSignal,
  leaseLost: () => boolean,
): Promise<AttemptEnd | null> {
  const backoff = new Backoff(500, 15_000);
  for (;;) {
    if (leaseLost()) return { kind: 'lease_lost' };
    if (signal.aborted) return { kind: 'shutdown' };
    try {
      await hq.startAttempt({ taskId: task.id, fencingToken: task.fencingToken, workspacePath });
      return null;
    } catch (e) {
      if (!isCorticalError(e) || !(e.retryable || e.code === 'UNAVAILABLE')) return { kind: 'lease_lost' };
      await sleep(backoff.nextDelayMs(), signal);
    }
  }
}

/** completeAttempt, retried while HQ is unreachable (until `signal` aborts). */
/** How sending a completion ended: accepted, refused for a lost lease, refused otherwise, or abandoned (shutdown). */
export type CompletionSent = 'accepted' | 'lease_lost' | 'refused' | 'aborted';

export async function completeWithRetry(
  deps: { hq: HqLink; logger: Logger },
  task: Task,
  end: Completion & { usage: TaskUsage; runtimeMs: number },
  signal: AbortSignal,
): Promise<CompletionSent> {
  const backoff = new Backoff(500, 15_000);
  while (!signal.aborted) {
    try {
      await deps.hq.completeAttempt({
        taskId: task.id,
        fencingToken: task.fencingToken,
        outcome: end.outcome,
        reason: end.reason,
        message: end.message,
        usage: end.usage,
        runtimeMs: end.runtimeMs,
      });
      return 'accepted';
    } catch (e) {
      if (isCorticalError(e) && e.code === 'LEASE_CONFLICT') {
        deps.logger.warn({ taskId: task.id, fencingToken: task.fencingToken }, 'HQ rejected the completion: this attempt no longer holds the lease');
        return 'lease_lost';
      }
      if (isCorticalError(e) && (e.code === 'UNAVAILABLE' || e.retryable)) {
        await sleep(backoff.nextDelayMs(), signal);
      } else {
        deps.logger.warn({ taskId: task.id, err: (e as Error).message }, 'completing the attempt failed');
        return 'refused';
      }
    }
  }
  return 'aborted';
}
