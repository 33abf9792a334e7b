import { CorticalError } from '../../../core/errors.js';
import type { NewEvent } from '../../../core/events.js';
import { isTerminal, type Guidance, type Task, type TaskDesire } from '../../../core/task.js';
import { finishAttempt } from './attempt-end.js';
import { insertEvents } from './events-sql.js';
import { guidanceFromRow } from './guidance-sql.js';
import { toJson } from './json.js';
import { toNum } from './numbers.js';
import type { SqlContext } from './sql-context.js';
import { loadTask, saveTask } from './task-row.js';

const DESIRE_VERBS: Readonly<Record<TaskDesire, string>> = {
  run: 'resume',
  pause: 'pause',
  pause_now: 'pause',
  stop: 'stop',
};

/**
 * Record what the user wants of a task. A queued task that is stopped is cancelled at once;
 * otherwise the desire is recorded and the node converges on it (a queued task keeps it for its
 * next attempt). `run` (resume) needs a task that is paused or asked to pause.
 */
export async function requestControl(
  ctx: SqlContext,
  input: { taskId: string; desire: TaskDesire; nowMs: number; actor: string },
): Promise<Task> {
  const { desire, nowMs } = input;
  return ctx.runInTx(async (tx) => {
    const stored = await loadTask(tx, input.taskId);
    const t = stored.task;
    const verb = DESIRE_VERBS[desire];
    if (isTerminal(t.state)) {
      throw new CorticalError('INVALID_TRANSITION', `cannot ${verb} a task that is ${t.state}`, {
        taskId: t.id,
        state: t.state,
        desire,
      });
    }
    if (desire === 'run' && t.state !== 'paused' && t.desired !== 'pause' && t.desired !== 'pause_now') {
      throw new CorticalError(
        'INVALID_TRANSITION',
        `cannot resume a task that is ${t.state} and not paused (desired: ${t.desired})`,
        { taskId: t.id, state: t.state, desire },
      );
    }
    const events: NewEvent[] = [
      {
        type: 'task.control-requested',
        taskId: t.id,
        nodeId: t.nodeId,
        data: { desire, actor: input.actor, state: t.state },
      },
    ];
    let next: Task;
    if (desire === 'stop' && t.state === 'queued') {
      const end = finishAttempt({ ...t, desired: 'stop' }, 'cancelled', 'stopped', `stopped by ${input.actor}`, nowMs);
      next = end.next;
      events.push(...end.events);
    } else {
      next = { ...t, desired: desire, updatedAt: nowMs };
    }
    await saveTask(tx, stored, next);
    await insertEvents(tx, events, nowMs);
    return next;
  });
}

export async function addGuidance(
  ctx: SqlContext,
  input: { taskId: string; text: string; nowMs: number; actor: string },
): Promise<Guidance> {
  return ctx.runInTx(async (tx) => {
    const { task } = await loadTask(tx, input.taskId);
    if (isTerminal(task.state)) {
      throw new CorticalError('INVALID_TRANSITION', `cannot guide a task that is ${task.state}`, {
        taskId: task.id,
        state: task.state,
      });
    }
    const top = await tx
      .selectFrom('guidance')
      .select((eb) => eb.fn.max('seq').as('max_seq'))
      .where('task_id', '=', task.id)
      .executeTakeFirst();
    const seq = (top?.max_seq === null || top?.max_seq === undefined ? 0 : toNum(top.max_seq)) + 1;
    const guidance: Guidance = {
      taskId: task.id,
      seq,
      text: input.text,
      actor: input.actor,
      createdAt: input.nowMs,
      deliveredAt: null,
      deliveryMode: null,
    };
    await tx
      .insertInto('guidance')
      .values({ task_id: task.id, seq, text: input.text, actor: input.actor, created_at: input.nowMs, delivered_at: null })
      .execute();
    await insertEvents(
      tx,
      [
        {
          type: 'task.guided',
          taskId: task.id,
          nodeId: task.nodeId,
          data: { seq, actor: input.actor, length: input.text.length },
        },
      ],
      input.nowMs,
    );
    return guidance;
  });
}

export async function listGuidance(ctx: SqlContext, taskId: string): Promise<readonly Guidance[]> {
  await loadTask(ctx.db, taskId);
  const rows = await ctx.db
    .selectFrom('guidance')
    .selectAll()
    .where('task_id', '=', taskId)
    .orderBy('seq', 'asc')
    .execute();
  return rows.map(guidanceFromRow);
}

/**
 * Move a task to another agent (and model): the spec changes at once; a queued task is scheduled
 * with it, a leased one switches at its next iteration (the node reads the spec on renewal).
 */
export async function resleeveTask(
  ctx: SqlContext,
  input: { taskId: string; agent: string; model: string | null; nowMs: number; actor: string },
): Promise<Task> {
  return ctx.runInTx(async (tx) => {
    const stored = await loadTask(tx, input.taskId);
    const t = stored.task;
    if (isTerminal(t.state)) {
      throw new CorticalError('INVALID_TRANSITION', `cannot resleeve a task that is ${t.state}`, { taskId: t.id, state: t.state });
    }
    const from = { agent: t.spec.agent, model: t.spec.model ?? null };
    const next: Task = { ...t, spec: { ...t.spec, agent: input.agent, model: input.model }, updatedAt: input.nowMs };
    await saveTask(tx, stored, next);
    // the spec is otherwise immutable: saveTask writes only the columns that change over a task's life
    await tx.updateTable('tasks').set({ spec: toJson(next.spec), agent: next.spec.agent }).where('id', '=', t.id).execute();
    await insertEvents(
      tx,
      [{ type: 'task.resleeved', taskId: t.id, nodeId: t.nodeId, data: { from, to: { agent: input.agent, model: input.model }, actor: input.actor, state: t.state } }],
      input.nowMs,
    );
    return next;
  });
}
