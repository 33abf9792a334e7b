import type { Selectable } from 'kysely';
import { CorticalError } from '../../../core/errors.js';
import { projectOf, type ReasonCode, type Task, type TaskDesire, type TaskSpec, type TaskState } from '../../../core/task.js';
import type { TasksTable } from './database.js';
import { parseJson, toJson } from './json.js';
import { toNum, toNumOrNull } from './numbers.js';
import { taskSearchText } from './search-text.js';
import type { Db } from './sql-context.js';

export type TaskRow = Selectable<TasksTable>;

/** A task as read, with the row version its update must match. */
export interface StoredTask {
  readonly task: Task;
  readonly version: number;
}

export function taskFromRow(row: TaskRow): Task {
  return {
    id: row.id,
    spec: parseJson<TaskSpec>(row.spec, 'tasks.spec'),
    state: row.state as TaskState,
    reason: row.reason as ReasonCode | null,
    message: row.message,
    desired: row.desired as TaskDesire,
    attempts: toNum(row.attempts),
    fencingToken: toNum(row.fencing_token),
    nodeId: row.node_id,
    leaseExpiresAt: toNumOrNull(row.lease_expires_at),
    notBefore: toNum(row.not_before),
    usage: {
      iterations: toNum(row.usage_iterations),
      tokensIn: toNum(row.usage_tokens_in),
      tokensOut: toNum(row.usage_tokens_out),
      usd: toNum(row.usage_usd),
    },
    runtimeMs: toNum(row.runtime_ms),
    workspacePath: row.workspace_path,
    createdAt: toNum(row.created_at),
    updatedAt: toNum(row.updated_at),
    startedAt: toNumOrNull(row.started_at),
    finishedAt: toNumOrNull(row.finished_at),
  };
}

/** The columns that change over a task's life. */
function mutableColumns(t: Task) {
  return {
    state: t.state,
    reason: t.reason,
    message: t.message,
    desired: t.desired,
    attempts: t.attempts,
    fencing_token: t.fencingToken,
    node_id: t.nodeId,
    lease_expires_at: t.leaseExpiresAt,
    not_before: t.notBefore,
    usage_iterations: t.usage.iterations,
    usage_tokens_in: t.usage.tokensIn,
    usage_tokens_out: t.usage.tokensOut,
    usage_usd: t.usage.usd,
    runtime_ms: t.runtimeMs,
    workspace_path: t.workspacePath,
    updated_at: t.updatedAt,
    started_at: t.startedAt,
    finished_at: t.finishedAt,
  };
}

export async function insertTaskRow(db: Db, t: Task): Promise<void> {
  await db
    .insertInto('tasks')
    .values({
      id: t.id,
      spec: toJson(t.spec),
      priority: t.spec.priority,
      agent: t.spec.agent,
      project: projectOf(t.spec),
      search_text: taskSearchText(t.id, t.spec.prompt),
      requires: toJson(t.spec.requires),
      created_at: t.createdAt,
      row_version: 1,
      ...mutableColumns(t),
    })
    .execute();
}

export async function findTask(db: Db, id: string): Promise<StoredTask | null> {
  const row = await db.selectFrom('tasks').selectAll().where('id', '=', id).executeTakeFirst();
  return row === undefined ? null : { task: taskFromRow(row), version: toNum(row.row_version) };
}

export async function loadTask(db: Db, id: string): Promise<StoredTask> {
  const found = await findTask(db, id);
  if (found === null) throw new CorticalError('TASK_NOT_FOUND', `task ${id} not found`, { taskId: id });
  return found;
}

/**
 * Write a task back. The update only applies when nobody changed the row since it was read
 * (row version); otherwise the caller's decision was made on stale data and the call fails with
 * a retryable CONFLICT.
 */
export async function saveTask(db: Db, before: StoredTask, next: Task): Promise<StoredTask> {
  const result = await db
    .updateTable('tasks')
    .set({ ...mutableColumns(next), row_version: before.version + 1 })
    .where('id', '=', next.id)
    .where('row_version', '=', before.version)
    .executeTakeFirst();
  if (result.numUpdatedRows === 0n) {
    throw new CorticalError('CONFLICT', `task ${next.id} changed concurrently; retry`, { taskId: next.id }, true);
  }
  return { task: next, version: before.version + 1 };
}
