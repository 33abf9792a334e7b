/**
 * A safety pipeline run: IDLE → PLAN → DEBATE_PLAN → SIMULATE → VERIFY → PROMOTE → PROMOTED, any
 * failed check → ABORTED. Blue (the target branch or live release) is only ever changed by
 * PROMOTE; Green is built from the golden base (Blue at the run's start).
 */
export const PIPELINE_STATES = ['IDLE', 'PLAN', 'DEBATE_PLAN', 'SIMULATE', 'VERIFY', 'PROMOTE', 'PROMOTED', 'ABORTED'] as const;
export type PipelineState = (typeof PIPELINE_STATES)[number];

export const TERMINAL_PIPELINE_STATES: ReadonlySet<PipelineState> = new Set<PipelineState>(['PROMOTED', 'ABORTED']);

const NEXT: Readonly<Record<PipelineState, readonly PipelineState[]>> = {
  IDLE: ['PLAN', 'ABORTED'],
  PLAN: ['DEBATE_PLAN', 'ABORTED'],
  DEBATE_PLAN: ['SIMULATE', 'ABORTED'],
  SIMULATE: ['VERIFY', 'ABORTED'],
  VERIFY: ['PROMOTE', 'ABORTED'],
  PROMOTE: ['PROMOTED', 'ABORTED'],
  PROMOTED: [],
  ABORTED: [],
};

export function canMove(from: PipelineState, to: PipelineState): boolean {
  return NEXT[from].includes(to);
}

export interface PipelineRun {
  readonly id: string;
  readonly state: PipelineState;
  readonly intent: string;
  readonly project: string | null;
  /** What the run was asked to do (plan, target, checks …), as JSON. */
  readonly spec: Readonly<Record<string, unknown>>;
  /** The snapshot taken before T2+ work, if any. */
  readonly snapshotId: string | null;
  /** What each stage found: plan check, debate log, diff, verify logs and digests …, as JSON. */
  readonly evidence: Readonly<Record<string, unknown>>;
  /** Why it aborted. */
  readonly error: string | null;
  readonly createdAt: number;
  readonly updatedAt: number;
  /** Bumped by every update (optimistic concurrency). */
  readonly version: number;
}

export interface NewPipelineRun {
  readonly id: string;
  readonly intent: string;
  readonly project: string | null;
  readonly spec: Readonly<Record<string, unknown>>;
  readonly nowMs: number;
}

export interface PipelineRunUpdate {
  readonly id: string;
  /** The version read; the update fails with CONFLICT when the row moved on. */
  readonly expectedVersion: number;
  readonly state?: PipelineState | undefined;
  readonly snapshotId?: string | null | undefined;
  /** Merged into the stored evidence (top-level keys replaced). */
  readonly evidence?: Readonly<Record<string, unknown>> | undefined;
  readonly error?: string | null | undefined;
  readonly nowMs: number;
}
