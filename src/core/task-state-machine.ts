import type { TaskState } from './task.js';

/** Everything that can happen to a task. */
export const TASK_TRANSITIONS = [
  'lease', // scheduler grants a lease
  'start', // node starts the attempt
  'pause',
  'resume',
  'succeed',
  'fail',
  'cancel',
  'requeue', // retry: lease lost, node lost, released, killswitch
] as const;
export type TaskTransition = (typeof TASK_TRANSITIONS)[number];

/** The transition table. Anything not listed is forbidden. */
export const TASK_TRANSITION_TABLE: Readonly<
  Record<TaskState, Readonly<Partial<Record<TaskTransition, TaskState>>>>
> = {
  queued: { lease: 'leased', cancel: 'cancelled' },
  leased: {
    start: 'running',
    requeue: 'queued',
    cancel: 'cancelled',
    fail: 'failed',
  },
  running: {
    pause: 'paused',
    succeed: 'succeeded',
    fail: 'failed',
    cancel: 'cancelled',
    requeue: 'queued',
  },
  paused: {
    resume: 'running',
    fail: 'failed',
    cancel: 'cancelled',
    requeue: 'queued',
  },
  succeeded: {},
  failed: {},
  cancelled: {},
};

export type TransitionResult =
  | { readonly ok: true; readonly to: TaskState }
  | { readonly ok: false; readonly from: TaskState; readonly transition: TaskTransition };

export function transition(from: TaskState, t: TaskTransition): TransitionResult {
  const to = TASK_TRANSITION_TABLE[from][t];
  return to === undefined ? { ok: false, from, transition: t } : { ok: true, to };
}

export function canTransition(from: TaskState, t: TaskTransition): boolean {
  return TASK_TRANSITION_TABLE[from][t] !== undefined;
}
