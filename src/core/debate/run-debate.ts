/**
 * The plan debate: each round both reviewers review the subject (from round 2 on they see the
 * earlier rounds' reviews). Any ERROR (a throw, an invalid review, a timeout, a cancel) ends the
 * debate with ERROR at once: the gate fails closed. Both reviewers giving the same verdict end it
 * early (agreed). After `maxRounds` without agreement the judge's rubric scores, weighted
 * 0.5 / 0.2 / 0.3, decide: ACCEPT at or above `acceptThreshold`, else REJECT; a judge failure is
 * ERROR. A subject the policy refused or that is not typeable is never ACCEPTed: such an ACCEPT is
 * vetoed to REJECT. Every review, agreement, judgement, veto and the decision go into the log.
 *
 * Pure: no clock and no I/O of its own; reviewers, the judge and the timer are injected.
 */
import { CorticalError } from '../errors.js';
import type { StopSignal } from '../runnable.js';
import {
  VERDICTS,
  type DebateEvent,
  type DebateLogEntry,
  type DebateOptions,
  type DebateOutcome,
  type DebateSubject,
  type DebateTimer,
  type Review,
  type RubricScores,
  type Verdict,
} from './debate-types.js';
import { RUBRIC_WEIGHTS as W, scoresProblem, weightedScore } from './judge-rubric.js';

export const DEFAULT_MAX_ROUNDS = 2;
export const MAX_ROUNDS_LIMIT = 10;
export const DEFAULT_ACCEPT_THRESHOLD = 0.7;
const MAX_REASONS = 20;
const MAX_REASON_CHARS = 1000;
const ZERO_SCORES: RubricScores = { policyCompliance: 0, simplicity: 0, predictedTestPass: 0 };
const GATE = 'debate';

/** Why the policy facts forbid accepting `subject`, or null when they allow it. */
export function policyVeto(subject: DebateSubject): string | null {
  const p = subject.policy;
  if (!p.allowed) return `the policy refused the plan${p.problems.length > 0 ? `: ${p.problems.join('; ')}` : ''}`;
  if (!p.typeable) return 'the plan is not typeable (an unknown tool or invalid arguments)';
  return null;
}

/** A settable StopSignal (the core has no AbortController). */
class StopSource implements StopSignal {
  private readonly listeners = new Set<() => void>();
  private done = false;
  get aborted(): boolean {
    return this.done;
  }
  addEventListener(_type: 'abort', listener: () => void): void {
    if (!this.done) this.listeners.add(listener);
  }
  removeEventListener(_type: 'abort', listener: () => void): void {
    this.listeners.delete(listener);
  }
  abort(): void {
    if (this.done) return;
    this.done = true;
    const ls = [...this.listeners];
    this.listeners.clear();
    for (const l of ls) l();
  }
}

type Attempt<T> = { ok: true; value: T } | { ok: false; error: string };

function message(e: unknown): string {
  if (e instanceof Error) return e.message;
  return typeof e === 'string' ? e : 'a non-Error value was thrown';
}

/**
 * Runs `call` with a stop signal that aborts when `outer` aborts or `timeoutMs` passes; whichever
 * comes first of the call's result, the timeout and the cancel wins. The signal is aborted
 * afterwards either way, so a reviewer still working is told to stop.
 */
async function bounded<T>(call: (signal: StopSignal) => Promise<T>, what: string, opts: { timeoutMs?: number | undefined; timer?: DebateTimer | undefined; outer?: StopSignal | undefined }): Promise<Attempt<T>> {
  const stop = new StopSource();
  const cancel = (): void => stop.abort();
  if (opts.outer?.aborted) return { ok: false, error: 'the debate was cancelled' };
  opts.outer?.addEventListener('abort', cancel, { once: true });
  let timedOut = false;
  const stopped = new Promise<Attempt<T>>((resolve) => {
    stop.addEventListener('abort', () =>
      resolve({ ok: false, error: timedOut ? `${what} did not answer within ${opts.timeoutMs ?? 0} ms` : 'the debate was cancelled' }),
    );
  });
  if (opts.timeoutMs !== undefined && opts.timer !== undefined) {
    opts.timer.sleep(opts.timeoutMs, stop).then(
      () => {
        if (!stop.aborted) {
          timedOut = true;
          stop.abort();
        }
      },
      () => undefined,
    );
  }
  let running: Promise<T>;
  try {
    running = call(stop);
  } catch (e) {
    running = Promise.reject(e instanceof Error ? e : new Error(message(e)));
  }
  const answered = running.then(
    (value): Attempt<T> => ({ ok: true, value }),
    (e: unknown): Attempt<T> => ({ ok: false, error: message(e) }),
  );
  try {
    return await Promise.race([answered, stopped]);
  } finally {
    opts.outer?.removeEventListener('abort', cancel);
    stop.abort();
  }
}

