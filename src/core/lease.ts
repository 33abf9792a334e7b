import { isLeasedState, type Task } from './task.js';

/** A node's claim on a leased task: every renew, progress report and completion carries it. */
export interface LeaseClaim {
  readonly taskId: string;
  readonly nodeId: string;
  readonly fencingToken: number;
}

export type FenceRejection = 'not_leased' | 'wrong_node' | 'stale_token' | 'expired';

export type FenceVerdict = { readonly ok: true } | { readonly ok: false; readonly why: FenceRejection };

/**
 * The fencing check. Stores run it inside the same transaction as the write it guards, so a
 * stale holder (a node that lost its lease and whose task was granted again) can never write.
 */
export function checkFence(
  task: Pick<Task, 'state' | 'nodeId' | 'fencingToken' | 'leaseExpiresAt'>,
  claim: Pick<LeaseClaim, 'nodeId' | 'fencingToken'>,
  nowMs: number,
): FenceVerdict {
  if (!isLeasedState(task.state)) return { ok: false, why: 'not_leased' };
  if (task.nodeId !== claim.nodeId) return { ok: false, why: 'wrong_node' };
  if (task.fencingToken !== claim.fencingToken) return { ok: false, why: 'stale_token' };
  if (task.leaseExpiresAt !== null && task.leaseExpiresAt <= nowMs) return { ok: false, why: 'expired' };
  return { ok: true };
}

/** The token of the next grant: strictly greater than every earlier one. */
export function nextFencingToken(current: number): number {
  return current + 1;
}
