/**
 * Codex CLI (`codex exec --json`) JSONL → Cortical events. One parser per iteration (the
 * parts of an interrupted and resumed iteration share it). Lines:
 *
 *   {"type":"thread.started","thread_id":UUID}                 → session (once per thread)
 *   {"type":"turn.started"}
 *   {"type":"item.started"|"item.updated"|"item.completed","item":{id,type,…}}
 *     agent_message {text}                                      → message (on completion)
 *     command_execution {command,aggregated_output,exit_code,status} → tool_call, tool_result
 *     file_change {changes:[{path,kind:add|delete|update}],status}   → tool_call, tool_result, file_change
 *     mcp_tool_call {server,tool,arguments,result,error,status}  → tool_call, tool_result
 *     web_search {query}                                         → tool_call
 *     error {message}: a warning (e.g. unknown model metadata)   → log
 *     reasoning, todo_list                                       → dropped
 *   {"type":"turn.completed","usage":{input_tokens,cached_input_tokens,output_tokens,reasoning_output_tokens}} → usage, done
 *   {"type":"error","message"}                                  → error (not fatal)
 *   {"type":"turn.failed","error":{"message"}}                  → error (fatal)
 *
 * `turn.completed` carries the thread's total usage, turns of earlier `codex exec` runs of the
 * same thread included: the iteration's usage is that total less `baseline` (the thread's total
 * before the iteration). Codex reports no dollars: usage is priced from the table. An `error` line
 * directly followed by a `turn.failed` with the same message becomes one fatal error.
 */
import { isAbsolute, relative, sep } from 'node:path';
import { z } from 'zod';
import type { AgentEvent, FileChangeKind } from '../../../core/ports/agent-driver.js';
import { DEFAULT_PRICES, usageFigures, type PriceTable } from '../../../core/pricing.js';
import type { SleeveLine } from '../sleeve-agent-run.js';
import { codexErrorReason } from './codex-error-reason.js';

/** Longest tool input or output carried in an event. */
const MAX_TEXT = 8000;

const itemSchema = z.looseObject({ id: z.string(), type: z.string() });
const usageSchema = z.looseObject({
  input_tokens: z.number().nonnegative().catch(0),
  cached_input_tokens: z.number().nonnegative().catch(0),
  output_tokens: z.number().nonnegative().catch(0),
  reasoning_output_tokens: z.number().nonnegative().catch(0),
});
const lineSchema = z.looseObject({
  type: z.string(),
  thread_id: z.string().optional(),
  item: itemSchema.optional(),
  usage: usageSchema.optional(),
  message: z.string().optional(),
  error: z.looseObject({ message: z.string().optional() }).optional(),
});
type CodexItem = z.infer<typeof itemSchema>;

const changeSchema = z.object({
  path: z.string(),
  kind: z.union([z.string(), z.looseObject({ type: z.string() })]),
});

export interface CodexTokenCounts {
  readonly tokensIn: number;
  readonly tokensOut: number;
  readonly cachedTokensIn: number;
  readonly reasoningTokens: number;
}

export const ZERO_CODEX_USAGE: CodexTokenCounts = { tokensIn: 0, tokensOut: 0, cachedTokensIn: 0, reasoningTokens: 0 };

export interface CodexStreamParserOptions {
  /** The model the run asked for (Codex's stream does not name it). */
  readonly model: string | null;
  /** The workspace, to make file paths relative. */
  readonly workspacePath: string;
  readonly prices?: PriceTable | undefined;
  /** The resumed thread's total usage before this iteration (default none). */
  readonly baseline?: CodexTokenCounts | undefined;
  /** Applied to every text that goes into an event (endpoint keys). */
  readonly redact?: ((text: string) => string) | undefined;
}

