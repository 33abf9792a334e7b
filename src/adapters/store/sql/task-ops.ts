import { sql, type SqlBool } from 'kysely';
import { CorticalError } from '../../../core/errors.js';
import type { Page, PageRequest } from '../../../core/page.js';
import { clampLimit } from '../../../core/page.js';
import type { TaskFilter } from '../../../core/ports/store.js';
import { TASK_STATES, ZERO_USAGE, type Task, type TaskSpec, type TaskState } from '../../../core/task.js';
import { decodeCursor, encodeCursor } from './cursor.js';
import { insertEvents } from './events-sql.js';
import { toNum } from './numbers.js';
import { containsPattern } from './search-text.js';
import type { SqlContext } from './sql-context.js';
import { findTask, insertTaskRow, taskFromRow } from './task-row.js';

export async function createTask(
  ctx: SqlContext,
  input: { id: string; spec: TaskSpec; nowMs: number; actor: string },
): Promise<Task> {
  const task: Task = {
    id: input.id,
    spec: input.spec,
    state: 'queued',
    reason: null,
    message: null,
    desired: 'run',
    attempts: 0,
    fencingToken: 0,
    nodeId: null,
    leaseExpiresAt: null,
    notBefore: input.nowMs,
    usage: ZERO_USAGE,
    runtimeMs: 0,
    workspacePath: null,
    createdAt: input.nowMs,
    updatedAt: input.nowMs,
    startedAt: null,
    finishedAt: null,
  };
  return ctx.runInTx(async (tx) => {
    if ((await findTask(tx, input.id)) !== null) {
      throw new CorticalError('CONFLICT', `task ${input.id} already exists`, { taskId: input.id });
    }
    await insertTaskRow(tx, task);
    const labels = Object.entries(input.spec.labels);
    if (labels.length > 0) {
      await tx
        .insertInto('task_labels')
        .values(labels.map(([key, value]) => ({ task_id: input.id, key, value })))
        .execute();
    }
    await insertEvents(
      tx,
      [
        {
          type: 'task.created',
          taskId: input.id,
          nodeId: null,
          data: { actor: input.actor, agent: input.spec.agent, priority: input.spec.priority },
        },
      ],
      input.nowMs,
    );
    return task;
  });
}

export async function getTask(ctx: SqlContext, id: string): Promise<Task | null> {
  return (await findTask(ctx.db, id))?.task ?? null;
}

/** Newest first (created_at desc, id desc); the cursor holds the last item's keys. */
export async function listTasks(ctx: SqlContext, filter: TaskFilter & PageRequest): Promise<Page<Task>> {
  const limit = clampLimit(filter.limit);
  if (filter.states !== undefined && filter.states.length === 0) return { items: [], nextCursor: null };
  let q = ctx.db.selectFrom('tasks').selectAll('tasks');
  if (filter.states !== undefined) q = q.where('tasks.state', 'in', [...filter.states]);
  if (filter.nodeId !== undefined) q = q.where('tasks.node_id', '=', filter.nodeId);
  if (filter.agent !== undefined) q = q.where('tasks.agent', '=', filter.agent);
  if (filter.project !== undefined) q = q.where('tasks.project', '=', filter.project);
  if (filter.text !== undefined && filter.text !== '') {
    const pattern = containsPattern(filter.text);
    q = q.where(sql<SqlBool>`tasks.search_text like ${pattern} escape ${'\\'}`);
  }
  for (const [key, value] of Object.entries(filter.labels ?? {})) {
    q = q.where((eb) =>
      eb.exists(
        eb
          .selectFrom('task_labels')
          .select('task_labels.task_id')
          .whereRef('task_labels.task_id', '=', 'tasks.id')
          .where('task_labels.key', '=', key)
          .where('task_labels.value', '=', value),
      ),
    );
  }
  if (filter.cursor !== undefined) {
    const [createdAt, id] = decodeCursor(filter.cursor, ['number', 'string'] as const);
    q = q.where((eb) =>
      eb.or([
        eb('tasks.created_at', '<', createdAt),
        eb.and([eb('tasks.created_at', '=', createdAt), eb('tasks.id', '<', id)]),
      ]),
    );
  }
  const rows = await q
    .orderBy('tasks.created_at', 'desc')
    .orderBy('tasks.id', 'desc')
    .limit(limit + 1)
    .execute();
  const items = rows.slice(0, limit).map(taskFromRow);
  const last = items[items.length - 1];
  const nextCursor = rows.length > limit && last !== undefined ? encodeCursor([last.createdAt, last.id]) : null;
  return { items, nextCursor };
}

export async function countTasksByState(ctx: SqlContext): Promise<Readonly<Record<TaskState, number>>> {
  const rows = await ctx.db
    .selectFrom('tasks')
    .select((eb) => ['state', eb.fn.countAll().as('n')])
    .groupBy('state')
    .execute();
  const counts = Object.fromEntries(TASK_STATES.map((s) => [s, 0])) as Record<TaskState, number>;
  for (const row of rows) {
    if ((TASK_STATES as readonly string[]).includes(row.state)) counts[row.state as TaskState] = toNum(row.n);
  }
  return counts;
}
