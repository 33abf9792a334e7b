import type { Selectable } from 'kysely';
import { CorticalError } from '../../../core/errors.js';
import type { NewEvent } from '../../../core/events.js';
import { isFinishedCommand, type NodeCommand, type NodeCommandKind, type NodeCommandState } from '../../../core/node-command.js';
import { clampLimit, type Page, type PageRequest } from '../../../core/page.js';
import type { NewNodeCommand, NodeCommandOutcome } from '../../../core/ports/store.js';
import { decodeCursor, encodeCursor } from './cursor.js';
import type { NodeCommandsTable } from './database.js';
import { insertEvents } from './events-sql.js';
import { parseJson, toJson } from './json.js';
import { toNum } from './numbers.js';
import type { Db, SqlContext } from './sql-context.js';

function commandFromRow(row: Selectable<NodeCommandsTable>): NodeCommand {
  return {
    id: row.id,
    nodeId: row.node_id,
    taskId: row.task_id,
    kind: row.kind as NodeCommandKind,
    args: parseJson<Record<string, unknown>>(row.args, 'node_commands.args'),
    state: row.state as NodeCommandState,
    result: row.result === null ? null : parseJson<Record<string, unknown>>(row.result, 'node_commands.result'),
    error: row.error,
    actor: row.actor,
    createdAt: toNum(row.created_at),
    updatedAt: toNum(row.updated_at),
  };
}

async function findCommand(db: Db, id: string): Promise<NodeCommand | null> {
  const row = await db.selectFrom('node_commands').selectAll().where('id', '=', id).executeTakeFirst();
  return row === undefined ? null : commandFromRow(row);
}

export async function enqueueNodeCommand(ctx: SqlContext, input: NewNodeCommand): Promise<NodeCommand> {
  const command: NodeCommand = {
    id: input.id,
    nodeId: input.nodeId,
    taskId: input.taskId,
    kind: input.kind,
    args: input.args,
    state: 'queued',
    result: null,
    error: null,
    actor: input.actor,
    createdAt: input.nowMs,
    updatedAt: input.nowMs,
  };
  return ctx.runInTx(async (tx) => {
    const task = await tx.selectFrom('tasks').select('id').where('id', '=', input.taskId).executeTakeFirst();
    if (task === undefined) throw new CorticalError('TASK_NOT_FOUND', `task ${input.taskId} not found`, { taskId: input.taskId });
    await tx
      .insertInto('node_commands')
      .values({
        id: command.id,
        node_id: command.nodeId,
        task_id: command.taskId,
        kind: command.kind,
        args: toJson(command.args),
        state: command.state,
        result: null,
        error: null,
        actor: command.actor,
        created_at: command.createdAt,
        updated_at: command.updatedAt,
      })
      .execute();
    if (command.kind !== 'list_snapshots') {
      await insertEvents(
        tx,
        [
          {
            type: 'workspace.command-queued',
            taskId: command.taskId,
            nodeId: command.nodeId,
            data: { commandId: command.id, kind: command.kind, args: command.args, actor: command.actor },
          },
        ],
        input.nowMs,
      );
    }
    return command;
  });
}

export function getNodeCommand(ctx: SqlContext, id: string): Promise<NodeCommand | null> {
  return findCommand(ctx.db, id);
}

/**
 * The node's open commands (queued ones become sent). Asked on every heartbeat, and almost always
 * empty: that case is one indexed read and no transaction. Otherwise a READ COMMITTED
 * transaction on PostgreSQL: the state change is per row and re-checked by its WHERE clause, and
 * a command sent twice is harmless (sent commands are handed out until they finish).
 */
export async function takeNodeCommands(
  ctx: SqlContext,
  input: { nodeId: string; limit: number; nowMs: number },
): Promise<readonly NodeCommand[]> {
  const limit = Math.max(1, Math.min(500, Math.floor(input.limit)));
  const open = (db: Db) =>
    db
      .selectFrom('node_commands')
      .selectAll()
      .where('node_id', '=', input.nodeId)
      .where('state', 'in', ['queued', 'sent'])
      .orderBy('created_at', 'asc')
      .orderBy('id', 'asc');
  const any = await open(ctx.db).limit(1).execute();
  if (any.length === 0) return [];
  return ctx.runInTx(
    async (tx) => {
      const rows = await open(tx).limit(limit).execute();
      const queued = rows.filter((r) => r.state === 'queued').map((r) => r.id);
      if (queued.length > 0) {
        await tx
          .updateTable('node_commands')
          .set({ state: 'sent', updated_at: input.nowMs })
          .where('id', 'in', queued)
          .where('state', '=', 'queued')
          .execute();
      }
      return rows.map((r) => (r.state === 'queued' ? { ...commandFromRow(r), state: 'sent' as const, updatedAt: input.nowMs } : commandFromRow(r)));
    },
    { isolation: 'read_committed' },
  );
}

