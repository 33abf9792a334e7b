/**
 * The task timeline as data: events merged by seq (each exactly once, in order), a readable
 * summary of each, and which events change the task's state. Pure.
 */
import type { EventDto, GuidanceDto } from './task-types.js';
import { formatTokens, formatUsd } from './format.js';

/**
 * Merges events into a list sorted by seq, each seq once (history pages, the live stream and a
 * reconnect's replay may overlap or arrive out of order). Returns `current` itself when nothing
 * new arrived, so React can skip a render.
 */
export function mergeEvents(current: readonly EventDto[], incoming: readonly EventDto[]): readonly EventDto[] {
  if (incoming.length === 0) return current;
  const lastSeq = current.at(-1)?.seq ?? 0;
  // fast path: strictly newer and ascending (the usual live case)
  let ascendingNewer = true;
  let prev = lastSeq;
  for (const e of incoming) {
    if (e.seq <= prev) {
      ascendingNewer = false;
      break;
    }
    prev = e.seq;
  }
  if (ascendingNewer) return [...current, ...incoming];
  const bySeq = new Map<number, EventDto>();
  for (const e of current) bySeq.set(e.seq, e);
  let added = false;
  for (const e of incoming) {
    if (!bySeq.has(e.seq)) {
      bySeq.set(e.seq, e);
      added = true;
    }
  }
  if (!added) return current;
  return [...bySeq.values()].sort((a, b) => a.seq - b.seq);
}

/** Event types after which the task itself (state, usage, desired) should be read again. */
const STATE_CHANGING = new Set([
  'task.leased',
  'task.started',
  'task.paused',
  'task.resumed',
  'task.succeeded',
  'task.failed',
  'task.cancelled',
  'task.requeued',
  'task.unplaced',
  'task.control-requested',
  'task.resleeved',
  'iteration.finished',
  'iteration.usage-reported',
]);

export function changesTaskState(type: string): boolean {
  return STATE_CHANGING.has(type);
}

/** What a summary may look up beyond the event itself. */
export interface SummaryContext {
  /** Guidance by its per-task seq (the `task.guided` event carries only the seq and length). */
  readonly guidance: ReadonlyMap<number, GuidanceDto>;
  /** Usage of each iteration by `attempt:iteration` (for `iteration.finished`). */
  readonly usage?: ReadonlyMap<string, { tokensIn: number; tokensOut: number; usd: number }>;
}

const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

const DESIRE_WORDS: Record<string, string> = { run: 'resume', pause: 'pause', pause_now: 'pause now', stop: 'stop' };
const DELIVERY_WORDS: Record<string, string> = {
  live: 'live, into the running iteration',
  interrupt_resume: 'by interrupting and resuming the agent',
  next_iteration: 'with the next iteration',
};

function clip(text: string, max = 300): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

function withReason(verb: string, d: Record<string, unknown>): string {
  const reason = str(d.reason);
  const message = str(d.message);
  return `${verb}${reason !== null ? ` (${reason})` : ''}${message !== null && message !== '' ? `: ${message}` : ''}`;
}

function agentModel(v: unknown): string {
  if (typeof v !== 'object' || v === null) return '?';
  const o = v as Record<string, unknown>;
  const model = str(o.model);
  return `${str(o.agent) ?? '?'}${model !== null ? `/${model}` : ''}`;
}

export function iterationKey(d: Record<string, unknown>): string {
  return `${num(d.attempt) ?? 0}:${num(d.iteration) ?? 0}`;
}

/** How an iteration ended, in words, from its `iteration.finished` data. */
export function iterationOutcome(d: Record<string, unknown>): string {
  const verdict = str(d.verdict);
  const reason = str(d.reason);
  const parts: string[] = [];
  if (verdict === 'continue') parts.push('continue');
  else if (verdict === 'succeed') parts.push('succeeded');
  else if (verdict === 'fail') parts.push('failed');
  else if (verdict !== null) parts.push(verdict === 'pause' ? 'paused' : verdict);
  if (reason !== null) parts.push(`(${reason})`);
  const exit = num(d.exitCode);
  const extra: string[] = [];
  if (exit !== null) extra.push(`exit ${exit}`);
  else if (str(d.signal) !== null) extra.push(`signal ${str(d.signal)}`);
  if (d.timedOut === true) extra.push('timed out');
  if (d.untilPassed === true) extra.push('until check passed');
  else if (d.untilPassed === false) extra.push('until check failed');
  if (d.workspaceChanged === false) extra.push('no changes');
  const head = parts.join(' ') || 'finished';
  return extra.length > 0 ? `${head}; ${extra.join(', ')}` : head;
}

function guidanceText(ctx: SummaryContext, seq: number | null): string | null {
  if (seq === null) return null;
  const g = ctx.guidance.get(seq);
  return g === undefined ? null : g.text;
}

function agentEventSummary(d: Record<string, unknown>): string {
  switch (str(d.type)) {
    case 'tool_call':
      return `tool call ${str(d.name) ?? '?'}${str(d.input) ? ` ${clip(str(d.input)!, 200)}` : ''}`;
    case 'tool_result':
      return `tool result (${d.ok === false ? 'failed' : 'ok'})${str(d.output) ? `: ${clip(str(d.output)!, 200)}` : ''}`;
    case 'file_change':
      return `file ${str(d.change) ?? 'changed'}: ${str(d.path) ?? '?'}`;
    case 'session':
      return `agent session ${str(d.id) ?? ''}`.trim();
    case 'error':
      return `agent ${d.fatal === true ? 'failed' : 'error'} (${str(d.reason) ?? 'error'}): ${clip(str(d.message) ?? '')}`;
    default:
      return `agent event ${str(d.type) ?? ''}`.trim();
  }
}

