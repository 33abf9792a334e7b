/**
 * Claude Code's stream-json output → Cortical events. Pure and stateful: one parser per run.
 *
 * - `system/init` → `session` (once per id; a guidance turn starts with another init).
 * - `system/api_retry` → a non-fatal `error` (Claude Code retries by itself).
 * - `stream_event` message_start / message_delta → `usage` after every model response.
 * - `assistant` → `message` (text blocks), `tool_call` (tool_use blocks); its usage when no
 *   partial stream reported the response. Synthetic API-error messages give nothing here: the
 *   turn's `result` reports the error (with their `error` kind where the result has no status,
 *   e.g. `authentication_failed` for a missing key).
 * - `user` → `tool_result`, and `file_change` for a successful Write/Edit/MultiEdit/NotebookEdit.
 * - `result` → exact `usage` of the turn, then `done` or a fatal `error` whose reason comes from
 *   `api_error_status` / `api_error_type`.
 */
import { isAbsolute, relative } from 'node:path';
import type { AgentErrorReason, AgentEvent, FileChangeKind } from '../../../core/ports/agent-driver.js';
import { DEFAULT_PRICES, type PriceTable } from '../../../core/pricing.js';
import {
  assistantLineSchema,
  resultLineSchema,
  streamEventLineSchema,
  systemLineSchema,
  userLineSchema,
  type ContentBlock,
  type ResultLine,
} from './claude-stream-schema.js';
import { ClaudeUsageTracker } from './claude-usage-tracker.js';

const MAX_TEXT = 4000;
const FILE_TOOLS = new Set(['Write', 'Edit', 'MultiEdit', 'NotebookEdit']);

export interface ClaudeParserHooks {
  /** A message written to stdin was taken in by the CLI (its `isReplay` echo). */
  onUserMessageTaken?(): void;
  /** A turn ended (`result`). */
  onResult?(): void;
}

