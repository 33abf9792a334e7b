import type { Guidance, Task, TaskDesire } from '../../core/task.js';
import type { HqDeps } from './hq-deps.js';
import { notify } from './notify.js';

/**
 * User controls of a task: pause, resume, stop, guide. They record a desire; the node holding the
 * lease converges on it (a queued task that is stopped is cancelled at once by the store).
 */
export class TaskControls {
  constructor(private readonly deps: HqDeps) {}

  /** `now`: suspend the running iteration at once instead of pausing between iterations. */
  pause(taskId: string, opts: { now: boolean }, actor: string): Promise<Task> {
    return this.request(taskId, opts.now ? 'pause_now' : 'pause', actor);
  }

  resume(taskId: string, actor: string): Promise<Task> {
    return this.request(taskId, 'run', actor);
  }

  stop(taskId: string, actor: string): Promise<Task> {
    return this.request(taskId, 'stop', actor);
  }

  async guide(taskId: string, text: string, actor: string): Promise<Guidance> {
    const guidance = await this.deps.store.addGuidance({ taskId, text, nowMs: this.deps.clock.nowMs(), actor });
    await notify(this.deps, ['tasks.changed'], { taskId });
    return guidance;
  }

  /** The task continues on another agent (at its next iteration if it is running). */
  async resleeve(taskId: string, to: { agent: string; model: string | null }, actor: string): Promise<Task> {
    const task = await this.deps.store.resleeveTask({ taskId, agent: to.agent, model: to.model, nowMs: this.deps.clock.nowMs(), actor });
    await notify(this.deps, ['tasks.changed', 'tasks.queued'], { taskId });
    return task;
  }

  private async request(taskId: string, desire: TaskDesire, actor: string): Promise<Task> {
    const task = await this.deps.store.requestControl({ taskId, desire, nowMs: this.deps.clock.nowMs(), actor });
    await notify(this.deps, ['tasks.changed'], { taskId, desire });
    return task;
  }
}