function clip(text: string): string {
  return text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT)}… [truncated]` : text;
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

function changeKind(kind: z.infer<typeof changeSchema>['kind']): FileChangeKind {
  const k = typeof kind === 'string' ? kind : kind.type;
  if (k === 'add') return 'created';
  if (k === 'delete') return 'deleted';
  return 'modified';
}

export class CodexStreamParser {
  private readonly prices: PriceTable;
  private readonly redact: (text: string) => string;
  private readonly started = new Set<string>();
  private lastMessage: string | null = null;
  /** The thread reported last: a resumed part reports the same one again. */
  private session: string | null = null;
  private turnSeen = false;
  /** A non-fatal `error` line held back: a `turn.failed` with its message may follow. */
  private pendingError: string | null = null;

  constructor(private readonly opts: CodexStreamParserOptions) {
    this.prices = opts.prices ?? DEFAULT_PRICES;
    this.redact = opts.redact ?? ((t) => t);
  }

  /** Whether a turn has started in this iteration (Codex has taken the prompt into its thread). */
  get turnStarted(): boolean {
    return this.turnSeen;
  }

  /** One output line → events. */
  line(line: SleeveLine): AgentEvent[] {
    const text = this.redact(line.text);
    if (line.stream === 'stderr') return [...this.takePending(), { kind: 'log', stream: 'stderr', text }];
    let raw: unknown;
    try {
      raw = JSON.parse(line.text);
    } catch {
      raw = undefined;
    }
    const parsed = lineSchema.safeParse(raw);
    if (!parsed.success) return text.trim() === '' ? [] : [...this.takePending(), { kind: 'log', stream: 'stdout', text }];
    const ev = parsed.data;
    if (ev.type === 'turn.failed') {
      const message = this.redact(ev.error?.message ?? 'the turn failed');
      const held = this.pendingError;
      this.pendingError = null;
      const before: AgentEvent[] = held !== null && held !== message ? [this.errorEvent(held, false)] : [];
      return [...before, this.errorEvent(message, true)];
    }
    const pending = this.takePending();
    return [...pending, ...this.event(ev, text)];
  }

  /** Events still held when the output ends. */
  flush(): AgentEvent[] {
    return this.takePending();
  }

  private takePending(): AgentEvent[] {
    if (this.pendingError === null) return [];
    const message = this.pendingError;
    this.pendingError = null;
    return [this.errorEvent(message, false)];
  }

  private errorEvent(message: string, fatal: boolean): AgentEvent {
    return { kind: 'error', reason: codexErrorReason(message), message, fatal };
  }

  private event(ev: z.infer<typeof lineSchema>, text: string): AgentEvent[] {
    switch (ev.type) {
      case 'thread.started':
        if (ev.thread_id === undefined || ev.thread_id === this.session) return [];
        this.session = ev.thread_id;
        return [{ kind: 'session', id: ev.thread_id }];
      case 'turn.started':
        this.turnSeen = true;
        return [];
      case 'turn.completed':
        return this.turnCompleted(ev.usage);
      case 'error':
        this.pendingError = this.redact(ev.message ?? 'error');
        return [];
      case 'item.started':
      case 'item.updated':
      case 'item.completed':
        return ev.item === undefined ? [] : this.item(ev.type, ev.item);
      default:
        return [{ kind: 'log', stream: 'stdout', text }];
    }
  }

  private turnCompleted(usage: z.infer<typeof usageSchema> | undefined): AgentEvent[] {
    const events: AgentEvent[] = [];
    if (usage !== undefined) {
      const base = this.opts.baseline ?? ZERO_CODEX_USAGE;
      const counts: CodexTokenCounts = {
        tokensIn: Math.max(0, usage.input_tokens - base.tokensIn),
        tokensOut: Math.max(0, usage.output_tokens - base.tokensOut),
        cachedTokensIn: Math.max(0, usage.cached_input_tokens - base.cachedTokensIn),
        reasoningTokens: Math.max(0, usage.reasoning_output_tokens - base.reasoningTokens),
      };
      const figures = usageFigures(this.prices, this.opts.model, counts, null);
      events.push({ kind: 'usage', ...counts, model: this.opts.model, ...figures });
    }
    events.push({ kind: 'done', summary: this.lastMessage });
    return events;
  }

  private item(phase: 'item.started' | 'item.updated' | 'item.completed', item: CodexItem): AgentEvent[] {
    const completed = phase === 'item.completed';
    switch (item.type) {
      case 'agent_message': {
        if (!completed) return [];
        const message = this.redact(str(item.text));
        this.lastMessage = message;
        return message === '' ? [] : [{ kind: 'message', text: message }];
      }
      case 'command_execution':
        return this.toolItem(item, completed, 'shell', { command: str(item.command) }, () => {
          const ok = item.status === 'completed' && (item.exit_code === 0 || item.exit_code === undefined);
          const code = typeof item.exit_code === 'number' ? `exit code ${item.exit_code}\n` : '';
          return { ok, output: `${code}${str(item.aggregated_output)}` };
        });
      case 'file_change':
        return this.fileChange(item, completed);
      case 'mcp_tool_call':
        return this.toolItem(item, completed, `mcp:${str(item.server)}/${str(item.tool)}`, item.arguments ?? {}, () => ({
          ok: item.status === 'completed' && (item.error === undefined || item.error === null),
          output: JSON.stringify(item.error ?? item.result ?? null),
        }));
      case 'web_search':
        return this.toolItem(item, completed, 'web_search', { query: str(item.query) }, () => ({ ok: true, output: '' }));
      case 'error':
        return completed ? [{ kind: 'log', stream: 'stdout', text: `codex warning: ${this.redact(str(item.message))}` }] : [];
      default:
        return [];
    }
  }

  /** tool_call when the item starts (or completes unannounced), tool_result when it completes. */
  private toolItem(item: CodexItem, completed: boolean, name: string, input: unknown, result: () => { ok: boolean; output: string }): AgentEvent[] {
    const events: AgentEvent[] = [];
    if (!this.started.has(item.id)) {
      this.started.add(item.id);
      events.push({ kind: 'tool_call', id: item.id, name, input: clip(this.redact(JSON.stringify(input))) });
    }
    if (completed) {
      const r = result();
      events.push({ kind: 'tool_result', id: item.id, ok: r.ok, output: clip(this.redact(r.output)) });
    }
    return events;
  }

  private fileChange(item: CodexItem, completed: boolean): AgentEvent[] {
    const changes = z.array(changeSchema).catch([]).parse(item.changes);
    const listed = changes.map((c) => ({ path: this.relativePath(c.path), change: changeKind(c.kind) }));
    const ok = item.status === 'completed';
    const events = this.toolItem(item, completed, 'apply_patch', { changes: listed }, () => ({
      ok,
      output: listed.map((c) => `${c.change} ${c.path}`).join('\n'),
    }));
    if (completed && ok) for (const c of listed) events.push({ kind: 'file_change', path: c.path, change: c.change });
    return events;
  }

  /** `path` relative to the workspace when it lies inside it; else as given. */
  private relativePath(path: string): string {
    if (!isAbsolute(path)) return path;
    const rel = relative(this.opts.workspacePath, path);
    return rel === '' || rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel) ? path : rel;
  }
}
