import type { RepoSource } from '../task.js';
import type { DiffLimits, WorkspaceDiff } from '../workspace-diff.js';

/**
 * The workspace port: where a task's iterations run. With a repository it is a clone of its own
 * on the branch `cortical/<taskId>`, fetched through HQ (or from the repository's path where the
 * node has no HQ git remote) and published back only to that branch: the user's checkout,
 * objects and other branches are never touched and never visible to the sleeve. Without a
 * repository, an empty directory. Both carry the cortical stack `.cstack/` (CURRENT.md, PLAN.md, MEMORY.md), which
 * survives iterations, attempts and a change of agent.
 *
 * `prepare` throws a CorticalError whose `details.reason` is `workspace_failed` when the
 * workspace cannot be made (repository missing, not a git repository, unknown base ref …).
 */
export interface WorkspaceRequest {
  readonly taskId: string;
  readonly prompt: string;
  readonly repo: RepoSource | null;
  /** Where the repository is served (HQ's git URL and the headers that authorize the node). */
  readonly remote?: GitRemote | null | undefined;
}

export interface GitRemote {
  readonly url: string;
  /** e.g. `Authorization: Bearer <task credential>`; passed per command, never stored in the clone. */
  readonly headers: Readonly<Record<string, string>>;
}

export interface PublishResult {
  /** The commit the task branch now points at; null when there was nothing to publish. */
  readonly commit: string | null;
  /** true when a checkpoint commit was made of uncommitted changes. */
  readonly committed: boolean;
  /** Why publishing failed (the workspace is kept; the next iteration tries again). */
  readonly error: string | null;
}

export interface PreparedWorkspace {
  /** Absolute path of the working directory. */
  readonly path: string;
  /** A HOME for the sleeve, outside the working tree, kept per task. */
  readonly homePath: string;
  /** The git branch of the clone; null for a plain directory. */
  readonly branch: string | null;
  /** true when an earlier attempt's workspace was found and reused. */
  readonly resumed: boolean;
  /** Paths outside `path` a sleeve must be able to write: the sleeve's HOME. */
  readonly writablePaths: readonly string[];
  /**
   * Paths a sleeve must never write even inside writable ones: the clone's git config and hooks
   * (the node runs git there, so they must stay the node's).
   */
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
   * Records the working tree as it is now (every file that is not ignored, `.cstack/` left out)
   * as a git tree object and returns its id. Changes nothing in the workspace, its git index,
   * HEAD or any ref (only objects are added to the workspace's object store).
   */
  captureTree(workspacePath: string): Promise<string>;
  /** What changed from tree `before` to tree `after` (both from `captureTree` of this workspace). */
  diffTrees(workspacePath: string, before: string, after: string, limits: DiffLimits): Promise<WorkspaceDiff>;
  /**
   * Records that the task ended for good (`.cstack/FINISHED`), so workspace GC may collect the
   * workspace after its retention period. `prepare` clears it when a workspace is reused.
   */
  markFinished(workspacePath: string, atMs: number, outcome: string): Promise<void>;
  /**
   * For a repository workspace: commit what the iteration left uncommitted (a checkpoint) and
   * push HEAD to `cortical/<taskId>` of the repository (through `remote` when given). Never
   * throws for git failures: they come back in `error`.
   */
  publish(ws: PreparedWorkspace, request: WorkspaceRequest, message: string): Promise<PublishResult>;
  /**
   * Writes `content` to `relativePath` under a sleeve HOME atomically (a reader sees the old or
   * the new file, never a part), e.g. the current task credential.
   */
  writeHomeFile(homePath: string, relativePath: string, content: string): Promise<void>;
}
