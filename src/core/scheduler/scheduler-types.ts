/** Inputs and outputs of the scheduler, a pure planner: `schedule(snapshot, now) → plan`. */

export interface SchedulerNode {
  readonly id: string;
  readonly capabilities: readonly string[];
  readonly slots: number;
  readonly activeLeases: number;
  /** Live (heartbeating) and neither cordoned nor draining. */
  readonly schedulable: boolean;
}

export interface SchedulerTask {
  readonly id: string;
  readonly requires: readonly string[];
  readonly priority: number;
  readonly createdAt: number;
  /** Back-off: not placeable before this time. */
  readonly notBefore: number;
}

export interface SchedulerSnapshot {
  readonly nodes: readonly SchedulerNode[];
  /** Queued tasks (any order; the planner ranks them). */
  readonly tasks: readonly SchedulerTask[];
  readonly killSwitch: boolean;
}

export interface Placement {
  readonly taskId: string;
  readonly nodeId: string;
}

export const UNPLACED_REASONS = ['killswitch', 'backoff', 'no_capable_node', 'no_free_slot', 'budget_exhausted'] as const;
export type UnplacedReason = (typeof UNPLACED_REASONS)[number];

export interface Unplaced {
  readonly taskId: string;
  readonly reason: UnplacedReason;
  /** e.g. the missing capabilities. */
  readonly detail: string | null;
}

export interface SchedulePlan {
  readonly placements: readonly Placement[];
  readonly unplaced: readonly Unplaced[];
}
