/**
 * The workspace diff of one iteration as the loop reports it with `iteration.finished`
 * (`data.diff`): the workspace's tree is recorded before the iteration and compared with the
 * tree after it. A failure (or a diff HQ would refuse) is written to the task log and gives no
 * diff (null); it never fails the iteration.
 */
import type { Workspaces } from '../../core/ports/workspace.js';
import { DIFF_LIMITS, type DiffLimits, type WorkspaceDiff } from '../../core/workspace-diff.js';
import { WorkspaceDiffSchema } from '../../contract/diff-schemas.js';

export class IterationDiff {
  private constructor(
    private readonly workspaces: Pick<Workspaces, 'captureTree' | 'diffTrees'>,
    private readonly workspacePath: string,
    private readonly log: (text: string) => void,
    private readonly before: string | null,
    private readonly limits: DiffLimits,
  ) {}

  /** Records the workspace before the iteration (a failure is logged: the iteration gets no diff). */
  static async before(
    workspaces: Pick<Workspaces, 'captureTree' | 'diffTrees'>,
    workspacePath: string,
    log: (text: string) => void,
    limits: DiffLimits = DIFF_LIMITS,
  ): Promise<IterationDiff> {
    let tree: string | null = null;
    try {
      tree = await workspaces.captureTree(workspacePath);
    } catch (e) {
      log(`workspace diff: cannot record the workspace before the iteration: ${(e as Error).message}`);
    }
    return new IterationDiff(workspaces, workspacePath, log, tree, limits);
  }

  /** The diff from before the iteration to now; null when it cannot be computed (logged). */
  async after(): Promise<WorkspaceDiff | null> {
    if (this.before === null) return null;
    try {
      const now = await this.workspaces.captureTree(this.workspacePath);
      const diff = await this.workspaces.diffTrees(this.workspacePath, this.before, now, this.limits);
      // HQ refuses a report whose diff is out of shape, and with it the logs and events it carries
      const checked = WorkspaceDiffSchema.safeParse(diff);
      if (!checked.success) throw new Error(`out of bounds: ${checked.error.issues[0]?.message ?? 'invalid'}`);
      return diff;
    } catch (e) {
      this.log(`workspace diff: cannot compute the iteration's diff: ${(e as Error).message}`);
      return null;
    }
  }
}
