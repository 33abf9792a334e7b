/** Domain events: `noun.past-verb`, appended to the store in the same transaction as the change. */
export const EVENT_TYPES = [
  'task.created',
  'task.leased',
  'task.started',
  'task.paused',
  'task.resumed',
  'task.succeeded',
  'task.failed',
  'task.cancelled',
  'task.requeued',
  'task.unplaced', // queued task's scheduling reason changed
  'task.control-requested', // pause/resume/stop asked by a user
  'task.guided', // guidance text added
  'iteration.started',
  'iteration.finished',
  'iteration.usage-reported',
  'agent.event', // a structured agent event: tool call, tool result, file change, error, session
  'task.resleeved', // the task moves to another agent driver
  'guidance.delivered',
  'workspace.command-queued', // snapshot / revert asked of the node holding the workspace
  'workspace.snapshotted', // a snapshot was taken (on request, or before an iteration)
  'workspace.reverted',
  'workspace.command-failed',
  'node.joined',
  'node.rejoined',
  'node.lost',
  'node.recovered',
  'node.cordoned',
  'node.uncordoned',
  'node.draining',
  'lease.expired',
  'lease.rejected', // a stale holder tried to write
  'killswitch.changed',
  'budget.changed', // a project's or the fleet's daily budget was set or cleared
  'token.created',
  'token.revoked',
  'plan.refused', // the request planner's policy refused a request (preview or submit)
  'plan.submitted', // a planned request became a task
  'policy.decision', // a safety policy allowed or denied a tool call, a plan or a plan step
  'pipeline.started', // a safety pipeline run began (PLAN)
  'pipeline.stage', // a pipeline run finished a stage (passed or failed)
  'pipeline.promoted', // a pipeline run's Green became Blue
  'pipeline.aborted', // a pipeline run stopped before promotion
  'pipeline.rolled-back', // a workspace or release went back to a snapshot
  'tripcode.issued',
  'tripcode.applied',
  'tripcode.rejected',
  'lockdown.changed', // fleet lockdown on/off (kill switch + T2/T3 denied)
  'diagnostics.exported',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export interface NewEvent {
  readonly type: EventType;
  readonly taskId: string | null;
  readonly nodeId: string | null;
  /** JSON-serialisable payload. */
  readonly data: Readonly<Record<string, unknown>>;
}

export interface StoredEvent extends NewEvent {
  /** Global, strictly increasing; resumable streams use it (`Last-Event-ID`). */
  readonly seq: number;
  readonly at: number;
}
