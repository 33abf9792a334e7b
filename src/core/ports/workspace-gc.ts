import type { GcPlan, PlannedRemoval } from '../workspace-retention.js';

/**
 * Workspace garbage collection on a node: scan `<workDir>/workspaces/*`, plan with
 * `planGc` (core/workspace-retention) and remove the chosen workspaces. Removal only ever deletes
 * a workspace directory strictly inside `<workDir>/workspaces/` (its HOME under
 * `<workDir>/homes/` with it), unregisters a worktree from its repository, and deletes refs only
 * under `refs/heads/cortical/` (when asked) and `refs/cortical/snapshots/<taskId>/`. It never
 * runs `git gc` or object pruning and never touches the user's checkout or other branches.
 */
export interface GcPolicy {
  /** Finished workspaces idle this many days or more are removed; null = no age limit. */
  readonly keepDays: number | null;
  /** Total size above which the oldest finished workspaces are removed; null = no quota. */
  readonly maxTotalBytes: number | null;
  /** A workspace without a FINISHED marker counts as finished after this long unchanged. */
  readonly idleGraceMs: number;
}

export interface GcRequest {
  readonly policy: GcPolicy;
  /** Task ids the node holds now (their workspaces are never removed); asked again before each removal. */
  readonly heldTaskIds: () => readonly string[];
  readonly nowMs: number;
  /** Plan and report only. */
  readonly dryRun: boolean;
  /** Also delete `refs/heads/cortical/<taskId>` of a removed worktree (default: keep the branch). */
  readonly deleteBranches: boolean;
}

export type WorkspaceKind = 'worktree' | 'plain';

export interface ScannedWorkspace {
  readonly taskId: string;
  readonly path: string;
  readonly kind: WorkspaceKind;
  /** Disk usage of the workspace and its HOME (allocated blocks, hard links once, symlinks not followed). */
  readonly sizeBytes: number;
  /** Newest modification time found in the workspace and its HOME. */
  readonly lastUsedAt: number;
  /** Time recorded in `.cstack/FINISHED`, or null without a marker. */
  readonly finishedMarkerAt: number | null;
  /** For a worktree: its repository's working directory (or git dir when bare) and branch. */
  readonly repoPath: string | null;
  readonly branch: string | null;
}

export interface SkippedEntry {
  readonly name: string;
  readonly reason: 'symlink' | 'not_a_directory' | 'bad_name' | 'no_stack' | 'has_linked_worktrees' | 'unreadable';
}

export interface RemovedWorkspace extends PlannedRemoval {
  readonly kind: WorkspaceKind;
  /** The deleted branch (only with deleteBranches), else null. */
  readonly branchDeleted: string | null;
  readonly snapshotRefsDeleted: number;
}

export interface FailedRemoval extends PlannedRemoval {
  readonly error: string;
}

export interface GcReport {
  readonly dryRun: boolean;
  readonly root: string;
  readonly scanned: number;
  readonly skipped: readonly SkippedEntry[];
  readonly plan: GcPlan;
  /** Empty on a dry run. */
  readonly removed: readonly RemovedWorkspace[];
  /** Planned removals not done: failed, or the task was held again by the time of removal. */
  readonly failed: readonly FailedRemoval[];
  /** Bytes actually freed (planned bytes on a dry run). */
  readonly freedBytes: number;
}

export interface WorkspaceGc {
  collect(request: GcRequest): Promise<GcReport>;
}
