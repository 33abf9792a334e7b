/**
 * The scheduler, a pure planner: `schedule(snapshot, now) → plan`. A service commits the plan in
 * one transaction that re-checks each placement, so a stale plan never produces a bad lease.
 *
 * Rules, in order, for every queued task (taken in rank order, see `ranking.ts`):
 * 1. kill switch on → nothing is placed; every task is unplaced with `killswitch`;
 * 2. `notBefore` in the future → `backoff`;
 * 3. no schedulable node advertises every required capability → `no_capable_node`, with the
 *    missing capabilities in `detail`;
 * 4. every capable node is full (counting what this plan already placed) → `no_free_slot`;
 * 5. otherwise the task goes to the least-loaded capable node with a free slot.
 *
 * Placements and unplaced tasks are listed in rank order. The plan depends only on the content
 * of the snapshot, not on the order of its nodes or tasks (given unique ids).
 */
import { noCapableNodeDetail, noFreeSlotDetail, type RequirementMatch } from './feasibility.js';
import { NodePool } from './node-pool.js';
import { rankTasks } from './ranking.js';
import type { Placement, SchedulePlan, SchedulerSnapshot, SchedulerNode, Unplaced } from './scheduler-types.js';

export const KILLSWITCH_DETAIL = 'kill switch is on';

export function schedule(snapshot: SchedulerSnapshot, nowMs: number): SchedulePlan {
  const ranked = rankTasks(snapshot.tasks);
  if (snapshot.killSwitch) {
    return {
      placements: [],
      unplaced: ranked.map((t) => ({ taskId: t.id, reason: 'killswitch', detail: KILLSWITCH_DETAIL })),
    };
  }

  const pool = new NodePool(snapshot.nodes.filter((n) => n.schedulable));
  const placements: Placement[] = [];
  const unplaced: Unplaced[] = [];
  const fullDetail = new Map<RequirementMatch, string>();

  for (const task of ranked) {
    if (task.notBefore > nowMs) {
      unplaced.push({ taskId: task.id, reason: 'backoff', detail: `retry in ${task.notBefore - nowMs} ms` });
      continue;
    }
    const match = pool.index.match(task.requires);
    if (match.groups.length === 0) {
      unplaced.push({ taskId: task.id, reason: 'no_capable_node', detail: noCapableNodeDetail(match) });
      continue;
    }
    const node = pool.take(match);
    if (node < 0) {
      let detail = fullDetail.get(match);
      if (detail === undefined) {
        detail = noFreeSlotDetail(match);
        fullDetail.set(match, detail);
      }
      unplaced.push({ taskId: task.id, reason: 'no_free_slot', detail });
      continue;
    }
    placements.push({ taskId: task.id, nodeId: (pool.candidates[node] as SchedulerNode).id });
  }
  return { placements, unplaced };
}
