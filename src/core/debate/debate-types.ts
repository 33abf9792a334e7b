/**
 * The plan debate gate (DEBATE_PLAN of the safety pipeline): two reviewers judge a checked plan
 * over at most two rounds; agreement ends the debate early, a disagreement goes to a judge whose
 * rubric decides, and any ERROR fails the gate closed. These are the types the gate, its
 * reviewers (heuristic or LLM) and the pipeline share. Pure: no I/O.
 */
import type { CapabilityTier } from '../plan-steps.js';
import type { StopSignal } from '../runnable.js';

export const VERDICTS = ['ACCEPT', 'REJECT', 'ERROR'] as const;
export type Verdict = (typeof VERDICTS)[number];

/** One step of the plan under debate, with what the plan check found about it. */
export interface DebateStep {
  readonly tool: string;
  readonly args: Readonly<Record<string, string>>;
  readonly tier: CapabilityTier;
  /** Whether the policy lets this step run. */
  readonly allowed: boolean;
  /** Why the step has its tier / why it is refused. */
  readonly reasons: readonly string[];
}

/** The policy check of the whole plan. */
export interface DebatePolicyFacts {
  readonly allowed: boolean;
  /** The plan parsed and every step has a known tool with valid arguments. */
  readonly typeable: boolean;
  readonly problems: readonly string[];
  /** The highest tier among the steps. */
  readonly maxTier: CapabilityTier;
  /** T2 and above run only after a snapshot. */
  readonly needsSnapshot: boolean;
  /** T3 runs only with a tripcode. */
  readonly needsTripcode: boolean;
}

export interface DiffStats {
  readonly files: number;
  readonly added: number;
  readonly removed: number;
}

/** What is debated: a plan, its policy check, the verify commands, and the dry-run diff if any. */
export interface DebateSubject {
  readonly intent: string;
  readonly steps: readonly DebateStep[];
  readonly policy: DebatePolicyFacts;
  /** The verify commands that will be run. */
  readonly checks: readonly string[];
  readonly diffStats?: DiffStats | undefined;
}

/** The rubric's three scores, each in [0, 1]. */
export interface RubricScores {
  readonly policyCompliance: number;
  readonly simplicity: number;
  readonly predictedTestPass: number;
}

export interface Review {
  readonly reviewer: string;
  /** 1-based. */
  readonly round: number;
  readonly verdict: Verdict;
  readonly scores: RubricScores;
  readonly reasons: string[];
}

export interface ReviewInput {
  readonly subject: DebateSubject;
  /** 1-based round number. */
  readonly round: number;
  /** Every review of the rounds before this one (both reviewers), oldest first. */
  readonly earlier: readonly Review[];
}

/**
 * A reviewer. A throw, a review that does not validate, or a review that does not come within
 * the debate's timeout counts as ERROR. `signal` (an AbortSignal fits) aborts when the debate
 * gives up on the review.
 */
export interface Reviewer {
  readonly name: string;
  review(input: ReviewInput, signal?: StopSignal): Promise<Review>;
}

export interface JudgeInput {
  readonly subject: DebateSubject;
  /** Every review of the debate, oldest first. */
  readonly reviews: readonly Review[];
}

/** Breaks a tie: rubric scores for the plan; the gate weighs them. A throw counts as ERROR. */
export interface Judge {
  readonly name: string;
  judge(input: JudgeInput): Promise<RubricScores>;
}

/** Starts timers for the debate's per-review timeout (the core has no clock of its own). */
export interface DebateTimer {
  /** Resolves after `ms`, or as soon as `signal` aborts. */
  sleep(ms: number, signal: StopSignal): Promise<void>;
}

export const DEBATE_EVENTS = ['review', 'review_error', 'agreement', 'disagreement', 'judge', 'judge_error', 'veto', 'decision'] as const;
export type DebateEvent = (typeof DEBATE_EVENTS)[number];

/** One line of the debate log. */
export interface DebateLogEntry {
  /** The round it happened in (1-based). */
  readonly at: number;
  /** A reviewer's or the judge's name, or `debate` for the gate itself. */
  readonly who: string;
  readonly event: DebateEvent;
  readonly detail: string;
}

export interface DebateOutcome {
  readonly decision: Verdict;
  /** The reviewers agreed (early stop); false when the judge decided or an ERROR ended the debate. */
  readonly agreed: boolean;
  /** Rounds held. */
  readonly rounds: number;
  /** The judge's weighted rubric score; null when the judge was not needed or failed. */
  readonly score: number | null;
  readonly reviews: Review[];
  readonly log: DebateLogEntry[];
  /** The decision in one sentence. */
  readonly reason: string;
}

export interface DebateOptions {
  readonly subject: DebateSubject;
  readonly reviewers: readonly [Reviewer, Reviewer];
  readonly judge: Judge;
  /** Default 2. */
  readonly maxRounds?: number | undefined;
  /** The weighted judge score needed to ACCEPT after a disagreement. Default 0.7. */
  readonly acceptThreshold?: number | undefined;
  /** Per review: a reviewer that has not answered by then counts as ERROR. Needs `timer`. */
  readonly timeoutMs?: number | undefined;
  readonly timer?: DebateTimer | undefined;
  /** Aborting it ends the debate with ERROR. */
  readonly signal?: StopSignal | undefined;
}