function clip(text: string): string {
  return text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT)}…[truncated]` : text;
}

/** The error reason from structured fields: HTTP status first, then the API error type. */
export function claudeErrorReason(status: number | null | undefined, type: string | null | undefined): AgentErrorReason {
  if (status === 429 || type === 'rate_limit_error' || type === 'rate_limit') return 'rate_limited';
  if (status === 401 || status === 403 || type === 'authentication_error' || type === 'permission_error' || type === 'authentication_failed') {
    return 'auth_failed';
  }
  return 'agent_error';
}

function textOfContent(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .map((p: unknown) => (typeof p === 'object' && p !== null && typeof (p as { text?: unknown }).text === 'string' ? (p as { text: string }).text : ''))
    .filter((t) => t !== '')
    .join('\n');
}

export class ClaudeStreamParser {
  private readonly usage: ClaudeUsageTracker;
  private readonly sessions = new Set<string>();
  /** File-changing tool calls by id, until their result. */
  private readonly fileCalls = new Map<string, { name: string; path: string }>();
  /** The structured error of the turn's synthetic API-error message (the result may lack it). */
  private apiError: { status: number | null; type: string | null } | null = null;

  constructor(
    private readonly workspacePath: string,
    opts: { prices?: PriceTable; hooks?: ClaudeParserHooks } = {},
  ) {
    this.usage = new ClaudeUsageTracker(opts.prices ?? DEFAULT_PRICES);
    this.hooks = opts.hooks ?? {};
  }

  private readonly hooks: ClaudeParserHooks;

  /** One line of the CLI's output → events. */
  line(stream: 'stdout' | 'stderr', text: string): AgentEvent[] {
    if (stream === 'stderr') return text.trim() === '' ? [] : [{ kind: 'log', stream, text }];
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      return text.trim() === '' ? [] : [{ kind: 'log', stream, text }];
    }
    const type = typeof json === 'object' && json !== null ? (json as { type?: unknown }).type : undefined;
    switch (type) {
      case 'system':
        return this.system(json);
      case 'stream_event':
        return this.streamEvent(json);
      case 'assistant':
        return this.assistant(json);
      case 'user':
        return this.user(json);
      case 'result':
        return this.result(json);
      default:
        return [];
    }
  }

  private system(json: unknown): AgentEvent[] {
    const p = systemLineSchema.safeParse(json);
    if (!p.success) return [];
    const s = p.data;
    if (s.subtype === 'init') {
      this.usage.setModel(s.model);
      if (s.session_id === undefined || this.sessions.has(s.session_id)) return [];
      this.sessions.add(s.session_id);
      return [{ kind: 'session', id: s.session_id }];
    }
    if (s.subtype === 'api_retry') {
      const status = s.error_status ?? null;
      return [
        {
          kind: 'error',
          reason: claudeErrorReason(status, s.error),
          message: `API request failed (${status ?? 'no status'}${s.error ? ` ${s.error}` : ''}); retry ${s.attempt ?? '?'} of ${s.max_retries ?? '?'}`,
          fatal: false,
          ...(s.retry_delay_ms !== undefined ? { retryAfterMs: s.retry_delay_ms } : {}),
        },
      ];
    }
    return [];
  }

  private streamEvent(json: unknown): AgentEvent[] {
    const p = streamEventLineSchema.safeParse(json);
    if (!p.success) return [];
    const { event, api_message_id: apiId } = p.data;
    if (event.type === 'message_start' && event.message !== undefined) {
      this.usage.setModel(event.message.model);
      this.usage.response(event.message.id, event.message.usage);
      return [];
    }
    if (event.type === 'message_delta' && event.usage !== undefined && apiId !== undefined) return [this.usage.response(apiId, event.usage)];
    return [];
  }

  private assistant(json: unknown): AgentEvent[] {
    const p = assistantLineSchema.safeParse(json);
    if (!p.success) return [];
    const a = p.data;
    if (a.is_api_error_message === true || a.message.model === '<synthetic>') {
      if (a.is_api_error_message === true) this.apiError = { status: a.api_error_status ?? null, type: a.api_error_type ?? a.error ?? null };
      return [];
    }
    const out: AgentEvent[] = [];
    for (const block of a.message.content) out.push(...this.assistantBlock(block));
    const id = a.message.id;
    if (id !== undefined && !this.usage.knows(id)) {
      this.usage.setModel(a.message.model);
      out.push(this.usage.response(id, a.message.usage));
    }
    return out;
  }

  private assistantBlock(block: ContentBlock): AgentEvent[] {
    if (block.type === 'text' && block.text !== undefined && block.text.trim() !== '') return [{ kind: 'message', text: block.text }];
    if (block.type !== 'tool_use' || block.id === undefined || block.name === undefined) return [];
    const input = block.input ?? {};
    if (FILE_TOOLS.has(block.name)) {
      const path = this.workspaceRelative(input);
      if (path !== null) this.fileCalls.set(block.id, { name: block.name, path });
    }
    return [{ kind: 'tool_call', id: block.id, name: block.name, input: clip(JSON.stringify(input)) }];
  }

  /** A file tool's target relative to the workspace; null outside it. */
  private workspaceRelative(input: unknown): string | null {
    if (typeof input !== 'object' || input === null) return null;
    const i = input as { file_path?: unknown; notebook_path?: unknown };
    const raw = typeof i.file_path === 'string' ? i.file_path : typeof i.notebook_path === 'string' ? i.notebook_path : null;
    if (raw === null || raw === '') return null;
    const rel = isAbsolute(raw) ? relative(this.workspacePath, raw) : raw;
    if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) return null;
    return rel;
  }

  private user(json: unknown): AgentEvent[] {
    const p = userLineSchema.safeParse(json);
    if (!p.success) return [];
    const u = p.data;
    if (u.isReplay === true) {
      this.hooks.onUserMessageTaken?.();
      return [];
    }
    if (typeof u.message.content === 'string') return [];
    const out: AgentEvent[] = [];
    for (const block of u.message.content) {
      if (block.type !== 'tool_result' || block.tool_use_id === undefined) continue;
      const ok = block.is_error !== true;
      out.push({ kind: 'tool_result', id: block.tool_use_id, ok, output: clip(textOfContent(block.content)) });
      const call = this.fileCalls.get(block.tool_use_id);
      this.fileCalls.delete(block.tool_use_id);
      if (call !== undefined && ok) out.push({ kind: 'file_change', path: call.path, change: changeKind(call.name, u.tool_use_result) });
    }
    return out;
  }

  private result(json: unknown): AgentEvent[] {
    const p = resultLineSchema.safeParse(json);
    if (!p.success) return [];
    const r = p.data;
    const out: AgentEvent[] = [this.usage.turnEnd(r)];
    out.push(resultOutcome(r, this.apiError));
    this.apiError = null;
    this.hooks.onResult?.();
    return out;
  }
}

/** `done` for a successful turn, else a fatal error with a structured reason. */
function resultOutcome(r: ResultLine, apiError: { status: number | null; type: string | null } | null): AgentEvent {
  if (!r.is_error && r.subtype === 'success') return { kind: 'done', summary: r.result ?? null };
  const reason = claudeErrorReason(r.api_error_status ?? apiError?.status, r.api_error_type ?? apiError?.type);
  const detail = r.result ?? r.errors?.join('; ') ?? '';
  const message = detail !== '' ? clip(detail) : `Claude Code ended the turn with ${r.subtype}${r.terminal_reason ? ` (${r.terminal_reason})` : ''}`;
  return { kind: 'error', reason, message, fatal: true };
}

/** Write reports `create` or `update` in its structured result; the other tools change a file. */
function changeKind(tool: string, toolUseResult: unknown): FileChangeKind {
  if (tool === 'Write' && typeof toolUseResult === 'object' && toolUseResult !== null && (toolUseResult as { type?: unknown }).type === 'create') return 'created';
  return 'modified';
}