function errorReview(reviewer: string, round: number, why: string): Review {
  return { reviewer, round, verdict: 'ERROR', scores: ZERO_SCORES, reasons: [why.slice(0, MAX_REASON_CHARS)] };
}

/**
 * A reviewer's answer as a Review of `reviewer` in `round` (name and round are the debate's, not
 * the reviewer's to choose), or an ERROR review saying what was invalid.
 */
export function normalizeReview(raw: unknown, reviewer: string, round: number): Review {
  if (typeof raw !== 'object' || raw === null) return errorReview(reviewer, round, `${reviewer} returned no review object`);
  const r = raw as Record<string, unknown>;
  const verdict = r.verdict;
  if (typeof verdict !== 'string' || !(VERDICTS as readonly string[]).includes(verdict)) {
    return errorReview(reviewer, round, `${reviewer} returned an invalid verdict ${JSON.stringify(verdict) ?? String(verdict)} (accepted: ${VERDICTS.join(', ')})`);
  }
  const reasonsRaw = r.reasons ?? [];
  if (!Array.isArray(reasonsRaw) || !reasonsRaw.every((x): x is string => typeof x === 'string')) {
    return errorReview(reviewer, round, `${reviewer} returned reasons that are not a list of strings`);
  }
  const reasons: string[] = reasonsRaw.slice(0, MAX_REASONS).map((x: string) => x.slice(0, MAX_REASON_CHARS));
  const problem = scoresProblem(r.scores);
  if (verdict === 'ERROR') {
    const scores = problem === null ? pickScores(r.scores as RubricScores) : ZERO_SCORES;
    return { reviewer, round, verdict, scores, reasons: reasons.length > 0 ? reasons : [`${reviewer} could not review the plan`] };
  }
  if (problem !== null) return errorReview(reviewer, round, `${reviewer} returned invalid scores: ${problem}`);
  return { reviewer, round, verdict: verdict as Verdict, scores: pickScores(r.scores as RubricScores), reasons };
}

function pickScores(s: RubricScores): RubricScores {
  return { policyCompliance: s.policyCompliance, simplicity: s.simplicity, predictedTestPass: s.predictedTestPass };
}

function fmt(x: number): string {
  return x.toFixed(2);
}

function describeReview(r: Review): string {
  const s = r.scores;
  const head = r.verdict === 'ERROR' ? 'ERROR' : `${r.verdict} (policy ${fmt(s.policyCompliance)}, simplicity ${fmt(s.simplicity)}, tests ${fmt(s.predictedTestPass)})`;
  return r.reasons.length === 0 ? head : `${head}: ${r.reasons.join('; ')}`;
}

function checkOptions(opts: DebateOptions): { maxRounds: number; threshold: number } {
  const maxRounds = opts.maxRounds ?? DEFAULT_MAX_ROUNDS;
  const threshold = opts.acceptThreshold ?? DEFAULT_ACCEPT_THRESHOLD;
  const bad = (msg: string, details: Record<string, unknown>): CorticalError => new CorticalError('VALIDATION_FAILED', msg, details);
  if (!Number.isInteger(maxRounds) || maxRounds < 1 || maxRounds > MAX_ROUNDS_LIMIT) {
    throw bad(`maxRounds must be a whole number from 1 to ${MAX_ROUNDS_LIMIT}, got ${maxRounds}`, { maxRounds });
  }
  if (!Number.isFinite(threshold) || threshold < 0 || threshold > 1) throw bad(`acceptThreshold must be a number in [0, 1], got ${threshold}`, { acceptThreshold: threshold });
  if (opts.timeoutMs !== undefined) {
    if (!Number.isFinite(opts.timeoutMs) || opts.timeoutMs <= 0) throw bad(`timeoutMs must be a positive number of milliseconds, got ${opts.timeoutMs}`, { timeoutMs: opts.timeoutMs });
    if (opts.timer === undefined) throw bad('timeoutMs needs a timer (the debate has no clock of its own): pass `timer`', {});
  }
  // The tuple type says two; a caller without types may still pass another number.
  const count: number = opts.reviewers.length;
  if (count !== 2) throw bad(`a debate needs exactly two reviewers, got ${count}`, {});
  const [a, b] = opts.reviewers;
  if (a.name === b.name) throw bad(`the two reviewers need different names (both are ${JSON.stringify(a.name)})`, { name: a.name });
  return { maxRounds, threshold };
}

