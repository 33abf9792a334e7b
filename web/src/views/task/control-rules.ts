/** Which task controls make sense in the task's current state (mirrors HQ's rules). Pure. */
import type { TaskDto } from './task-types.js';
import { isTerminalState } from './task-types.js';

export interface ControlAvailability {
  readonly pause: boolean;
  readonly pauseNow: boolean;
  readonly resume: boolean;
  readonly stop: boolean;
  readonly guide: boolean;
  readonly resleeve: boolean;
}

export function controlAvailability(task: Pick<TaskDto, 'state' | 'desired'>): ControlAvailability {
  if (isTerminalState(task.state)) return { pause: false, pauseNow: false, resume: false, stop: false, guide: false, resleeve: false };
  const { state, desired } = task;
  const stopping = desired === 'stop';
  const pausing = desired === 'pause' || desired === 'pause_now';
  return {
    pause: !stopping && state !== 'paused' && desired === 'run',
    // suspending at once needs a running iteration (or one about to start)
    pauseNow: !stopping && (state === 'running' || state === 'leased') && desired !== 'pause_now',
    // HQ resumes a paused task, or one asked to pause that has not paused yet
    resume: !stopping && (state === 'paused' || pausing),
    stop: !stopping,
    guide: !stopping,
    resleeve: !stopping,
  };
}
