/**
 * The judge's rubric: policy compliance 0.5, simplicity 0.2, predicted test pass 0.3. The weighted
 * score of a plan decides a debate the reviewers did not settle. `RubricJudge` is the
 * deterministic judge: it averages the reviewers' latest scores and caps them by what the policy
 * check found. Pure: no I/O.
 */
import type { DebateSubject, Judge, JudgeInput, Review, RubricScores } from './debate-types.js';

export const RUBRIC_WEIGHTS: Readonly<RubricScores> = { policyCompliance: 0.5, simplicity: 0.2, predictedTestPass: 0.3 };

const SCORE_KEYS = ['policyCompliance', 'simplicity', 'predictedTestPass'] as const;

/** Why `scores` is not a valid set of rubric scores (each a number in [0, 1]), or null. */
export function scoresProblem(scores: unknown): string | null {
  if (typeof scores !== 'object' || scores === null) return 'scores must be an object {policyCompliance, simplicity, predictedTestPass}';
  const s = scores as Record<string, unknown>;
  for (const key of SCORE_KEYS) {
    const v = s[key];
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > 1) return `score ${key} must be a number in [0, 1], got ${JSON.stringify(v) ?? String(v)}`;
  }
  return null;
}

/** The weighted rubric score in [0, 1], rounded to 6 decimals (so 0.7 everywhere scores exactly 0.7). */
export function weightedScore(scores: RubricScores): number {
  const raw =
    RUBRIC_WEIGHTS.policyCompliance * scores.policyCompliance +
    RUBRIC_WEIGHTS.simplicity * scores.simplicity +
    RUBRIC_WEIGHTS.predictedTestPass * scores.predictedTestPass;
  return Math.round(raw * 1e6) / 1e6;
}

export function clamp01(x: number): number {
  return Math.min(1, Math.max(0, x));
}

/**
 * The highest policy-compliance score the policy facts allow: 0 when the plan is refused, not
 * typeable or has a refused step; 0.3 with policy problems; 0.2 for T3 steps the check did not
 * mark as needing a tripcode, and for T2+ without a snapshot (inconsistent facts); else 1.
 */
export function policyComplianceCap(subject: DebateSubject): number {
  const p = subject.policy;
  if (!p.allowed || !p.typeable || subject.steps.some((s) => !s.allowed)) return 0;
  let cap = 1;
  if (p.problems.length > 0) cap = Math.min(cap, 0.3);
  const hasT3 = p.maxTier === 'T3' || subject.steps.some((s) => s.tier === 'T3');
  if (hasT3 && !p.needsTripcode) cap = Math.min(cap, 0.2);
  const hasT2Plus = hasT3 || p.maxTier === 'T2' || subject.steps.some((s) => s.tier === 'T2');
  if (hasT2Plus && !p.needsSnapshot) cap = Math.min(cap, 0.2);
  return cap;
}

/** The latest non-ERROR review of each reviewer, in the order the reviewers first appear. */
export function latestReviews(reviews: readonly Review[]): Review[] {
  const latest = new Map<string, Review>();
  for (const r of reviews) {
    if (r.verdict === 'ERROR') continue;
    const prev = latest.get(r.reviewer);
    if (prev === undefined || r.round >= prev.round) latest.set(r.reviewer, r);
  }
  return [...latest.values()];
}

/**
 * Rubric scores of a debate: the mean of each reviewer's latest scores, capped by the policy facts
 * (`policyComplianceCap`), and predicted test pass capped at 0.3 when no verify check will run.
 * With no usable review it scores 0 everywhere (a debate without opinions never passes).
 */
export function rubricScores(input: JudgeInput): RubricScores {
  const usable = latestReviews(input.reviews);
  const mean = (key: (typeof SCORE_KEYS)[number]): number =>
    usable.length === 0 ? 0 : usable.reduce((sum, r) => sum + clamp01(r.scores[key]), 0) / usable.length;
  const noChecks = input.subject.checks.every((c) => c.trim() === '');
  return {
    policyCompliance: Math.min(mean('policyCompliance'), policyComplianceCap(input.subject)),
    simplicity: mean('simplicity'),
    predictedTestPass: noChecks ? Math.min(mean('predictedTestPass'), 0.3) : mean('predictedTestPass'),
  };
}

/** The deterministic judge (`rubricScores`); used whenever no other judge is configured. */
export class RubricJudge implements Judge {
  readonly name: string;
  constructor(name = 'rubric-judge') {
    this.name = name;
  }
  judge(input: JudgeInput): Promise<RubricScores> {
    return Promise.resolve(rubricScores(input));
  }
}
