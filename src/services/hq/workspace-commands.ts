import type { Principal } from '../../core/auth.js';
import { CorticalError, TerminalError } from '../../core/errors.js';
import { isFinishedCommand, type NodeCommand, type NodeCommandKind } from '../../core/node-command.js';
import type { Page, PageRequest } from '../../core/page.js';
import type { Task } from '../../core/task.js';
import { COMMAND_RESULT_SCHEMAS } from '../../contract/node-command-schemas.js';
import type { HqDeps } from './hq-deps.js';
import { assertSelf } from './node-registry.js';
import { notify } from './notify.js';

/** A command still pending after this long is failed when somebody looks at it. */
export const COMMAND_EXPIRY_MS = 10 * 60_000;

/**
 * Snapshots and reverts of a task's workspace. The workspace lives on the node that holds (or
 * last held) the task, so HQ queues a node command; the node gets it with its next heartbeat,
 * runs it and reports the result (`reportResult`). Callers poll the command (`get`).
 *
 * A revert is refused (CONFLICT) while an iteration may be writing to the workspace: the task
 * must be paused between iterations (state `paused`, desired `pause`) or not held by a node at
 * all (finished, or back in the queue). The node checks again before it writes.
 */
export class WorkspaceCommands {
  constructor(private readonly deps: HqDeps) {}

  snapshot(taskId: string, label: string | undefined, actor: string): Promise<NodeCommand> {
    return this.enqueue(taskId, 'snapshot', { label: label ?? '' }, actor);
  }

  /** Lists the snapshots on the node; a listing already pending for the task is reused. */
  async listSnapshots(taskId: string, actor: string): Promise<NodeCommand> {
    const recent = await this.deps.store.listNodeCommands({ taskId, limit: 20 });
    const pending = recent.items.find((c) => c.kind === 'list_snapshots' && !isFinishedCommand(c.state) && !this.expired(c));
    return pending ?? this.enqueue(taskId, 'list_snapshots', {}, actor);
  }

  async revert(taskId: string, snapshotId: string, actor: string): Promise<NodeCommand> {
    const task = await this.task(taskId);
    const busy = revertBlocker(task);
    if (busy !== null) throw new TerminalError('CONFLICT', busy, { taskId, state: task.state, desired: task.desired });
    return this.enqueue(taskId, 'revert', { snapshotId }, actor);
  }

  /** A command; one pending for longer than COMMAND_EXPIRY_MS is failed now. */
  async get(commandId: string): Promise<NodeCommand> {
    const c = await this.deps.store.getNodeCommand(commandId);
    if (c === null) throw new CorticalError('NOT_FOUND', `command ${commandId} not found`, { commandId });
    if (!this.expired(c)) return c;
    const failed = await this.deps.store.finishNodeCommand({
      id: c.id,
      state: 'failed',
      result: null,
      error: `node ${c.nodeId} did not report a result within ${COMMAND_EXPIRY_MS / 60_000} minutes (is it running? see cortical nodes ls)`,
      nowMs: this.deps.clock.nowMs(),
    });
    await notify(this.deps, ['tasks.changed'], { taskId: c.taskId });
    return failed;
  }

  list(taskId: string, page: PageRequest): Promise<Page<NodeCommand>> {
    return this.deps.store.listNodeCommands({ taskId, ...page });
  }

  /** A node reports a command's outcome: its own commands only; results are checked by kind. */
  async reportResult(
    principal: Principal,
    nodeId: string,
    commandId: string,
    body: { state: 'done' | 'failed'; result: Readonly<Record<string, unknown>> | null; error: string | null },
  ): Promise<NodeCommand> {
    assertSelf(principal, nodeId);
    const c = await this.deps.store.getNodeCommand(commandId);
    if (c === null) throw new CorticalError('NOT_FOUND', `command ${commandId} not found`, { commandId });
    if (c.nodeId !== nodeId) throw new TerminalError('FORBIDDEN', `command ${commandId} belongs to another node`, { commandId });
    let result: Readonly<Record<string, unknown>> | null = null;
    if (body.state === 'done') {
      const parsed = COMMAND_RESULT_SCHEMAS[c.kind].safeParse(body.result);
      if (!parsed.success) {
        throw new TerminalError('VALIDATION_FAILED', `result of a ${c.kind} command: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`, {
          field: 'result',
        });
      }
      result = parsed.data;
    }
    const finished = await this.deps.store.finishNodeCommand({
      id: commandId,
      nodeId,
      state: body.state,
      result,
      error: body.state === 'failed' ? body.error : null,
      nowMs: this.deps.clock.nowMs(),
    });
    await notify(this.deps, ['tasks.changed'], { taskId: c.taskId, commandId });
    return finished;
  }

  private expired(c: NodeCommand): boolean {
    return !isFinishedCommand(c.state) && this.deps.clock.nowMs() - c.createdAt > COMMAND_EXPIRY_MS;
  }

  private async task(taskId: string): Promise<Task> {
    const task = await this.deps.store.getTask(taskId);
    if (task === null) throw new CorticalError('TASK_NOT_FOUND', `task ${taskId} not found`, { taskId });
    return task;
  }

  private async enqueue(taskId: string, kind: NodeCommandKind, args: Readonly<Record<string, unknown>>, actor: string): Promise<NodeCommand> {
    await this.task(taskId);
    const nodeId = await this.deps.store.workspaceNodeOf(taskId);
    if (nodeId === null) {
      throw new TerminalError('CONFLICT', `task ${taskId} has not started on a node yet, so it has no workspace to snapshot or revert`, { taskId });
    }
    const command = await this.deps.store.enqueueNodeCommand({
      id: this.deps.ids.newId('cmd'),
      nodeId,
      taskId,
      kind,
      args,
      actor,
      nowMs: this.deps.clock.nowMs(),
    });
    await notify(this.deps, ['tasks.changed'], { taskId, commandId: command.id });
    return command;
  }
}

/** Why a revert must wait, or null when the workspace is quiet. */
export function revertBlocker(task: Task): string | null {
  const id = task.id;
  if (task.state === 'leased' || task.state === 'running') {
    return (
      `task ${id} is ${task.state}: an iteration may be writing to its workspace. ` +
      `Pause it first (cortical tasks pause ${id}), revert once it shows paused, then resume it`
    );
  }
  if (task.state === 'paused' && task.desired === 'pause_now') {
    return (
      `task ${id} is paused with --now: its iteration is suspended mid-way and would resume on the reverted files. ` +
      `Run cortical tasks pause ${id} (without --now) to let the iteration finish and pause between iterations, then revert`
    );
  }
  if (task.state === 'paused' && task.desired === 'run') {
    return `task ${id} is resuming: pause it again (cortical tasks pause ${id}) and revert once it shows paused`;
  }
  return null;
}
