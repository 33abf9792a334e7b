/**
 * Workspace snapshots: cheap, named restore points of a workspace's working tree.
 *
 * A snapshot records every file that is not ignored (tracked, modified, staged, untracked;
 * `.cstack/` included for the record, its snapshot store excluded) as a git commit object. For a
 * git worktree it lives in the repository under `refs/cortical/snapshots/<taskId>/<id>` (outside
 * `refs/heads`: no branch appears, no branch moves); for a plain directory in a repository
 * private to the workspace (`.cstack/snapshots.git`).
 *
 * `revert` makes the working tree equal to the snapshot outside `.cstack/`: changed files are
 * rewritten, deleted ones come back, files created since (not ignored) are removed. `.cstack/`
 * and ignored files are left as they are. HEAD and the branch do not move: commits made since
 * stay, and show up as changes in the working tree. The index becomes the snapshot's index when
 * HEAD is where it was at snapshot time, else HEAD's tree.
 */
export interface SnapshotInfo {
  readonly id: string;
  /** Epoch ms. */
  readonly createdAt: number;
  readonly label: string;
  /** The snapshot's commit object. */
  readonly commit: string;
  /** The worktree's HEAD commit when the snapshot was taken; null for a plain directory or an unborn branch. */
  readonly trackedCommit: string | null;
  /** Bytes of files not tracked by HEAD's index at snapshot time (every file for a plain directory). */
  readonly untrackedBytes: number;
}

export interface RevertResult {
  readonly id: string;
  /** Paths written (changed or restored) and removed. */
  readonly written: number;
  readonly removed: number;
}

export interface Snapshots {
  snapshot(dir: string, label: string): Promise<SnapshotInfo>;
  /** Oldest first. */
  list(dir: string): Promise<readonly SnapshotInfo[]>;
  revert(dir: string, id: string): Promise<RevertResult>;
  /** true when it existed. */
  remove(dir: string, id: string): Promise<boolean>;
}
