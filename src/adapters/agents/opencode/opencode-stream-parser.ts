/**
 * OpenCode's `run --format json` output → Cortical events. Pure and stateful: one parser per
 * iteration (a resumed turn goes on with the same parser, so usage stays cumulative).
 *
 * - any line's `sessionID` → `session` (once per id)
 * - `text` → `message`
 * - `tool_use` (a finished call) → `tool_call`, `tool_result`, and `file_change` for write /
 *   edit / apply_patch
 * - `step_finish` → cumulative `usage`. OpenCode's `tokens.input` excludes cache reads and
 *   writes and `tokens.output` excludes reasoning; Cortical's tokensIn / tokensOut include them.
 *   `cost` is OpenCode's own figure (0 for a provider without prices: the table's then counts).
 * - `error` → a fatal `error` (OpenCode has given up: it retries by itself before)
 * - the end of a process's output (`endOfOutput`) → `done` when its last step ended the turn
 *   (`reason` other than `tool-calls`) and no error came.
 *
 * Other lines: JSON of unknown types is dropped, anything else (stderr, non-JSON) is a `log`.
 */
import type { AgentEvent } from '../../../core/ports/agent-driver.js';
import { DEFAULT_PRICES, usageFigures, type PriceTable } from '../../../core/pricing.js';
import { opencodeErrorReason, opencodeRetryAfterMs } from './opencode-error-reason.js';
import { opencodeFileChanges } from './opencode-file-changes.js';
import { errorLineSchema, sessionOfLineSchema, stepFinishLineSchema, textLineSchema, toolUseLineSchema } from './opencode-stream-schema.js';

const MAX_TEXT = 4000;
const FINISHED_STATES = new Set(['completed', 'error']);

function clip(text: string): string {
  return text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT)}…[truncated]` : text;
}

export interface OpencodeParserOptions {
  /** The model the run uses (OpenCode's events do not name it), for pricing. */
  readonly model: string | null;
  readonly prices?: PriceTable;
}

export class OpencodeStreamParser {
  private readonly prices: PriceTable;
  private readonly model: string | null;
  private readonly sessions = new Set<string>();
  private readonly toolCalls = new Set<string>();
  private latestSession: string | null = null;
  private tokensIn = 0;
  private tokensOut = 0;
  private cachedTokensIn = 0;
  private reasoningTokens = 0;
  private reportedUsd = 0;
  /** The current process: did its last step end the turn, did it report an error, its last text. */
  private turnEnded = false;
  private errored = false;
  private lastText: string | null = null;

  constructor(
    private readonly workspacePath: string,
    opts: OpencodeParserOptions,
  ) {
    this.prices = opts.prices ?? DEFAULT_PRICES;
    this.model = opts.model;
  }

  /** The session id OpenCode reported last (for resuming it), or null before its first event. */
  get sessionId(): string | null {
    return this.latestSession;
  }

  /** One line of the CLI's output → events. */
  line(stream: 'stdout' | 'stderr', text: string): AgentEvent[] {
    if (text.trim() === '') return [];
    if (stream === 'stderr') return [{ kind: 'log', stream, text }];
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      return [{ kind: 'log', stream, text }];
    }
    const out = this.session(json);
    const type = typeof json === 'object' && json !== null ? (json as { type?: unknown }).type : undefined;
    switch (type) {
      case 'text':
        out.push(...this.text(json));
        break;
      case 'tool_use':
        out.push(...this.toolUse(json));
        break;
      case 'step_start':
        this.turnEnded = false;
        break;
      case 'step_finish':
        out.push(...this.stepFinish(json));
        break;
      case 'error':
        out.push(...this.error(json));
        break;
      default:
        break;
    }
    return out;
  }

  /** The end of one process's output: `done` when it ended its turn without an error. */
  endOfOutput(): AgentEvent[] {
    const done = this.turnEnded && !this.errored;
    const summary = this.lastText;
    this.turnEnded = false;
    this.errored = false;
    this.lastText = null;
    return done ? [{ kind: 'done', summary: summary === null ? null : clip(summary) }] : [];
  }

  private session(json: unknown): AgentEvent[] {
    const p = sessionOfLineSchema.safeParse(json);
    if (!p.success) return [];
    this.latestSession = p.data.sessionID;
    if (this.sessions.has(p.data.sessionID)) return [];
    this.sessions.add(p.data.sessionID);
    return [{ kind: 'session', id: p.data.sessionID }];
  }

  private text(json: unknown): AgentEvent[] {
    const p = textLineSchema.safeParse(json);
    if (!p.success || p.data.part.text.trim() === '') return [];
    this.lastText = p.data.part.text;
    return [{ kind: 'message', text: clip(p.data.part.text) }];
  }

  private toolUse(json: unknown): AgentEvent[] {
    const p = toolUseLineSchema.safeParse(json);
    if (!p.success) return [];
    const { tool, state } = p.data.part;
    const id = p.data.part.callID ?? p.data.part.id ?? `${tool}-${this.toolCalls.size + 1}`;
    const out: AgentEvent[] = [];
    if (!this.toolCalls.has(id)) {
      this.toolCalls.add(id);
      out.push({ kind: 'tool_call', id, name: tool, input: clip(JSON.stringify(state.input ?? {})) });
    }
    if (!FINISHED_STATES.has(state.status)) return out;
    const ok = state.status === 'completed';
    out.push({ kind: 'tool_result', id, ok, output: clip(ok ? (state.output ?? '') : (state.error ?? state.output ?? '')) });
    for (const c of opencodeFileChanges(this.workspacePath, tool, state)) out.push({ kind: 'file_change', path: c.path, change: c.change });
    return out;
  }

  private stepFinish(json: unknown): AgentEvent[] {
    const p = stepFinishLineSchema.safeParse(json);
    if (!p.success) return [];
    const { reason, tokens, cost } = p.data.part;
    this.turnEnded = reason !== undefined && reason !== 'tool-calls';
    const cacheRead = tokens?.cache?.read ?? 0;
    const reasoning = tokens?.reasoning ?? 0;
    this.tokensIn += (tokens?.input ?? 0) + cacheRead + (tokens?.cache?.write ?? 0);
    this.tokensOut += (tokens?.output ?? 0) + reasoning;
    this.cachedTokensIn += cacheRead;
    this.reasoningTokens += reasoning;
    this.reportedUsd += cost ?? 0;
    const counts = { tokensIn: this.tokensIn, tokensOut: this.tokensOut, cachedTokensIn: this.cachedTokensIn, reasoningTokens: this.reasoningTokens };
    const reported = Math.round(this.reportedUsd * 1e6) / 1e6;
    const figures = usageFigures(this.prices, this.model, counts, reported);
    return [{ kind: 'usage', ...counts, model: this.model, ...figures }];
  }

  private error(json: unknown): AgentEvent[] {
    const p = errorLineSchema.safeParse(json);
    this.errored = true;
    if (!p.success) return [{ kind: 'error', reason: 'agent_error', message: 'OpenCode reported an error', fatal: true }];
    const err = p.data.error;
    const retryAfterMs = opencodeRetryAfterMs(err);
    const status = err.data?.statusCode;
    const message = [err.name, status === undefined ? null : `HTTP ${status}`, err.data?.message].filter((s) => s !== undefined && s !== null && s !== '').join(': ');
    return [
      {
        kind: 'error',
        reason: opencodeErrorReason(err),
        message: clip(message === '' ? 'OpenCode reported an error' : message),
        fatal: true,
        ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
      },
    ];
  }
}
