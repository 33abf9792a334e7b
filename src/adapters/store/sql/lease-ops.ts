import { rollUpUsage } from './usage-ops.js';
import type { LeaseRenewal, AttemptCompletion, LeaseClaimInput } from '../../../core/ports/store.js';
import { LEASED_TASK_STATES, type Task } from '../../../core/task.js';
import { finishAttempt, retryAttempt } from './attempt-end.js';
import { insertEvents } from './events-sql.js';
import { fencedTx } from './fenced-tx.js';
import { pendingGuidance } from './guidance-sql.js';
import { readKillSwitch } from './killswitch-ops.js';
import { loadNodeRow } from './node-row.js';
import type { SqlContext } from './sql-context.js';
import { saveTask, taskFromRow } from './task-row.js';
import { requireTransition } from './task-transition.js';

/** A node's leases, oldest first; NODE_NOT_FOUND for an unknown node (looked up only when it holds none). */
export async function listNodeLeases(ctx: SqlContext, nodeId: string): Promise<readonly Task[]> {
  const rows = await ctx.db
    .selectFrom('tasks')
    .selectAll()
    .where('node_id', '=', nodeId)
    .where('state', 'in', [...LEASED_TASK_STATES])
    .orderBy('created_at', 'asc')
    .orderBy('id', 'asc')
    .execute();
  if (rows.length === 0) await loadNodeRow(ctx.db, nodeId);
  return rows.map(taskFromRow);
}

/** leased → running; an attempt already running or paused (node restart) is left as is. */
export async function startAttempt(
  ctx: SqlContext,
  input: { claim: LeaseClaimInput; nowMs: number; workspacePath: string },
): Promise<Task> {
  return fencedTx(ctx, input.claim, input.nowMs, 'start', async (tx, stored) => {
    const t = stored.task;
    if (t.state !== 'leased') return t;
    const next: Task = {
      ...t,
      state: requireTransition(t, 'start'),
      workspacePath: input.workspacePath,
      startedAt: t.startedAt ?? input.nowMs,
      updatedAt: input.nowMs,
    };
    await saveTask(tx, stored, next);
    await insertEvents(
      tx,
      [
        {
          type: 'task.started',
          taskId: t.id,
          nodeId: t.nodeId,
          data: { attempt: t.attempts, workspacePath: input.workspacePath },
        },
      ],
      input.nowMs,
    );
    return next;
  });
}

export async function renewLease(
  ctx: SqlContext,
  input: { claim: LeaseClaimInput; nowMs: number; leaseTtlMs: number },
): Promise<LeaseRenewal> {
  return fencedTx(ctx, input.claim, input.nowMs, 'renew', async (tx, stored) => {
    const leaseExpiresAt = input.nowMs + input.leaseTtlMs;
    const next: Task = { ...stored.task, leaseExpiresAt, updatedAt: input.nowMs };
    // No event per renewal: renewals are frequent and the expiry is visible on the task.
    await saveTask(tx, stored, next);
    return {
      task: next,
      leaseExpiresAt,
      desired: next.desired,
      pendingGuidance: await pendingGuidance(tx, next.id),
      killSwitch: (await readKillSwitch(tx)).on,
    };
  });
}

export async function completeAttempt(ctx: SqlContext, input: AttemptCompletion): Promise<Task> {
  return fencedTx(ctx, input.claim, input.nowMs, 'complete', async (tx, stored) => {
    const usage = input.usage === undefined ? stored.task.usage : await rollUpUsage(tx, stored.task, input.usage, input.nowMs);
    const withUsage: Task = {
      ...stored.task,
      usage,
      runtimeMs: input.runtimeMs ?? stored.task.runtimeMs,
    };
    const end =
      input.outcome === 'requeue'
        ? retryAttempt(withUsage, input.reason, input.message, input.nowMs)
        : finishAttempt(withUsage, input.outcome, input.reason, input.message, input.nowMs);
    await saveTask(tx, stored, end.next);
    await insertEvents(tx, end.events, input.nowMs);
    return end.next;
  });
}
