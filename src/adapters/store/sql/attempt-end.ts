import type { NewEvent } from '../../../core/events.js';
import { decideRetry } from '../../../core/retry-policy.js';
import type { ReasonCode, Task } from '../../../core/task.js';
import { requireTransition } from './task-transition.js';

export interface AttemptEnd {
  readonly next: Task;
  readonly events: readonly NewEvent[];
  readonly outcome: 'requeued' | 'failed' | 'cancelled' | 'succeeded';
}

/** End an attempt with a final outcome: the lease is released, the task is finished. */
export function finishAttempt(
  task: Task,
  outcome: 'succeeded' | 'failed' | 'cancelled',
  reason: ReasonCode,
  message: string | null,
  nowMs: number,
): AttemptEnd {
  const to = requireTransition(task, outcome === 'succeeded' ? 'succeed' : outcome === 'failed' ? 'fail' : 'cancel');
  const next: Task = { ...task, state: to, reason, message, leaseExpiresAt: null, finishedAt: nowMs, updatedAt: nowMs };
  return {
    next,
    outcome,
    events: [
      {
        type: `task.${outcome}`,
        taskId: task.id,
        nodeId: task.nodeId,
        data: { reason, message, attempt: task.attempts },
      },
    ],
  };
}

/**
 * End an attempt without a final outcome: the retry policy decides between the queue (with
 * back-off) and `failed/max_attempts`. A task whose user asked it to stop is cancelled instead.
 * Reasons that are not the task's fault (`killswitch`, `node_released`) do not count the attempt.
 */
export function retryAttempt(task: Task, reason: ReasonCode, message: string | null, nowMs: number): AttemptEnd {
  if (task.desired === 'stop') return finishAttempt(task, 'cancelled', 'stopped', message, nowMs);
  const uncounted = reason === 'killswitch' || reason === 'node_released';
  const attempts = uncounted ? Math.max(0, task.attempts - 1) : task.attempts;
  const decision = decideRetry(task.spec, attempts, reason, nowMs);
  if (decision.action === 'fail') {
    const failMessage = `gave up after ${attempts} attempts (last: ${reason}${message === null ? '' : `: ${message}`})`;
    return finishAttempt({ ...task, attempts }, 'failed', decision.reason, failMessage, nowMs);
  }
  const to = requireTransition(task, 'requeue');
  const next: Task = {
    ...task,
    state: to,
    attempts,
    reason: decision.reason,
    message,
    nodeId: null,
    leaseExpiresAt: null,
    notBefore: decision.notBefore,
    updatedAt: nowMs,
  };
  return {
    next,
    outcome: 'requeued',
    events: [
      {
        type: 'task.requeued',
        taskId: task.id,
        nodeId: task.nodeId,
        data: { reason: decision.reason, message, notBefore: decision.notBefore, attempts, counted: !uncounted },
      },
    ],
  };
}
