import type { NewEvent } from '../../../core/events.js';
import type { ReapResult } from '../../../core/ports/store.js';
import { LEASED_TASK_STATES } from '../../../core/task.js';
import { retryAttempt } from './attempt-end.js';
import { insertEvents } from './events-sql.js';
import { boundLimit, toNum } from './numbers.js';
import type { SqlContext } from './sql-context.js';
import { saveTask, taskFromRow } from './task-row.js';

const MAX_REAP = 10_000;

/**
 * Requeue (or fail, or cancel when asked to stop) tasks whose lease has expired, oldest expiry
 * first, and mark nodes lost whose last heartbeat is too old. Their tasks are not touched here:
 * their leases run out on their own. At most `limit` tasks and `limit` nodes per call.
 */
export async function reapExpired(
  ctx: SqlContext,
  input: { nowMs: number; nodeLostAfterMs: number; limit: number },
): Promise<ReapResult> {
  const { nowMs } = input;
  const limit = boundLimit(input.limit, MAX_REAP);
  return ctx.runInTx(async (tx) => {
    const requeued: string[] = [];
    const failed: string[] = [];
    const cancelled: string[] = [];
    const nodesLost: string[] = [];
    const events: NewEvent[] = [];

    const rows = await tx
      .selectFrom('tasks')
      .selectAll()
      .where('state', 'in', [...LEASED_TASK_STATES])
      .where('lease_expires_at', '<=', nowMs)
      .orderBy('lease_expires_at', 'asc')
      .orderBy('id', 'asc')
      .limit(limit)
      .execute();
    for (const row of rows) {
      const stored = { task: taskFromRow(row), version: toNum(row.row_version) };
      const t = stored.task;
      const end = retryAttempt(t, 'lease_expired', `lease expired at ${t.leaseExpiresAt}`, nowMs);
      await saveTask(tx, stored, end.next);
      events.push(
        {
          type: 'lease.expired',
          taskId: t.id,
          nodeId: t.nodeId,
          data: { fencingToken: t.fencingToken, leaseExpiresAt: t.leaseExpiresAt, state: t.state },
        },
        ...end.events,
      );
      if (end.outcome === 'requeued') requeued.push(t.id);
      else if (end.outcome === 'cancelled') cancelled.push(t.id);
      else failed.push(t.id);
    }

    const lost = await tx
      .selectFrom('nodes')
      .select(['id', 'last_heartbeat_at'])
      .where('liveness', '=', 'ready')
      .where('last_heartbeat_at', '<', nowMs - input.nodeLostAfterMs)
      .orderBy('last_heartbeat_at', 'asc')
      .orderBy('id', 'asc')
      .limit(limit)
      .execute();
    if (lost.length > 0) {
      await tx
        .updateTable('nodes')
        .set({ liveness: 'lost' })
        .where(
          'id',
          'in',
          lost.map((n) => n.id),
        )
        .execute();
    }
    for (const n of lost) {
      nodesLost.push(n.id);
      events.push({
        type: 'node.lost',
        taskId: null,
        nodeId: n.id,
        data: { lastHeartbeatAt: toNum(n.last_heartbeat_at) },
      });
    }

    await insertEvents(tx, events, nowMs);
    return { requeued, failed, cancelled, nodesLost };
  });
}
