import { describe, expect, it } from 'vitest';
import { afterIteration, beforeIteration, budgetExceeded, iterationDeadlineMs, loopProgress } from './guardrails.js';
import type { IterationOutcome, LoopProgress } from './guardrails-types.js';
import type { GuardrailLimits } from './task.js';

const NO_LIMITS: GuardrailLimits = {
  maxIterations: null,
  timeoutMs: null,
  iterationTimeoutMs: null,
  budgetTokens: null,
  budgetUsd: null,
  stuckAfterIterations: null,
};
const START: LoopProgress = { iterations: 0, elapsedMs: 0, tokens: 0, usd: 0, unchangedStreak: 0 };
const CLEAN_EXIT: IterationOutcome = {
  exitCode: 0,
  timedOut: false,
  agentDone: false,
  agentFailed: false,
  untilPassed: null,
  workspaceChanged: true,
};

const lim = (l: Partial<GuardrailLimits>): GuardrailLimits => ({ ...NO_LIMITS, ...l });
const prog = (p: Partial<LoopProgress>): LoopProgress => ({ ...START, ...p });
const out = (o: Partial<IterationOutcome>): IterationOutcome => ({ ...CLEAN_EXIT, ...o });

describe('loopProgress', () => {
  it('adds tokens in and out, keeps iterations, dollars, running time and the streak', () => {
    expect(loopProgress({ iterations: 3, tokensIn: 120, tokensOut: 30, usd: 0.5 }, 9_000, 2)).toEqual({ iterations: 3, elapsedMs: 9_000, tokens: 150, usd: 0.5, unchangedStreak: 2 });
  });
});

describe('beforeIteration', () => {
  const rows: [string, GuardrailLimits, LoopProgress, string, string | null][] = [
    ['no limits', NO_LIMITS, prog({ iterations: 99, elapsedMs: 1e9, tokens: 1e9, usd: 1e6 }), 'continue', null],
    ['under every limit', lim({ maxIterations: 3, timeoutMs: 100, budgetTokens: 10, budgetUsd: 1 }), prog({ iterations: 2, elapsedMs: 99, tokens: 9, usd: 0.99 }), 'continue', null],
    ['max iterations reached', lim({ maxIterations: 3 }), prog({ iterations: 3 }), 'fail', 'max_iterations'],
    ['total time used up', lim({ timeoutMs: 100 }), prog({ elapsedMs: 100 }), 'fail', 'timeout'],
    ['token budget used up', lim({ budgetTokens: 10 }), prog({ tokens: 10 }), 'fail', 'budget_exceeded'],
    ['dollar budget used up', lim({ budgetUsd: 1 }), prog({ usd: 1 }), 'fail', 'budget_exceeded'],
    ['iterations win over time', lim({ maxIterations: 1, timeoutMs: 1 }), prog({ iterations: 1, elapsedMs: 5 }), 'fail', 'max_iterations'],
    ['time wins over budget', lim({ timeoutMs: 1, budgetTokens: 1 }), prog({ elapsedMs: 5, tokens: 5 }), 'fail', 'timeout'],
  ];
  it.each(rows)('%s', (_name, limits, progress, action, reason) => {
    const v = beforeIteration(limits, progress, 'loop');
    expect(v.action).toBe(action);
    expect(v.action === 'continue' ? null : v.reason).toBe(reason);
  });

  it('once: an attempt after one whose outcome was lost runs its iteration again; time and budgets still apply', () => {
    expect(beforeIteration(lim({ maxIterations: 1 }), prog({ iterations: 1 }), 'once').action).toBe('continue');
    expect(beforeIteration(lim({ maxIterations: 1 }), prog({ iterations: 1 }), 'loop')).toMatchObject({ action: 'fail', reason: 'max_iterations' });
    expect(beforeIteration(lim({ maxIterations: 1, timeoutMs: 100 }), prog({ iterations: 1, elapsedMs: 100 }), 'once')).toMatchObject({ action: 'fail', reason: 'timeout' });
    expect(beforeIteration(lim({ maxIterations: 1, budgetUsd: 1 }), prog({ iterations: 1, usd: 1 }), 'once')).toMatchObject({ action: 'fail', reason: 'budget_exceeded' });
  });
});