/** One line of readable text for an event. */
export function summarizeEvent(e: EventDto, ctx: SummaryContext): string {
  const d = e.data;
  const iteration = num(d.iteration);
  switch (e.type) {
    case 'task.created':
      return `created by ${str(d.actor) ?? 'someone'}${str(d.agent) ? ` for agent ${str(d.agent)}` : ''}`;
    case 'task.leased':
      return `leased to node ${e.nodeId ?? '?'} (attempt ${num(d.attempt) ?? '?'})`;
    case 'task.started':
      return `attempt ${num(d.attempt) ?? '?'} started on node ${e.nodeId ?? '?'}`;
    case 'task.paused':
      return withReason('paused', d);
    case 'task.resumed':
      return 'resumed';
    case 'task.succeeded':
      return withReason('succeeded', d);
    case 'task.failed':
      return withReason('failed', d);
    case 'task.cancelled':
      return withReason('cancelled', d);
    case 'task.requeued':
      return withReason('requeued', d);
    case 'task.unplaced':
      return `waiting for a node (${str(d.reason) ?? '?'})${str(d.detail) ? `: ${str(d.detail)}` : ''}`;
    case 'task.control-requested': {
      const desire = str(d.desire) ?? '?';
      return `${str(d.actor) ?? 'someone'} asked to ${DESIRE_WORDS[desire] ?? desire}`;
    }
    case 'task.guided': {
      const seq = num(d.seq);
      const text = guidanceText(ctx, seq);
      const by = str(d.actor) ?? 'someone';
      return text !== null
        ? `guidance #${seq ?? '?'} added by ${by}: “${clip(text, 500)}”`
        : `guidance #${seq ?? '?'} added by ${by} (${num(d.length) ?? '?'} characters)`;
    }
    case 'guidance.delivered': {
      const seq = num(d.seq);
      const mode = str(d.mode) ?? 'next_iteration';
      const how = DELIVERY_WORDS[mode] ?? mode;
      if (seq !== null) {
        const text = guidanceText(ctx, seq);
        return `guidance #${seq} delivered ${how}${text !== null ? `: “${clip(text, 200)}”` : ''}`;
      }
      const upto = num(d.uptoSeq);
      const count = num(d.count) ?? 0;
      return `${count} guidance ${count === 1 ? 'entry' : 'entries'} (up to #${upto ?? '?'}) delivered ${how}`;
    }
    case 'iteration.started': {
      const seqs = Array.isArray(d.guidanceSeqs) ? d.guidanceSeqs.length : 0;
      const model = str(d.model);
      return `iteration ${iteration ?? '?'} started (${str(d.agent) ?? 'agent'}${model !== null ? `/${model}` : ''}${str(d.runtime) ? `, ${str(d.runtime)}` : ''})${seqs > 0 ? ` with ${seqs} guidance` : ''}`;
    }
    case 'iteration.usage-reported':
      return `iteration ${iteration ?? '?'} used ${formatTokens(num(d.tokensIn) ?? 0)} in / ${formatTokens(num(d.tokensOut) ?? 0)} out tokens, ${formatUsd(num(d.usd) ?? 0)}${str(d.model) ? ` (${str(d.model)})` : ''}`;
    case 'iteration.finished': {
      const u = ctx.usage?.get(iterationKey(d));
      const cost = u !== undefined ? ` — ${formatTokens(u.tokensIn + u.tokensOut)} tokens, ${formatUsd(u.usd)}` : '';
      return `iteration ${iteration ?? '?'} finished: ${iterationOutcome(d)}${cost}`;
    }
    case 'agent.event':
      return agentEventSummary(d);
    case 'task.resleeved':
      return `resleeved from ${agentModel(d.from)} to ${agentModel(d.to)}${str(d.actor) ? ` by ${str(d.actor)}` : ''}`;
    case 'workspace.command-queued':
      return `workspace ${str(d.kind) ?? 'command'} requested${str(d.actor) ? ` by ${str(d.actor)}` : ''}`;
    case 'workspace.snapshotted':
      return `workspace snapshot ${str(d.snapshotId) ?? ''}${str(d.label) ? ` “${str(d.label)}”` : ''}${d.auto === true ? ' (automatic)' : ''}`.replace('  ', ' ');
    case 'workspace.reverted':
      return `workspace reverted to ${str(d.snapshotId) ?? 'a snapshot'}`;
    case 'workspace.command-failed':
      return `workspace ${str(d.kind) ?? 'command'} failed: ${str(d.error) ?? ''}`;
    case 'plan.submitted':
      return `planned from the request “${clip(str(d.request) ?? '', 200)}” by ${str(d.actor) ?? 'someone'} (${str(d.planner) ?? 'rules'} planner)`;
    case 'lease.expired':
      return 'lease expired';
    case 'lease.rejected':
      return 'a stale lease holder was rejected';
    default:
      return clip(`${e.type} ${JSON.stringify(d)}`, 200);
  }
}

/** A coarse category for styling a timeline item. */
export function eventKind(type: string): 'state' | 'iteration' | 'guidance' | 'agent' | 'other' {
  if (type.startsWith('iteration.')) return 'iteration';
  if (type === 'task.guided' || type === 'guidance.delivered') return 'guidance';
  if (type === 'agent.event') return 'agent';
  if (type.startsWith('task.')) return 'state';
  return 'other';
}