/** Runs the plan debate. Throws VALIDATION_FAILED only for invalid options; every other failure is decision ERROR. */
export async function runDebate(opts: DebateOptions): Promise<DebateOutcome> {
  const { maxRounds, threshold } = checkOptions(opts);
  const { subject, reviewers, judge } = opts;
  const limits = { timeoutMs: opts.timeoutMs, timer: opts.timer, outer: opts.signal };
  const reviews: Review[] = [];
  const log: DebateLogEntry[] = [];
  const note = (at: number, who: string, event: DebateEvent, detail: string): void => {
    log.push({ at, who, event, detail });
  };
  const finish = (round: number, decision: Verdict, agreed: boolean, score: number | null, reason: string): DebateOutcome => {
    let final = decision;
    let why = reason;
    const veto = policyVeto(subject);
    if (final === 'ACCEPT' && veto !== null) {
      final = 'REJECT';
      why = `vetoed: ${veto} (the debate alone would have accepted: ${reason})`;
      note(round, GATE, 'veto', veto);
    }
    note(round, GATE, 'decision', `${final}: ${why}`);
    return { decision: final, agreed, rounds: round, score, reviews, log, reason: why };
  };

  for (let round = 1; round <= maxRounds; round += 1) {
    const earlier = reviews.slice();
    const results = await Promise.all(
      reviewers.map(async (reviewer) => {
        const got = await bounded((signal) => reviewer.review({ subject, round, earlier }, signal), reviewer.name, limits);
        return got.ok ? normalizeReview(got.value, reviewer.name, round) : errorReview(reviewer.name, round, `${reviewer.name} failed: ${got.error}`);
      }),
    );
    for (const r of results) {
      reviews.push(r);
      note(round, r.reviewer, r.verdict === 'ERROR' ? 'review_error' : 'review', describeReview(r));
    }
    const failed = results.find((r) => r.verdict === 'ERROR');
    if (failed !== undefined) return finish(round, 'ERROR', false, null, `fail closed: ${failed.reviewer}'s review in round ${round} was ERROR (${failed.reasons.join('; ')})`);
    const [first, second] = results as [Review, Review];
    if (first.verdict === second.verdict) {
      note(round, GATE, 'agreement', `both reviewers said ${first.verdict}`);
      return finish(round, first.verdict, true, null, `${first.reviewer} and ${second.reviewer} agreed on ${first.verdict} in round ${round}`);
    }
    note(round, GATE, 'disagreement', `${first.reviewer} said ${first.verdict}, ${second.reviewer} said ${second.verdict}`);
  }

  const got = await bounded(() => judge.judge({ subject, reviews: reviews.slice() }), judge.name, limits);
  const problem = got.ok ? scoresProblem(got.value) : got.error;
  if (!got.ok || problem !== null) {
    note(maxRounds, judge.name, 'judge_error', problem ?? 'the judge failed');
    return finish(maxRounds, 'ERROR', false, null, `fail closed: the judge ${judge.name} failed (${problem ?? 'no scores'})`);
  }
  const scores = pickScores(got.value);
  const score = weightedScore(scores);
  const decision: Verdict = score >= threshold ? 'ACCEPT' : 'REJECT';
  note(
    maxRounds,
    judge.name,
    'judge',
    `policy ${fmt(scores.policyCompliance)} × ${W.policyCompliance} + simplicity ${fmt(scores.simplicity)} × ${W.simplicity} + tests ${fmt(scores.predictedTestPass)} × ${W.predictedTestPass} = ${score} (threshold ${threshold})`,
  );
  return finish(maxRounds, decision, false, score, `no agreement after ${maxRounds} rounds; the judge scored ${score} ${decision === 'ACCEPT' ? '≥' : '<'} ${threshold}`);
}