describe('afterIteration', () => {
  const rows: [string, GuardrailLimits, 'once' | 'loop', LoopProgress, IterationOutcome, string, string | null][] = [
    ['iteration timed out', NO_LIMITS, 'loop', prog({ iterations: 1 }), out({ timedOut: true, untilPassed: true, agentDone: true }), 'fail', 'iteration_timeout'],
    ['until passed', lim({ maxIterations: 1 }), 'loop', prog({ iterations: 1 }), out({ untilPassed: true, agentFailed: true }), 'succeed', 'until_passed'],
    ['agent done (no until check)', lim({ budgetTokens: 1 }), 'loop', prog({ iterations: 1, tokens: 5 }), out({ agentDone: true, untilPassed: null }), 'succeed', 'agent_done'],
    ['agent done, but the until check fails: the check decides', NO_LIMITS, 'loop', prog({ iterations: 1 }), out({ agentDone: true, untilPassed: false }), 'continue', null],
    ['agent failed', NO_LIMITS, 'loop', prog({ iterations: 1 }), out({ agentFailed: true }), 'fail', 'agent_failed'],
    ['once, exit 0', NO_LIMITS, 'once', prog({ iterations: 1 }), out({}), 'succeed', 'once_completed'],
    ['once, exit 1', NO_LIMITS, 'once', prog({ iterations: 1 }), out({ exitCode: 1 }), 'fail', 'agent_failed'],
    ['once, killed', NO_LIMITS, 'once', prog({ iterations: 1 }), out({ exitCode: null }), 'fail', 'agent_failed'],
    ['loop, token budget', lim({ budgetTokens: 10 }), 'loop', prog({ iterations: 1, tokens: 12 }), out({}), 'fail', 'budget_exceeded'],
    ['loop, dollar budget', lim({ budgetUsd: 0.5 }), 'loop', prog({ iterations: 1, usd: 0.5 }), out({}), 'fail', 'budget_exceeded'],
    ['loop, total timeout', lim({ timeoutMs: 1000 }), 'loop', prog({ iterations: 1, elapsedMs: 1000 }), out({}), 'fail', 'timeout'],
    ['loop, max iterations', lim({ maxIterations: 2 }), 'loop', prog({ iterations: 2 }), out({}), 'fail', 'max_iterations'],
    ['loop, stuck', lim({ stuckAfterIterations: 2 }), 'loop', prog({ iterations: 2, unchangedStreak: 2 }), out({ workspaceChanged: false }), 'pause', 'stuck'],
    ['loop, not yet stuck', lim({ stuckAfterIterations: 3 }), 'loop', prog({ iterations: 2, unchangedStreak: 2 }), out({ workspaceChanged: false }), 'continue', null],
    ['loop, crash continues', lim({ maxIterations: 5 }), 'loop', prog({ iterations: 1 }), out({ exitCode: 137 }), 'continue', null],
    ['loop, until failed continues', NO_LIMITS, 'loop', prog({ iterations: 1 }), out({ untilPassed: false }), 'continue', null],
  ];
  it.each(rows)('%s', (_name, limits, mode, progress, outcome, action, reason) => {
    const v = afterIteration(limits, mode, progress, outcome);
    expect(v.action).toBe(action);
    expect(v.action === 'continue' ? null : v.reason).toBe(reason);
    if (v.action === 'fail' || v.action === 'pause') expect(v.message.length).toBeGreaterThan(0);
  });
});

describe('budgetExceeded', () => {
  const rows: [string, GuardrailLimits, LoopProgress, string | null][] = [
    ['no budgets', NO_LIMITS, prog({ tokens: 1e9, usd: 1e9 }), null],
    ['under', lim({ budgetTokens: 100, budgetUsd: 1 }), prog({ tokens: 99, usd: 0.9 }), null],
    ['tokens', lim({ budgetTokens: 100 }), prog({ tokens: 100 }), 'budget_exceeded'],
    ['usd', lim({ budgetUsd: 1 }), prog({ usd: 1.01 }), 'budget_exceeded'],
    ['time is not a budget', lim({ timeoutMs: 1 }), prog({ elapsedMs: 10 }), null],
  ];
  it.each(rows)('%s', (_name, limits, progress, reason) => {
    const v = budgetExceeded(limits, progress);
    expect(v === null ? null : v.action === 'fail' ? v.reason : 'other').toBe(reason);
  });
});

describe('iterationDeadlineMs', () => {
  const rows: [string, GuardrailLimits, LoopProgress, number | null][] = [
    ['no limits', NO_LIMITS, START, null],
    ['iteration timeout only', lim({ iterationTimeoutMs: 500 }), prog({ elapsedMs: 1e6 }), 500],
    ['total timeout only', lim({ timeoutMs: 1000 }), prog({ elapsedMs: 300 }), 700],
    ['remaining total is smaller', lim({ timeoutMs: 1000, iterationTimeoutMs: 500 }), prog({ elapsedMs: 800 }), 200],
    ['iteration timeout is smaller', lim({ timeoutMs: 1000, iterationTimeoutMs: 500 }), prog({ elapsedMs: 100 }), 500],
    ['never negative', lim({ timeoutMs: 1000 }), prog({ elapsedMs: 5000 }), 0],
  ];
  it.each(rows)('%s', (_name, limits, progress, expected) => {
    expect(iterationDeadlineMs(limits, progress)).toBe(expected);
  });
});
