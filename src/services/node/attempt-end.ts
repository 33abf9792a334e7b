import { isCorticalError } from '../../core/errors.js';
import type { HqLink } from '../../core/ports/hq-link.js';
import type { Logger } from '../../core/ports/logger.js';
import type { Workspaces } from '../../core/ports/workspace.js';
import type { LoopVerdict } from '../../core/guardrails-types.js';
import type { ReasonCode, Task, TaskUsage } from '../../core/task.js';
import type { ProgressOutbox } from './progress-outbox.js';
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

/** What interrupted an attempt from outside: a stop, the kill switch, a lost lease, the node's shutdown. */
export type Interrupt = 'stop' | 'killswitch' | 'lease_lost' | 'shutdown';

/** How an interrupt ends the attempt; null = not interrupted. */
export function interruptEnd(interrupt: Interrupt | null): AttemptEnd | null {
  switch (interrupt) {
    case 'shutdown':
      return { kind: 'shutdown' };
    case 'lease_lost':
      return { kind: 'lease_lost' };
    case 'killswitch':
      return done('requeue', 'killswitch', 'the kill switch is on');
    case 'stop':
      return done('cancelled', 'stopped', 'stopped on request');
    default:
      return null;
  }
}

/** The completion a final loop verdict (succeed or fail) makes. */
export function verdictEnd(v: LoopVerdict): Completion {
  if (v.action === 'succeed') return done('succeeded', v.reason);
  if (v.action === 'fail') return done('failed', v.reason, v.message);
  return done('failed', 'agent_failed', 'unexpected verdict');
}

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

/**
 * Ends a finished attempt: drains its outbox, sends the completion, marks the workspace finished
 * (not for a requeue). Even when the last progress report was refused (the lease is gone: a zombie
 * or partitioned node coming back), the completion is sent: HQ alone decides, and its fencing
 * check rejects it and records the stale attempt's report in the task's history (`lease.rejected`,
 * operation `complete`). 'lease_lost' = the attempt then ends as a lost lease.
 */
export async function finishAttempt(input: {
  deps: { hq: HqLink; logger: Logger; workspaces: Pick<Workspaces, 'markFinished'>; clock: { nowMs(): number } };
  task: Task;
  end: Completion & { usage: TaskUsage; runtimeMs: number };
  outbox: Pick<ProgressOutbox, 'drain'>;
  workspacePath: string | null;
  signal: AbortSignal;
}): Promise<'lease_lost' | 'finished'> {
  const { deps, end } = input;
  const drained = await input.outbox.drain(input.signal);
  const sent = await completeWithRetry(deps, input.task, end, input.signal);
  if (drained === 'lease_lost' || sent === 'lease_lost') return 'lease_lost';
  if (end.outcome !== 'requeue' && input.workspacePath !== null) {
    await deps.workspaces
      .markFinished(input.workspacePath, deps.clock.nowMs(), end.outcome)
      .catch((e: unknown) => deps.logger.warn({ err: (e as Error).message }, 'could not mark the workspace finished'));
  }
  return 'finished';
}
