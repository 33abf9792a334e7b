import type { NewEvent } from '../../../core/events.js';
import { nextFencingToken } from '../../../core/lease.js';
import { isSchedulable } from '../../../core/node.js';
import type { CommitResult } from '../../../core/ports/store.js';
import type { SchedulePlan, SchedulerSnapshot, UnplacedReason } from '../../../core/scheduler/scheduler-types.js';
import { transition } from '../../../core/task-state-machine.js';
import type { Task } from '../../../core/task.js';
import { insertEvents } from './events-sql.js';
import { readKillSwitch } from './killswitch-ops.js';
import { activeLeaseCounts, nodeFromRow, type NodeRow } from './node-row.js';
import { parseJson } from './json.js';
import { toNum } from './numbers.js';
import type { Db, SqlContext } from './sql-context.js';
import { saveTask, taskFromRow, type StoredTask } from './task-row.js';
import { taskRequirements } from '../../../core/scheduler/task-requirements.js';

export async function loadSchedulerSnapshot(
  ctx: SqlContext,
  input: { maxTasks: number; nowMs: number },
): Promise<SchedulerSnapshot> {
  const db = ctx.db;
  const nodeRows = await db.selectFrom('nodes').selectAll().where('liveness', '=', 'ready').orderBy('id').execute();
  const counts = await activeLeaseCounts(
    db,
    nodeRows.map((n) => n.id),
  );
  const maxTasks = Math.max(0, Math.floor(input.maxTasks));
  const taskRows =
    maxTasks === 0
      ? []
      : await db
          .selectFrom('tasks')
          .select(['id', 'requires', 'agent', 'priority', 'created_at', 'not_before'])
          .where('state', '=', 'queued')
          .orderBy('priority', 'desc')
          .orderBy('created_at', 'asc')
          .orderBy('id', 'asc')
          .limit(maxTasks)
          .execute();
  const killSwitch = await readKillSwitch(db);
  return {
    nodes: nodeRows.map((row) => {
      const node = nodeFromRow(row, counts.get(row.id) ?? 0);
      return {
        id: node.id,
        capabilities: node.capabilities,
        slots: node.slots,
        activeLeases: node.activeLeases,
        schedulable: isSchedulable(node),
      };
    }),
    tasks: taskRows.map((r) => ({
      id: r.id,
      requires: taskRequirements(parseJson<string[]>(r.requires, 'tasks.requires'), r.agent),
      priority: toNum(r.priority),
      createdAt: toNum(r.created_at),
      notBefore: toNum(r.not_before),
    })),
    killSwitch: killSwitch.on,
  };
}

async function loadTasksByIds(db: Db, ids: readonly string[]): Promise<Map<string, StoredTask>> {
  const out = new Map<string, StoredTask>();
  if (ids.length === 0) return out;
  const rows = await db.selectFrom('tasks').selectAll().where('id', 'in', [...new Set(ids)]).execute();
  for (const row of rows) out.set(row.id, { task: taskFromRow(row), version: toNum(row.row_version) });
  return out;
}

/**
 * Commit a plan in one transaction, re-checking every placement against the state at commit
 * time; a stale placement is rejected with a reason, the rest are granted.
 */
export async function commitPlan(
  ctx: SqlContext,
  input: { plan: SchedulePlan; nowMs: number; leaseTtlMs: number },
): Promise<CommitResult> {
  const { plan, nowMs } = input;
  if (plan.placements.length === 0) return { granted: [], rejected: [] };
  return ctx.runInTx(async (tx) => {
    const granted: Task[] = [];
    const rejected: { taskId: string; nodeId: string; why: string }[] = [];
    if ((await readKillSwitch(tx)).on) {
      return { granted, rejected: plan.placements.map((p) => ({ ...p, why: 'killswitch' })) };
    }
    const tasks = await loadTasksByIds(
      tx,
      plan.placements.map((p) => p.taskId),
    );
    const nodeIds = [...new Set(plan.placements.map((p) => p.nodeId))];
    const nodeRows = await tx.selectFrom('nodes').selectAll().where('id', 'in', nodeIds).execute();
    const nodes = new Map<string, NodeRow>(nodeRows.map((r) => [r.id, r]));
    const used = await activeLeaseCounts(tx, nodeIds);
    const events: NewEvent[] = [];

    for (const p of plan.placements) {
      const stored = tasks.get(p.taskId);
      const row = nodes.get(p.nodeId);
      const why = rejection(stored?.task, row, used.get(p.nodeId) ?? 0, nowMs);
      if (why !== null || stored === undefined || row === undefined) {
        rejected.push({ taskId: p.taskId, nodeId: p.nodeId, why: why ?? 'task_not_found' });
        continue;
      }
      const t = stored.task;
      const next: Task = {
        ...t,
        state: 'leased',
        attempts: t.attempts + 1,
        fencingToken: nextFencingToken(t.fencingToken),
        nodeId: p.nodeId,
        leaseExpiresAt: nowMs + input.leaseTtlMs,
        reason: null,
        message: null,
        updatedAt: nowMs,
      };
      tasks.set(t.id, await saveTask(tx, stored, next));
      used.set(p.nodeId, (used.get(p.nodeId) ?? 0) + 1);
      granted.push(next);
      events.push({
        type: 'task.leased',
        taskId: t.id,
        nodeId: p.nodeId,
        data: { attempt: next.attempts, fencingToken: next.fencingToken, leaseExpiresAt: next.leaseExpiresAt },
      });
    }
    await insertEvents(tx, events, nowMs);
    return { granted, rejected };
  });
}

function rejection(task: Task | undefined, node: NodeRow | undefined, used: number, nowMs: number): string | null {
  if (task === undefined) return 'task_not_found';
  if (!transition(task.state, 'lease').ok) return 'task_not_queued';
  if (task.notBefore > nowMs) return 'backoff';
  if (node === undefined) return 'node_not_found';
  if (node.liveness !== 'ready') return 'node_lost';
  if (node.scheduling !== 'active') return `node_${node.scheduling}`;
  if (used >= toNum(node.slots)) return 'no_free_slot';
  const caps = new Set(parseJson<string[]>(node.capabilities, 'nodes.capabilities'));
  // re-checked with the agent the task has now (a resleeve may have changed it since the snapshot)
  if (!taskRequirements(task.spec.requires, task.spec.agent).every((c) => caps.has(c))) return 'node_incapable';
  return null;
}

/** Write changed scheduling reasons of queued tasks only; returns how many were written. */
export async function recordUnplaced(
  ctx: SqlContext,
  input: { items: readonly { taskId: string; reason: UnplacedReason; detail: string | null }[]; nowMs: number },
): Promise<number> {
  if (input.items.length === 0) return 0;
  return ctx.runInTx(async (tx) => {
    const tasks = await loadTasksByIds(
      tx,
      input.items.map((i) => i.taskId),
    );
    const events: NewEvent[] = [];
    for (const item of input.items) {
      const stored = tasks.get(item.taskId);
      if (stored === undefined || stored.task.state !== 'queued') continue;
      if (stored.task.reason === item.reason && stored.task.message === item.detail) continue;
      const next: Task = { ...stored.task, reason: item.reason, message: item.detail, updatedAt: input.nowMs };
      tasks.set(item.taskId, await saveTask(tx, stored, next));
      events.push({
        type: 'task.unplaced',
        taskId: item.taskId,
        nodeId: null,
        data: { reason: item.reason, detail: item.detail },
      });
    }
    await insertEvents(tx, events, input.nowMs);
    return events.length;
  });
}
