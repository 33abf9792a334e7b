import type { GuardrailLimits, ReasonCode } from './task.js';

/** What the loop has done so far (cumulative over attempts). */
export interface LoopProgress {
  readonly iterations: number;
  /** Running time so far, excluding paused time. */
  readonly elapsedMs: number;
  readonly tokens: number;
  readonly usd: number;
  /** Consecutive finished iterations that left the workspace unchanged. */
  readonly unchangedStreak: number;
}

/** How one iteration ended, as seen by the loop runner. */
export interface IterationOutcome {
  readonly exitCode: number | null;
  readonly timedOut: boolean;
  /** The agent signalled it is done. */
  readonly agentDone: boolean;
  /** The agent reported a failure it cannot recover from. */
  readonly agentFailed: boolean;
  /** `until` check result: null when the task has no `until`. */
  readonly untilPassed: boolean | null;
  readonly workspaceChanged: boolean;
}

export type LoopVerdict =
  | { readonly action: 'continue' }
  | { readonly action: 'succeed'; readonly reason: ReasonCode }
  | { readonly action: 'fail'; readonly reason: ReasonCode; readonly message: string }
  | { readonly action: 'pause'; readonly reason: ReasonCode; readonly message: string };

export type { GuardrailLimits };
