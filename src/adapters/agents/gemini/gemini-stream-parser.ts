/**
 * Gemini CLI `--output-format stream-json` → Cortical events (one parser per process):
 *
 * - `init` → `session` (its `session_id`); its `model` prices the usage.
 * - `message` role `assistant` → `message` (streamed chunks, `delta: true`); the echo of the
 *   user's prompt (role `user`) is dropped.
 * - `tool_use` → `tool_call`; `tool_result` → `tool_result`, and `file_change` for a successful
 *   `write_file` / `replace` inside the workspace.
 * - `error` (severity `error`) → a non-fatal `error`; warnings → log lines.
 * - `result` → `usage` (from `stats`), then `done` (status `success`) or a fatal `error`. An
 *   error's reason needs the exit code (see gemini-error-reason.ts), so it is emitted by
 *   `finish(exit)` once the process is gone.
 *
 * Non-JSON stdout lines and all stderr lines are log lines.
 */
import { isAbsolute, normalize, relative } from 'node:path';
import type { AgentErrorReason, AgentEvent, FileChangeKind } from '../../../core/ports/agent-driver.js';
import { DEFAULT_PRICES, type PriceTable } from '../../../core/pricing.js';
import type { SleeveLine } from '../sleeve-agent-run.js';
import { GEMINI_EXIT_TURN_LIMIT, geminiExitReason, geminiResultReason, geminiStatusReason } from './gemini-error-reason.js';
import { geminiStreamLineSchema, type GeminiStreamLine } from './gemini-stream-schema.js';
import { GeminiUsageLedger, usageOfStats } from './gemini-usage.js';

const MAX_TEXT = 4000;
/** The CLI's file-writing tools; both take `file_path`. */
const FILE_TOOLS = new Set(['write_file', 'replace']);
const TURN_LIMIT_TYPE = 'FatalTurnLimitedError';

export interface GeminiParserOptions {
  /** The workspace: file changes are reported relative to it. */
  readonly workspacePath: string;
  readonly prices?: PriceTable;
  /** Shared by the processes of one iteration (resumed turns), so usage stays cumulative. */
  readonly ledger?: GeminiUsageLedger;
  /** The model the run was started with, until `init` names one. */
  readonly model?: string | null;
}

export interface ProcessEnd {
  readonly exitCode: number | null;
  readonly signal: string | null;
  /** Cortical stopped the process (stop, or an interrupt for guidance): its end is no error. */
  readonly stoppedByCortical?: boolean;
}

