/** Human renderings of tasks, events and log lines. */
import type { TaskDto } from '../../contract/task-schemas.js';
import type { EventDto, LogLineDto } from './api-client.js';
import { formatAgo, formatDuration } from './duration.js';
import { clockTime, dash, formatFields, formatTable, truncate } from './output.js';

export const TERMINAL_EVENT_TYPES: ReadonlySet<string> = new Set(['task.succeeded', 'task.failed', 'task.cancelled']);

export function isTerminalState(state: TaskDto['state']): boolean {
  return state === 'succeeded' || state === 'failed' || state === 'cancelled';
}

function stateWithReason(t: TaskDto): string {
  return t.reason === null ? t.state : `${t.state} (${t.reason})`;
}

function iterations(t: TaskDto): string {
  const max = t.spec.guardrails.maxIterations;
  return `${t.usage.iterations}/${max === null ? '∞' : max}`;
}

export function formatTaskTable(tasks: readonly TaskDto[], now: number): string {
  return formatTable(
    ['ID', 'STATE', 'AGENT', 'MODE', 'NODE', 'ITER', 'AGE', 'PROMPT'],
    tasks.map((t) => [
      t.id,
      stateWithReason(t),
      t.spec.agent,
      t.spec.mode,
      dash(t.nodeId),
      iterations(t),
      formatAgo(t.createdAt, now),
      truncate(t.spec.prompt, 48),
    ]),
  );
}

export function formatTaskDetails(t: TaskDto, now: number): string {
  const g = t.spec.guardrails;
  const limits = [
    g.maxIterations !== null ? `iterations ${g.maxIterations}` : 'iterations unlimited',
    g.timeoutMs !== null ? `timeout ${formatDuration(g.timeoutMs)}` : null,
    g.iterationTimeoutMs !== null ? `iteration timeout ${formatDuration(g.iterationTimeoutMs)}` : null,
    g.budgetTokens !== null ? `tokens ${g.budgetTokens}` : null,
    g.budgetUsd !== null ? `usd ${g.budgetUsd}` : null,
    g.stuckAfterIterations !== null ? `stuck after ${g.stuckAfterIterations}` : null,
  ].filter((x): x is string => x !== null);
  const at = (ms: number | null): string => (ms === null ? '-' : `${new Date(ms).toISOString()} (${formatAgo(ms, now)})`);
  const labels = Object.entries(t.spec.labels).map(([k, v]) => `${k}=${v}`);
  const fields: [string, string][] = [
    ['id', t.id],
    ['state', stateWithReason(t)],
    ['message', dash(t.message)],
    ['desired', t.desired],
    ['agent', `${t.spec.agent}${t.spec.model ? ` (model ${t.spec.model})` : ''}${t.spec.fallbacks?.length ? `, fallbacks ${t.spec.fallbacks.map((f) => (f.model ? `${f.agent}:${f.model}` : f.agent)).join(' ')}` : ''}`],
    ['project', t.spec.project ?? 'default'],
    ['mode', t.spec.mode],
    ['prompt', truncate(t.spec.prompt, 200)],
    ['until', dash(t.spec.until)],
    ['repo', t.spec.repo === null ? '-' : `${t.spec.repo.path}${t.spec.repo.baseRef ? ` @ ${t.spec.repo.baseRef}` : ''}`],
    ['requires', t.spec.requires.length ? t.spec.requires.join(',') : '-'],
    ['limits', limits.join(', ')],
    ['priority', String(t.spec.priority)],
    ['attempts', `${t.attempts}/${t.spec.maxAttempts}`],
    ['node', dash(t.nodeId)],
    ['workspace', dash(t.workspacePath)],
    ['usage', `${t.usage.iterations} iterations, ${t.usage.tokensIn} tokens in, ${t.usage.tokensOut} tokens out, $${t.usage.usd.toFixed(4)}`],
    ['runtime', formatDuration(t.runtimeMs)],
    ['labels', labels.length ? labels.join(' ') : '-'],
    ['created', at(t.createdAt)],
    ['started', at(t.startedAt)],
    ['finished', at(t.finishedAt)],
  ];
  return formatFields(fields);
}

/** One line on how a task ended (or where it stands). */
export function formatOutcome(t: TaskDto): string {
  const reason = t.reason === null ? '' : ` (${t.reason})`;
  const msg = t.message ? `: ${truncate(t.message, 300)}` : '';
  const n = t.usage.iterations;
  return `task ${t.id} ${t.state}${reason}${msg}; ${n} iteration${n === 1 ? '' : 's'} in ${formatDuration(t.runtimeMs)}`;
}

function fieldValue(v: unknown): string {
  if (typeof v === 'string') return /[\s"=]/.test(v) || v === '' ? JSON.stringify(v) : v;
  if (typeof v === 'number' || typeof v === 'boolean' || v === null) return String(v);
  return JSON.stringify(v) ?? 'undefined';
}

export function formatEvent(ev: EventDto): string {
  const parts = Object.entries(ev.data).map(([k, v]) => `${k}=${fieldValue(v)}`);
  if (ev.nodeId !== null && !('nodeId' in ev.data) && !('node' in ev.data)) parts.unshift(`node=${ev.nodeId}`);
  return truncate(`${clockTime(ev.at)} * ${ev.type}${parts.length ? ` ${parts.join(' ')}` : ''}`, 240);
}

const STREAM_MARK: Readonly<Record<LogLineDto['stream'], string>> = { stdout: '|', stderr: '!', system: '#', agent: '>' };

/** A log line inside a follow view: time, a stream mark (`|` stdout, `!` stderr, `#` system, `>` the model's words), text. */
export function formatLogLine(l: LogLineDto): string {
  const prefix = `${clockTime(l.at)} ${STREAM_MARK[l.stream]} `;
  const text = l.text.endsWith('\n') ? l.text.slice(0, -1) : l.text;
  return text
    .split('\n')
    .map((line) => prefix + line)
    .join('\n');
}

/** A log line as plain output: its text, with a newline ensured. */
export function rawLogText(l: LogLineDto): string {
  return l.text.endsWith('\n') ? l.text : `${l.text}\n`;
}
