/**
 * Loop guardrails: pure decisions over a loop's limits and progress. The loop runner asks
 * `beforeIteration` before it starts an iteration, `budgetExceeded` on every usage report while
 * one runs (so a budget is overshot by at most one report), and `afterIteration` when it ended.
 */
import type { IterationOutcome, LoopProgress, LoopVerdict } from './guardrails-types.js';
import type { GuardrailLimits, LoopMode, TaskUsage } from './task.js';

const CONTINUE: LoopVerdict = { action: 'continue' };

function fail(reason: 'max_iterations' | 'timeout' | 'budget_exceeded' | 'iteration_timeout' | 'agent_failed', message: string): LoopVerdict {
  return { action: 'fail', reason, message };
}

/** The loop's progress: an attempt's cumulative usage, running time and unchanged streak. */
export function loopProgress(usage: TaskUsage, elapsedMs: number, unchangedStreak: number): LoopProgress {
  return { iterations: usage.iterations, elapsedMs, tokens: usage.tokensIn + usage.tokensOut, usd: usage.usd, unchangedStreak };
}

/** The first budget (tokens, then dollars) that is used up, as a failing verdict; null if none. */
export function budgetExceeded(limits: GuardrailLimits, progress: LoopProgress): LoopVerdict | null {
  if (limits.budgetTokens !== null && progress.tokens >= limits.budgetTokens) {
    return fail('budget_exceeded', `token budget used up: ${progress.tokens} of ${limits.budgetTokens} tokens`);
  }
  if (limits.budgetUsd !== null && progress.usd >= limits.budgetUsd) {
    return fail('budget_exceeded', `dollar budget used up: $${progress.usd.toFixed(4)} of $${limits.budgetUsd}`);
  }
  return null;
}

function timeUp(limits: GuardrailLimits, progress: LoopProgress): LoopVerdict | null {
  if (limits.timeoutMs !== null && progress.elapsedMs >= limits.timeoutMs) {
    return fail('timeout', `task ran for ${progress.elapsedMs} ms, limit ${limits.timeoutMs} ms`);
  }
  return null;
}

function iterationsUsed(limits: GuardrailLimits, progress: LoopProgress): LoopVerdict | null {
  if (limits.maxIterations !== null && progress.iterations >= limits.maxIterations) {
    return fail('max_iterations', `reached the limit of ${limits.maxIterations} iterations`);
  }
  return null;
}

/**
 * May the loop start another iteration? `continue`, or a failing verdict with its reason. Time and
 * budgets are cumulative over attempts in both modes, and so is the iteration limit of a `loop`.
 * A `once` task ends with the verdict of its first iteration that is not cut short, so the
 * iteration limit does not apply to it here. Its earlier attempts' iterations ran, but their
 * outcomes never reached HQ (a lost node, an expired lease), so a new attempt runs the iteration
 * again. Otherwise the requeued task would fail with `max_iterations` without running.
 */
export function beforeIteration(limits: GuardrailLimits, progress: LoopProgress, mode: LoopMode): LoopVerdict {
  return (mode === 'once' ? null : iterationsUsed(limits, progress)) ?? timeUp(limits, progress) ?? budgetExceeded(limits, progress) ?? CONTINUE;
}

/**
 * How the loop goes on after an iteration ended. `progress` already counts that iteration (its
 * usage, its time, and the unchanged streak updated by its workspace change).
 */
export function afterIteration(
  limits: GuardrailLimits,
  mode: LoopMode,
  progress: LoopProgress,
  outcome: IterationOutcome,
): LoopVerdict {
  if (outcome.timedOut) {
    return fail('iteration_timeout', `iteration ${progress.iterations} ran past ${limits.iterationTimeoutMs ?? 0} ms`);
  }
  if (outcome.untilPassed === true) return { action: 'succeed', reason: 'until_passed' };
  // With an `until` check the check decides: an AI agent ends every run saying it is done.
  if (outcome.agentDone && outcome.untilPassed === null) return { action: 'succeed', reason: 'agent_done' };
  if (outcome.agentFailed) return fail('agent_failed', `agent reported failure in iteration ${progress.iterations}`);
  if (mode === 'once') {
    if (outcome.exitCode === 0) return { action: 'succeed', reason: 'once_completed' };
    return fail('agent_failed', `agent exited with ${describeExit(outcome.exitCode)}`);
  }
  const limit = budgetExceeded(limits, progress) ?? timeUp(limits, progress) ?? iterationsUsed(limits, progress);
  if (limit !== null) return limit;
  if (limits.stuckAfterIterations !== null && progress.unchangedStreak >= limits.stuckAfterIterations) {
    return {
      action: 'pause',
      reason: 'stuck',
      message: `${progress.unchangedStreak} iterations in a row changed nothing in the workspace`,
    };
  }
  return CONTINUE;
}

/**
 * How long the next iteration may run: the smaller of the iteration timeout and the time left
 * of the total timeout; null when neither is set. Never negative.
 */
export function iterationDeadlineMs(limits: GuardrailLimits, progress: LoopProgress): number | null {
  const remaining = limits.timeoutMs === null ? null : Math.max(0, limits.timeoutMs - progress.elapsedMs);
  const perIteration = limits.iterationTimeoutMs;
  if (remaining === null) return perIteration;
  if (perIteration === null) return remaining;
  return Math.min(perIteration, remaining);
}

function describeExit(exitCode: number | null): string {
  return exitCode === null ? 'no exit code (killed by a signal)' : `exit code ${exitCode}`;
}

/** What stopped or marked an iteration besides its outcome. */
export interface IterationStops {
  /** The iteration's deadline passed; `totalBinds`: the deadline was the task's total timeout. */
  readonly timedOut: boolean;
  readonly totalBinds: boolean;
  /** The budget verdict that stopped the iteration, if one did. */
  readonly budgetStop: LoopVerdict | null;
  /** Stopped by a control (stop, kill switch, lease lost, shutdown). */
  readonly interrupted: boolean;
  /** The model endpoint refused the agent's credentials (message), or null. */
  readonly authFailed: string | null;
  readonly rateLimited: boolean;
  readonly agent: string;
}

/**
 * The verdict after an iteration, from its outcome and what stopped it: a budget stop wins, then
 * an auth refusal, then a rate limit (`rate_limited`: the caller tries the next fallback, unless
 * the iteration succeeded anyway), then the total timeout, then the guardrails.
 */
export function iterationVerdict(
  limits: GuardrailLimits,
  mode: LoopMode,
  progress: LoopProgress,
  outcome: IterationOutcome,
  stops: IterationStops,
): LoopVerdict | 'rate_limited' {
  if (stops.budgetStop !== null) return stops.budgetStop;
  const base = afterIteration(limits, mode, progress, outcome);
  if (stops.interrupted) return base;
  if (stops.authFailed !== null) return { action: 'fail', reason: 'auth_failed', message: `${stops.agent}: the model endpoint refused the credentials: ${stops.authFailed}` };
  if (stops.rateLimited && base.action !== 'succeed') return 'rate_limited';
  if (stops.timedOut && stops.totalBinds) return { action: 'fail', reason: 'timeout', message: `the task ran out of time (${limits.timeoutMs ?? 0} ms)` };
  return base;
}