function clip(text: string): string {
  return text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT)}…` : text;
}

export class GeminiStreamParser {
  private readonly workspacePath: string;
  private readonly ledger: GeminiUsageLedger;
  private model: string | null;
  private usage: ReturnType<typeof usageOfStats> = [];
  private finalText = '';
  private pendingError: { type: string | undefined; message: string } | null = null;
  private sawResult = false;
  private lastStderr = '';
  /** The HTTP status of the API error the CLI dumped on stderr (`  status: 429`), if any. */
  private stderrStatus: number | null = null;
  private finished = false;
  private readonly fileCalls = new Map<string, { path: string; change: FileChangeKind }>();
  private readonly written = new Set<string>();

  constructor(opts: GeminiParserOptions) {
    this.workspacePath = opts.workspacePath;
    this.ledger = opts.ledger ?? new GeminiUsageLedger(opts.prices ?? DEFAULT_PRICES);
    this.model = opts.model ?? null;
  }

  parse(line: SleeveLine): AgentEvent[] {
    if (line.stream === 'stderr') {
      if (line.text.trim() !== '' && !/^\s/.test(line.text)) this.lastStderr = line.text;
      const status = /^\s+status: (\d{3}),?$/.exec(line.text)?.[1];
      if (status !== undefined) this.stderrStatus = Number(status);
      return [{ kind: 'log', stream: 'stderr', text: line.text }];
    }
    const parsed = this.decode(line.text);
    if (parsed === null) return line.text.trim() === '' ? [] : [{ kind: 'log', stream: 'stdout', text: line.text }];
    return this.onLine(parsed);
  }

  /**
   * Events once the process is gone: the failed `result`'s error with its reason (the exit code
   * completes it), or an error for a process that died without a `result`; nothing for a process
   * Cortical stopped. Idempotent.
   */
  finish(end: ProcessEnd | null): AgentEvent[] {
    if (this.finished) return [];
    this.finished = true;
    this.ledger.commit(this.usage);
    const exitCode = end?.exitCode ?? null;
    if (end?.stoppedByCortical === true) return [];
    if (this.pendingError !== null) {
      const { type, message } = this.pendingError;
      if (type === TURN_LIMIT_TYPE || exitCode === GEMINI_EXIT_TURN_LIMIT) {
        return [{ kind: 'error', reason: 'agent_error', message: `Gemini CLI reached its session turn limit: ${message}`, fatal: true }];
      }
      const reason = geminiResultReason(type, message) ?? geminiExitReason(exitCode) ?? this.statusReason() ?? 'agent_error';
      return [{ kind: 'error', reason, message, fatal: true }];
    }
    if (this.sawResult || end === null || exitCode === null || exitCode === 0) return [];
    if (exitCode === GEMINI_EXIT_TURN_LIMIT) {
      return [{ kind: 'error', reason: 'agent_error', message: 'Gemini CLI reached its session turn limit (exit code 53)', fatal: true }];
    }
    const detail = this.lastStderr === '' ? '' : `: ${clip(this.lastStderr)}`;
    return [{ kind: 'error', reason: geminiExitReason(exitCode) ?? this.statusReason() ?? 'agent_error', message: `Gemini CLI exited with code ${exitCode}${detail}`, fatal: true }];
  }

  private statusReason(): AgentErrorReason | null {
    return this.stderrStatus === null ? null : geminiStatusReason(this.stderrStatus);
  }

  private decode(text: string): GeminiStreamLine | null {
    if (!text.startsWith('{')) return null;
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      return null;
    }
    const r = geminiStreamLineSchema.safeParse(json);
    return r.success ? r.data : null;
  }

  private onLine(l: GeminiStreamLine): AgentEvent[] {
    switch (l.type) {
      case 'init':
        if (l.model !== undefined && l.model !== '') this.model = l.model;
        return l.session_id !== undefined && l.session_id !== '' ? [{ kind: 'session', id: l.session_id }] : [];
      case 'message':
        if (l.role !== 'assistant' || l.content === undefined || l.content === '') return [];
        this.finalText += l.content;
        return [{ kind: 'message', text: l.content }];
      case 'tool_use':
        return this.onToolUse(l.tool_id, l.tool_name, l.parameters);
      case 'tool_result':
        return l.status === 'success'
          ? this.onToolResult(l.tool_id, true, l.output ?? '')
          : this.onToolResult(l.tool_id, false, l.error?.message ?? l.output ?? 'tool error');
      case 'error':
        if (l.severity !== 'error') return [{ kind: 'log', stream: 'stdout', text: `warning: ${l.message ?? ''}` }];
        return [{ kind: 'error', reason: 'agent_error', message: l.message ?? 'Gemini CLI reported an error', fatal: false }];
      case 'result':
        return this.onResult(l);
    }
  }

  private onToolUse(id: string, name: string, parameters: unknown): AgentEvent[] {
    this.finalText = '';
    const args = typeof parameters === 'object' && parameters !== null ? (parameters as Record<string, unknown>) : {};
    if (FILE_TOOLS.has(name) && typeof args.file_path === 'string') {
      const path = this.workspaceRelative(args.file_path);
      if (path !== null) this.fileCalls.set(id, { path, change: name === 'write_file' && !this.written.has(path) ? 'created' : 'modified' });
    }
    return [{ kind: 'tool_call', id, name, input: clip(JSON.stringify(parameters ?? {})) }];
  }

  private onToolResult(id: string, ok: boolean, output: string): AgentEvent[] {
    const out: AgentEvent[] = [{ kind: 'tool_result', id, ok, output: clip(output) }];
    const call = this.fileCalls.get(id);
    this.fileCalls.delete(id);
    if (call !== undefined && ok) {
      this.written.add(call.path);
      out.push({ kind: 'file_change', path: call.path, change: call.change });
    }
    return out;
  }

  private onResult(l: Extract<GeminiStreamLine, { type: 'result' }>): AgentEvent[] {
    this.sawResult = true;
    const out: AgentEvent[] = [];
    if (l.stats !== undefined) {
      this.usage = usageOfStats(l.stats, this.model);
      const usage = this.ledger.event(this.usage, this.model);
      if (l.status === 'success' || usage.tokensIn + usage.tokensOut > 0) out.push(usage);
    }
    if (l.status === 'success') {
      const summary = this.finalText.trim();
      out.push({ kind: 'done', summary: summary === '' ? null : clip(summary) });
    } else {
      this.pendingError = { type: l.error?.type, message: l.error?.message ?? `Gemini CLI ended with status ${l.status ?? 'unknown'}` };
    }
    return out;
  }

  /** `p` relative to the workspace, or null when it lies outside. */
  private workspaceRelative(p: string): string | null {
    const rel = isAbsolute(p) ? relative(this.workspacePath, p) : normalize(p);
    if (rel === '' || rel === '.' || rel.startsWith('..') || isAbsolute(rel)) return null;
    return rel;
  }
}
