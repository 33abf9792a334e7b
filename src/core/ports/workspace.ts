import type { RepoSource } from '../task.js';

/**
 * The workspace port: where a task's iterations run. With a repository it is a git worktree on
 * the branch `cortical/<taskId>` (the user's checkout is never touched); without one, an empty
 * directory. Both carry the cortical stack `.cstack/` (CURRENT.md, PLAN.md, MEMORY.md), which
 * survives iterations, attempts and a change of agent.
 *
 * `prepare` throws a CorticalError whose `details.reason` is `workspace_failed` when the
 * workspace cannot be made (repository missing, not a git repository, unknown base ref …).
 */
export interface WorkspaceRequest {
  readonly taskId: string;
  readonly prompt: string;
  readonly repo: RepoSource | null;
}

export interface PreparedWorkspace {
  /** Absolute path of the working directory. */
  readonly path: string;
  /** A HOME for the sleeve, outside the working tree, kept per task. */
  readonly homePath: string;
  /** The git branch of the worktree; null for a plain directory. */
  readonly branch: string | null;
  /** true when an earlier attempt's workspace was found and reused. */
  readonly resumed: boolean;
  /**
   * Paths outside `path` a sleeve must be able to write: the sleeve's HOME and, for a worktree,
   * the repository's shared git directory (objects, refs, the worktree's metadata).
   */
  readonly writablePaths: readonly string[];
  /** Paths a sleeve must never write even inside writable ones: the repository's hooks and config. */
  readonly readOnlyPaths: readonly string[];
}

export interface GuidanceEntry {
  readonly seq: number;
  readonly text: string;
}

export interface Workspaces {
  prepare(request: WorkspaceRequest): Promise<PreparedWorkspace>;
  /** Adds guidance to `.cstack/CURRENT.md` (each seq once, in order). */
  recordGuidance(workspacePath: string, entries: readonly GuidanceEntry[]): Promise<void>;
  /**
   * A digest of the workspace's content outside `.cstack/`: equal before and after an iteration
   * means the iteration changed nothing.
   */
  fingerprint(workspacePath: string): Promise<string>;
  /**
   * Records that the task ended for good (`.cstack/FINISHED`), so workspace GC may collect the
   * workspace after its retention period. `prepare` clears it when a workspace is reused.
   */
  markFinished(workspacePath: string, atMs: number, outcome: string): Promise<void>;
}
