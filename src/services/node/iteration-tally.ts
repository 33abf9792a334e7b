/**
 * What one iteration's agent events add up to: the loop's view of the run (done, failed, rate
 * limited, auth refused), its usage, the CLI's session id, and the events forwarded to HQ (the
 * model's words as `agent` log lines, tool calls and file changes as `agent` iteration events).
 * Endpoint keys are redacted from everything forwarded.
 */
import type { Clock } from '../../core/clock.js';
import type { LoopVerdict } from '../../core/guardrails-types.js';
import type { AgentEvent, AgentExit } from '../../core/ports/agent-driver.js';
import { costMismatch } from '../../core/pricing.js';
import type { ProgressOutbox } from './progress-outbox.js';

const MAX_FIELD_CHARS = 4000;

export interface IterationUsage {
  readonly tokensIn: number;
  readonly tokensOut: number;
  readonly usd: number;
}

export class IterationTally {
  agentDone = false;
  agentFailed = false;
  rateLimited: { retryAfterMs: number | null; message: string } | null = null;
  authFailed: string | null = null;
  session: string | null = null;
  model: string | null = null;
  usage: IterationUsage = { tokensIn: 0, tokensOut: 0, usd: 0 };
  private mismatchReported = false;
  /** Number of the next agent event in this iteration (HQ de-duplicates re-sent reports by it). */
  private n = 0;

  constructor(
    private readonly deps: {
      readonly outbox: ProgressOutbox;
      readonly clock: Clock;
      readonly iteration: number;
      readonly redact: (text: string) => string;
      /** Called after every usage report with the iteration's usage so far. */
      readonly onUsage: (usage: IterationUsage) => void;
    },
  ) {}

  handle(event: AgentEvent): void {
    const { outbox, iteration, redact } = this.deps;
    switch (event.kind) {
      case 'log':
        outbox.log(iteration, event.stream, redact(event.text));
        return;
      case 'message':
        outbox.log(iteration, 'agent', redact(event.text));
        return;
      case 'done':
        this.agentDone = true;
        return;
      case 'usage':
        this.onUsage(event);
        return;
      case 'session':
        this.session = event.id;
        this.report({ type: 'session', id: event.id });
        return;
      case 'error':
        if (event.fatal) this.agentFailed = true;
        if (event.reason === 'rate_limited') this.rateLimited = { retryAfterMs: event.retryAfterMs ?? null, message: redact(event.message) };
        if (event.reason === 'auth_failed') this.authFailed = redact(event.message);
        outbox.log(iteration, 'system', `agent ${event.fatal ? 'failed' : 'error'} (${event.reason}): ${redact(event.message)}`);
        this.report({ type: 'error', reason: event.reason, fatal: event.fatal, message: redact(event.message).slice(0, MAX_FIELD_CHARS) });
        return;
      case 'tool_call':
        this.report({ type: 'tool_call', id: event.id, name: event.name, input: redact(event.input).slice(0, MAX_FIELD_CHARS) });
        return;
      case 'tool_result':
        this.report({ type: 'tool_result', id: event.id, ok: event.ok, output: redact(event.output).slice(0, MAX_FIELD_CHARS) });
        return;
      case 'file_change':
        this.report({ type: 'file_change', path: event.path, change: event.change });
        return;
    }
  }

  /** The iteration's closing reports: its usage (model and agent) and how it finished. */
  finish(end: { agent: string; model: string | null; exit: AgentExit; timedOut: boolean; untilPassed: boolean | null; workspaceChanged: boolean; verdict: LoopVerdict; diff: unknown }): void {
    const { outbox, iteration } = this.deps;
    const at = this.deps.clock.nowMs();
    const { exit, verdict } = end;
    outbox.iteration({ iteration, kind: 'usage', at, data: { ...this.usage, model: this.model ?? end.model, agent: end.agent } });
    outbox.iteration({
      iteration,
      kind: 'finished',
      at,
      data: {
        ...{ exitCode: exit.exitCode, signal: exit.signal, sleeveEnd: exit.reason ?? null, timedOut: end.timedOut, agentDone: this.agentDone, agentFailed: this.agentFailed },
        ...{ untilPassed: end.untilPassed, workspaceChanged: end.workspaceChanged, verdict: verdict.action, reason: verdict.action === 'continue' ? null : verdict.reason, diff: end.diff },
      },
    });
  }

  private onUsage(event: Extract<AgentEvent, { kind: 'usage' }>): void {
    this.usage = { tokensIn: event.tokensIn, tokensOut: event.tokensOut, usd: event.usd };
    if (event.model) this.model = event.model;
    const reported = event.reportedUsd ?? null;
    const priced = event.pricedUsd ?? null;
    if (!this.mismatchReported && reported !== null && priced !== null && costMismatch(reported, priced)) {
      this.mismatchReported = true;
      this.deps.outbox.log(
        this.deps.iteration,
        'system',
        `cost cross-check: the agent reports $${reported.toFixed(4)}, the price table says $${priced.toFixed(4)} for ${event.model ?? 'its model'}; counting the agent's figure`,
      );
    }
    this.deps.onUsage(this.usage);
  }

  private report(data: Record<string, unknown>): void {
    this.n += 1;
    this.deps.outbox.iteration({ iteration: this.deps.iteration, kind: 'agent', at: this.deps.clock.nowMs(), data: { ...data, n: this.n } });
  }
}
