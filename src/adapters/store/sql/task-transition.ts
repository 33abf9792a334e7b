import { CorticalError } from '../../../core/errors.js';
import type { Task, TaskState } from '../../../core/task.js';
import { transition, type TaskTransition } from '../../../core/task-state-machine.js';

const VERBS: Readonly<Record<TaskTransition, string>> = {
  lease: 'lease',
  start: 'start',
  pause: 'pause',
  resume: 'resume',
  succeed: 'succeed',
  fail: 'fail',
  cancel: 'cancel',
  requeue: 'requeue',
};

/** The state a transition leads to, or INVALID_TRANSITION ("cannot pause a task that is succeeded"). */
export function requireTransition(task: Pick<Task, 'id' | 'state'>, t: TaskTransition): TaskState {
  const result = transition(task.state, t);
  if (result.ok) return result.to;
  throw new CorticalError('INVALID_TRANSITION', `cannot ${VERBS[t]} a task that is ${task.state}`, {
    taskId: task.id,
    state: task.state,
    transition: t,
  });
}
