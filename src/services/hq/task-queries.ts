import { CorticalError } from '../../core/errors.js';
import type { StoredEvent } from '../../core/events.js';
import type { Page, PageRequest } from '../../core/page.js';
import type { LogLine, TaskFilter } from '../../core/ports/store.js';
import type { Guidance, Task } from '../../core/task.js';
import type { HqDeps } from './hq-deps.js';

/** Read side of tasks: one task, lists, its events, logs and guidance. */
export class TaskQueries {
  constructor(private readonly deps: HqDeps) {}

  async get(taskId: string): Promise<Task> {
    const task = await this.deps.store.getTask(taskId);
    if (task === null) throw new CorticalError('TASK_NOT_FOUND', `task ${taskId} not found`, { taskId });
    return task;
  }

  list(filter: TaskFilter & PageRequest): Promise<Page<Task>> {
    return this.deps.store.listTasks(filter);
  }

  async events(taskId: string, page: { afterSeq: number; limit: number }): Promise<readonly StoredEvent[]> {
    await this.get(taskId);
    return this.deps.store.readEvents({ afterSeq: page.afterSeq, limit: page.limit, taskId });
  }

  async logs(taskId: string, page: { afterSeq: number; limit: number }): Promise<readonly LogLine[]> {
    await this.get(taskId);
    return this.deps.store.readLogs({ taskId, afterSeq: page.afterSeq, limit: page.limit });
  }

  async guidance(taskId: string): Promise<readonly Guidance[]> {
    await this.get(taskId);
    return this.deps.store.listGuidance(taskId);
  }
}
