import type { EventType, StoredEvent } from './events.js';

/**
 * The audit log: who or what did which action when. It is a view over the event log (written in
 * the same transaction as each change), limited to these types: actions taken through the API,
 * policy decisions, the kill switch, budgets, credentials and fleet membership.
 */
export const AUDIT_EVENT_TYPES = [
  'task.created',
  'task.control-requested',
  'task.guided',
  'task.resleeved',
  'workspace.command-queued',
  'node.joined',
  'node.rejoined',
  'node.cordoned',
  'node.uncordoned',
  'node.draining',
  'lease.rejected',
  'killswitch.changed',
  'budget.changed',
  'token.created',
  'token.revoked',
  'plan.refused',
  'plan.submitted',
  'policy.decision',
  'pipeline.started',
  'pipeline.promoted',
  'pipeline.aborted',
  'pipeline.rolled-back',
  'tripcode.issued',
  'tripcode.applied',
  'tripcode.rejected',
  'lockdown.changed',
  'diagnostics.exported',
] as const satisfies readonly EventType[];
export type AuditEventType = (typeof AUDIT_EVENT_TYPES)[number];

export function isAuditEventType(type: string): type is AuditEventType {
  return (AUDIT_EVENT_TYPES as readonly string[]).includes(type);
}

export interface AuditEntry {
  readonly seq: number;
  readonly at: number;
  readonly type: AuditEventType;
  /** The principal that acted (`token:<id>`, `node:<id>`, `system` …); null when the event names none. */
  readonly actor: string | null;
  readonly taskId: string | null;
  readonly nodeId: string | null;
  /** One readable line. */
  readonly summary: string;
  readonly data: Readonly<Record<string, unknown>>;
}

const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);
const money = (v: unknown): string => (typeof v === 'number' ? `$${v.toFixed(2)}` : 'none');

function summaryOf(e: StoredEvent, type: AuditEventType): string {
  const d = e.data;
  const task = e.taskId ?? 'a task';
  const node = e.nodeId ?? 'a node';
  switch (type) {
    case 'task.created':
      return `created ${task} (agent ${str(d.agent) ?? '?'})`;
    case 'task.control-requested':
      return `asked ${task} to ${str(d.desire) ?? '?'}`;
    case 'task.guided':
      return `sent guidance #${typeof d.seq === 'number' ? d.seq : '?'} to ${task}`;
    case 'task.resleeved': {
      const to = typeof d.to === 'object' && d.to !== null ? str((d.to as Record<string, unknown>).agent) : null;
      return `resleeved ${task} to ${to ?? '?'}`;
    }
    case 'workspace.command-queued':
      return `asked for a workspace ${str(d.kind) ?? 'command'} of ${task}`;
    case 'node.joined':
      return `node ${node} joined`;
    case 'node.rejoined':
      return `node ${node} joined again`;
    case 'node.cordoned':
      return `cordoned ${node}`;
    case 'node.uncordoned':
      return `uncordoned ${node}`;
    case 'node.draining':
      return `started draining ${node}`;
    case 'lease.rejected':
      return `rejected a stale write to ${task} from ${node}${str(d.why) !== null ? `: ${String(d.why)}` : ''}`;
    case 'killswitch.changed':
      return d.on === true ? `turned the kill switch ON${str(d.reason) !== null ? `: ${String(d.reason)}` : ''}` : 'turned the kill switch off';
    case 'budget.changed':
      return `set the ${d.fleet === true ? 'fleet' : `project ${str(d.project) ?? '?'}`} daily budget to ${money(d.dailyUsd)}${typeof d.dailyTokens === 'number' ? ` / ${d.dailyTokens} tokens` : ''}`;
    case 'token.created':
      return `issued a ${str(d.kind) ?? ''} token ${str(d.tokenId) ?? ''}${str(d.role) !== null ? ` (${String(d.role)})` : ''}`.replace(/\s+/g, ' ');
    case 'token.revoked':
      return `revoked ${str(d.kind) ?? ''} token ${str(d.tokenId) ?? ''}`.replace(/\s+/g, ' ');
    case 'plan.refused': {
      const verdict = typeof d.verdict === 'object' && d.verdict !== null ? (d.verdict as Record<string, unknown>) : {};
      return `refused a request${str(verdict.code) !== null ? ` (${String(verdict.code)})` : ''}${str(verdict.reason) !== null ? `: ${String(verdict.reason)}` : ''}`;
    }
    case 'plan.submitted':
      return `submitted a planned request as ${task}`;
    case 'policy.decision':
      return `${d.allowed === false ? 'denied' : 'allowed'} ${str(d.subject) ?? 'a call'}${str(d.tool) !== null ? ` ${String(d.tool)}` : ''}${str(d.tier) !== null ? ` (${String(d.tier)})` : ''}${str(d.reason) !== null ? `: ${String(d.reason)}` : ''}`;
    case 'pipeline.started':
      return `started pipeline run ${str(d.runId) ?? '?'}${str(d.intent) !== null ? `: ${String(d.intent)}` : ''}`;
    case 'pipeline.promoted':
      return `promoted pipeline run ${str(d.runId) ?? '?'}${str(d.version) !== null ? ` as ${String(d.version)}` : ''}`;
    case 'pipeline.aborted':
      return `aborted pipeline run ${str(d.runId) ?? '?'}${str(d.stage) !== null ? ` at ${String(d.stage)}` : ''}${str(d.error ?? d.reason) !== null ? `: ${String(d.error ?? d.reason)}` : ''}`;
    case 'pipeline.rolled-back':
      return `rolled ${str(d.target) ?? 'a target'} back to ${str(d.version) ?? str(d.snapshotId) ?? '?'}`;
    case 'tripcode.issued':
      return `issued tripcode ${str(d.code) ?? '?'}`;
    case 'tripcode.applied':
      return `applied tripcode ${str(d.code) ?? '?'}`;
    case 'tripcode.rejected':
      return `rejected a tripcode${str(d.code) !== null ? ` ${String(d.code)}` : ''}: ${str(d.reason) ?? '?'}`;
    case 'lockdown.changed':
      return d.on === true ? `locked the fleet down${str(d.reason) !== null ? `: ${String(d.reason)}` : ''}` : 'lifted the fleet lockdown';
    case 'diagnostics.exported':
      return `exported a signed diagnostics bundle${str(d.profile) !== null ? ` (${String(d.profile)})` : ''}`;
  }
}

/** An audited event as an audit entry; null for other events. */
export function auditEntryOf(e: StoredEvent): AuditEntry | null {
  if (!isAuditEventType(e.type)) return null;
  const type = e.type;
  const nodeActs = type === 'node.joined' || type === 'node.rejoined' || type === 'lease.rejected';
  const actor = str(e.data.actor) ?? (nodeActs && e.nodeId !== null ? `node:${e.nodeId}` : null);
  return { seq: e.seq, at: e.at, type, actor, taskId: e.taskId, nodeId: e.nodeId, summary: summaryOf(e, type), data: e.data };
}