/** The event a finished command leaves in the task's history (none for a successful listing). */
function outcomeEvent(c: NodeCommand): NewEvent | null {
  const base = { taskId: c.taskId, nodeId: c.nodeId };
  const common = { commandId: c.id, actor: c.actor };
  if (c.state === 'failed') return { type: 'workspace.command-failed', ...base, data: { ...common, kind: c.kind, args: c.args, error: c.error } };
  const r = c.result ?? {};
  if (c.kind === 'snapshot') return { type: 'workspace.snapshotted', ...base, data: { ...common, ...r } };
  if (c.kind === 'revert') return { type: 'workspace.reverted', ...base, data: { ...common, ...r } };
  return null;
}

export async function finishNodeCommand(ctx: SqlContext, input: NodeCommandOutcome): Promise<NodeCommand> {
  return ctx.runInTx(async (tx) => {
    const current = await findCommand(tx, input.id);
    if (current === null) throw new CorticalError('NOT_FOUND', `command ${input.id} not found`, { commandId: input.id });
    if (input.nodeId !== undefined && current.nodeId !== input.nodeId) {
      throw new CorticalError('FORBIDDEN', `command ${input.id} belongs to another node`, { commandId: input.id });
    }
    if (isFinishedCommand(current.state)) return current;
    const next: NodeCommand = {
      ...current,
      state: input.state,
      result: input.state === 'done' ? (input.result ?? {}) : null,
      error: input.state === 'failed' ? (input.error ?? 'failed') : null,
      updatedAt: input.nowMs,
    };
    const updated = await tx
      .updateTable('node_commands')
      .set({ state: next.state, result: next.result === null ? null : toJson(next.result), error: next.error, updated_at: next.updatedAt })
      .where('id', '=', input.id)
      .where('state', 'in', ['queued', 'sent'])
      .executeTakeFirst();
    if (Number(updated.numUpdatedRows) === 0) return (await findCommand(tx, input.id)) ?? current;
    const event = outcomeEvent(next);
    if (event !== null) await insertEvents(tx, [event], input.nowMs);
    return next;
  });
}

/** Newest first (created_at desc, id desc). */
export async function listNodeCommands(ctx: SqlContext, input: { taskId: string } & PageRequest): Promise<Page<NodeCommand>> {
  const limit = clampLimit(input.limit);
  let q = ctx.db.selectFrom('node_commands').selectAll().where('task_id', '=', input.taskId);
  if (input.cursor !== undefined) {
    const [createdAt, id] = decodeCursor(input.cursor, ['number', 'string'] as const);
    q = q.where((eb) => eb.or([eb('created_at', '<', createdAt), eb.and([eb('created_at', '=', createdAt), eb('id', '<', id)])]));
  }
  const rows = await q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit + 1).execute();
  const items = rows.slice(0, limit).map(commandFromRow);
  const last = items[items.length - 1];
  return { items, nextCursor: rows.length > limit && last !== undefined ? encodeCursor([last.createdAt, last.id]) : null };
}

export async function workspaceNodeOf(ctx: SqlContext, taskId: string): Promise<string | null> {
  const task = await ctx.db.selectFrom('tasks').select(['node_id']).where('id', '=', taskId).executeTakeFirst();
  if (task === undefined) throw new CorticalError('TASK_NOT_FOUND', `task ${taskId} not found`, { taskId });
  if (task.node_id !== null) return task.node_id;
  const started = await ctx.db
    .selectFrom('events')
    .select('node_id')
    .where('task_id', '=', taskId)
    .where('type', '=', 'task.started')
    .orderBy('seq', 'desc')
    .limit(1)
    .executeTakeFirst();
  return started?.node_id ?? null;
}
