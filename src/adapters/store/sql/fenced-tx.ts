import { CorticalError } from '../../../core/errors.js';
import { checkFence, type FenceRejection } from '../../../core/lease.js';
import type { LeaseClaimInput } from '../../../core/ports/store.js';
import { insertEvents } from './events-sql.js';
import type { Db, SqlContext } from './sql-context.js';
import { loadTask, type StoredTask } from './task-row.js';

type Outcome<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly why: FenceRejection };

/**
 * Run a lease-guarded write in one transaction. The fencing check runs inside the transaction;
 * when it fails, a `lease.rejected` event is committed (nothing else changes) and the call then
 * throws LEASE_CONFLICT.
 */
export async function fencedTx<T>(
  ctx: SqlContext,
  claim: LeaseClaimInput,
  nowMs: number,
  operation: string,
  fn: (tx: Db, stored: StoredTask) => Promise<T>,
): Promise<T> {
  const outcome = await ctx.runInTx(async (tx): Promise<Outcome<T>> => {
    const stored = await loadTask(tx, claim.taskId);
    const verdict = checkFence(stored.task, claim, nowMs);
    if (!verdict.ok) {
      await insertEvents(
        tx,
        [
          {
            type: 'lease.rejected',
            taskId: claim.taskId,
            nodeId: claim.nodeId,
            data: {
              why: verdict.why,
              operation,
              fencingToken: claim.fencingToken,
              currentFencingToken: stored.task.fencingToken,
              state: stored.task.state,
            },
          },
        ],
        nowMs,
      );
      return { ok: false, why: verdict.why };
    }
    return { ok: true, value: await fn(tx, stored) };
  });
  if (!outcome.ok) {
    throw new CorticalError(
      'LEASE_CONFLICT',
      `lease of task ${claim.taskId} rejected for node ${claim.nodeId}: ${outcome.why.replace('_', ' ')}`,
      { why: outcome.why, taskId: claim.taskId, nodeId: claim.nodeId, operation },
    );
  }
  return outcome.value;
}
