import type { EventType, NewEvent } from '../../../core/events.js';
import type { IterationReport, ProgressReport } from '../../../core/ports/store.js';
import type { Task } from '../../../core/task.js';
import { chunked, insertEvents } from './events-sql.js';
import { fencedTx } from './fenced-tx.js';
import type { Db, SqlContext } from './sql-context.js';
import { saveTask } from './task-row.js';
import { rollUpUsage } from './usage-ops.js';
import { requireTransition } from './task-transition.js';

const ITERATION_EVENTS: Readonly<Record<IterationReport['kind'], EventType>> = {
  started: 'iteration.started',
  finished: 'iteration.finished',
  usage: 'iteration.usage-reported',
  snapshot: 'workspace.snapshotted',
  agent: 'agent.event',
  revert: 'workspace.reverted',
};

/**
 * Progress from a running attempt, in one fenced transaction: iteration events (once per
 * attempt, iteration and kind), log lines, usage and runtime, running ⇄ paused as observed by the
 * node, and guidance delivery.
 */
export async function reportProgress(ctx: SqlContext, input: ProgressReport): Promise<Task> {
  const { nowMs } = input;
  return fencedTx(ctx, input.claim, nowMs, 'progress', async (tx, stored) => {
    let t: Task = stored.task;
    const events: NewEvent[] = [];
    const at = { taskId: t.id, nodeId: t.nodeId };

    for (const report of input.iterations) {
      if (!(await recordIteration(tx, t.id, t.attempts, report))) continue;
      events.push({
        type: ITERATION_EVENTS[report.kind],
        ...at,
        data: { ...report.data, attempt: t.attempts, iteration: report.iteration, at: report.at },
      });
      // single decisions (denials, T2+) are audited; counted T0/T1 summaries stay agent events
      const decision = policyDecisionData(report, t.id);
      if (decision !== null && decision.summary !== true) events.push({ type: 'policy.decision', ...at, data: { ...decision, attempt: t.attempts, iteration: report.iteration, at: report.at } });
    }

    for (const logs of chunked(input.logs)) {
      await tx
        .insertInto('task_logs')
        .values(
          logs.map((l) => ({
            task_id: t.id,
            attempt: l.attempt,
            iteration: l.iteration,
            stream: l.stream,
            at: l.at,
            text: l.text,
          })),
        )
        .execute();
    }

    const usage = input.usage === undefined ? t.usage : await rollUpUsage(tx, t, input.usage, nowMs);
    t = {
      ...t,
      usage,
      runtimeMs: input.runtimeMs ?? t.runtimeMs,
      updatedAt: nowMs,
    };

    if (input.observed !== undefined && t.state === 'leased') {
      t = { ...t, state: requireTransition(t, 'start'), startedAt: t.startedAt ?? nowMs };
      events.push({ type: 'task.started', ...at, data: { attempt: t.attempts, workspacePath: t.workspacePath } });
    }
    if (input.observed === 'paused' && t.state === 'running') {
      const reason = input.pauseReason ?? 'paused';
      const message = input.pauseMessage ?? null;
      // A pause the node decided itself (stuck) becomes the desired state, so that a user's
      // resume is a visible change (pause → run) the node can act on.
      const desired = t.desired === 'run' ? 'pause' : t.desired;
      t = { ...t, state: requireTransition(t, 'pause'), reason, message, desired };
      events.push({ type: 'task.paused', ...at, data: { reason, message, desired: t.desired } });
    } else if (input.observed === 'running' && t.state === 'paused') {
      t = { ...t, state: requireTransition(t, 'resume'), reason: null, message: null };
      events.push({ type: 'task.resumed', ...at, data: { desired: t.desired } });
    }

    for (const d of input.guidanceDeliveries ?? []) {
      const result = await tx
        .updateTable('guidance')
        .set({ delivered_at: nowMs, delivery_mode: d.mode })
        .where('task_id', '=', t.id)
        .where('seq', '=', d.seq)
        .where('delivered_at', 'is', null)
        .executeTakeFirst();
      if (Number(result.numUpdatedRows) > 0) events.push({ type: 'guidance.delivered', ...at, data: { seq: d.seq, mode: d.mode, count: 1 } });
    }
    if (input.guidanceDeliveredSeq !== undefined) {
      const result = await tx
        .updateTable('guidance')
        .set({ delivered_at: nowMs, delivery_mode: 'next_iteration' })
        .where('task_id', '=', t.id)
        .where('seq', '<=', input.guidanceDeliveredSeq)
        .where('delivered_at', 'is', null)
        .executeTakeFirst();
      const count = Number(result.numUpdatedRows);
      if (count > 0) {
        events.push({ type: 'guidance.delivered', ...at, data: { uptoSeq: input.guidanceDeliveredSeq, count } });
      }
    }

    await saveTask(tx, stored, t);
    await insertEvents(tx, events, nowMs);
    return t;
  });
}

const POLICY_TYPES: ReadonlySet<unknown> = new Set(['policy', 'policy_summary']);

function str(v: unknown): string | null {
  return typeof v === 'string' ? v : null;
}

/**
 * The `policy.decision` event data of a node's policy report (an `agent` report whose
 * `data.type` is `policy`: one decision, or `policy_summary`: allowed T0/T1 calls counted per
 * iteration; see src/services/node/policy-decision-log.ts); null for other reports.
 */
export function policyDecisionData(report: IterationReport, taskId: string): Record<string, unknown> | null {
  if (report.kind !== 'agent' || !POLICY_TYPES.has(report.data.type)) return null;
  const d = report.data;
  const subject = d.subject === 'command' ? 'command' : 'tool_call';
  const agent = str(d.agent);
  if (d.type === 'policy') {
    return { subject, agent, tool: str(d.tool), tier: str(d.tier), allowed: d.allowed === true, reason: str(d.reason), taskId };
  }
  const counts = typeof d.counts === 'object' && d.counts !== null ? (d.counts as Record<string, unknown>) : {};
  const count = typeof d.count === 'number' ? d.count : 0;
  const tiers = Object.keys(counts).sort();
  return {
    subject,
    agent,
    tool: null,
    tier: tiers.at(-1) ?? null,
    allowed: true,
    reason: `${count} ${tiers.join('/')} call${count === 1 ? '' : 's'} allowed in iteration ${report.iteration} (summarised)`,
    taskId,
    summary: true,
    count,
    counts,
  };
}

/** Remember an iteration report; false when the same (attempt, iteration, kind) was seen before. */
async function recordIteration(db: Db, taskId: string, attempt: number, report: IterationReport): Promise<boolean> {
  // Agent events come many per iteration: each is told apart by its number in the iteration
  // (policy reports by their own number in the attempt); watchdog reverts by their time.
  const kind =
    report.kind === 'revert'
      ? `revert:${report.at}`
      : report.kind !== 'agent'
        ? report.kind
        : POLICY_TYPES.has(report.data.type) && typeof report.data.pn === 'number'
          ? `policy:${report.data.pn}`
          : `agent:${typeof report.data.n === 'number' ? report.data.n : report.at}`;
  const seen = await db
    .selectFrom('iteration_reports')
    .select('task_id')
    .where('task_id', '=', taskId)
    .where('attempt', '=', attempt)
    .where('iteration', '=', report.iteration)
    .where('kind', '=', kind)
    .executeTakeFirst();
  if (seen !== undefined) return false;
  await db
    .insertInto('iteration_reports')
    .values({ task_id: taskId, attempt, iteration: report.iteration, kind, at: report.at })
    .execute();
  return true;
}
