/**
 * The workspace diff of a task's last finished iteration: `data.diff` of its newest
 * `iteration.finished` event that carries one (older nodes and failed computations report none),
 * read newest first through the task's own events.
 */
import { CorticalError } from '../../core/errors.js';
import { EMPTY_DIFF, type TaskDiff } from '../../core/workspace-diff.js';
import { WorkspaceDiffSchema } from '../../contract/diff-schemas.js';
import type { HqDeps } from './hq-deps.js';

const PAGE = 50;

export async function latestTaskDiff(deps: Pick<HqDeps, 'store'>, taskId: string): Promise<TaskDiff> {
  if ((await deps.store.getTask(taskId)) === null) throw new CorticalError('TASK_NOT_FOUND', `task ${taskId} not found`, { taskId });
  let beforeSeq: number | undefined;
  for (;;) {
    const events = await deps.store.readTaskEventsNewestFirst({ taskId, types: ['iteration.finished'], beforeSeq, limit: PAGE });
    for (const e of events) {
      const diff = WorkspaceDiffSchema.safeParse(e.data['diff']);
      const iteration = e.data['iteration'];
      if (diff.success && typeof iteration === 'number') return { iteration, ...diff.data };
    }
    if (events.length < PAGE) return { iteration: null, ...EMPTY_DIFF };
    beforeSeq = events[events.length - 1]?.seq;
  }
}
