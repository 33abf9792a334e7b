import type { Clock } from '../../core/clock.js';
import { isCorticalError } from '../../core/errors.js';
import type { HqLink } from '../../core/ports/hq-link.js';
import type { GuidanceDelivery } from '../../core/ports/agent-driver.js';
import type { Logger } from '../../core/ports/logger.js';
import type { IterationReport, LogStream, NewLogLine } from '../../core/ports/store.js';
import type { ReasonCode, TaskUsage } from '../../core/task.js';
import { Backoff, sleep } from './timers.js';

export interface ProgressState {
  usage?: TaskUsage;
  runtimeMs?: number;
  observed?: 'running' | 'paused';
  pauseReason?: ReasonCode;
  pauseMessage?: string;
  guidanceDeliveredSeq?: number;
  /** How each guidance was delivered (sent to HQ with the next report). */
  guidanceDeliveries?: readonly { readonly seq: number; readonly mode: GuidanceDelivery }[];
}

export type FlushResult = 'sent' | 'unavailable' | 'lease_lost';

const MAX_LOGS_PER_REPORT = 5000;
const MAX_ITERATIONS_PER_REPORT = 1000;

/**
 * Progress of one attempt on its way to HQ. Log lines, iteration reports and the latest state
 * wait here until a report gets through; while HQ is unreachable at most `maxLogLines` lines are
 * kept (the oldest are dropped, and a system line says how many). A LEASE_CONFLICT means the
 * lease is gone: `onLeaseLost` is called and nothing more is sent.
 */
export class ProgressOutbox {
  private logs: NewLogLine[] = [];
  private iterations: IterationReport[] = [];
  private state: ProgressState = {};
  private stateDirty = false;
  private dropped = 0;
  private droppedIteration = 0;
  private leaseLost = false;
  private flushing: Promise<FlushResult> | null = null;
  private readonly backoff = new Backoff(500, 30_000);
  private retryAtMs = 0;
  /** Lines cut from the front of `logs` while a report was in flight. */
  private cutInFlight = 0;
  private inFlight = false;

  constructor(
    private readonly deps: {
      hq: HqLink;
      clock: Clock;
      logger: Logger;
      taskId: string;
      fencingToken: number;
      attempt: number;
      onLeaseLost: () => void;
      maxLogLines?: number;
    },
  ) {}

  /** The outbox of one attempt of `task`: reports carry its id, fencing token and attempt number. */
  static forAttempt(
    task: { readonly id: string; readonly fencingToken: number; readonly attempts: number },
    deps: { readonly hq: HqLink; readonly clock: Clock; readonly logger: Logger; readonly maxBufferedLogLines?: number | undefined },
    onLeaseLost: () => void,
  ): ProgressOutbox {
    const { hq, clock, logger } = deps;
    return new ProgressOutbox({ hq, clock, logger, taskId: task.id, fencingToken: task.fencingToken, attempt: task.attempts, onLeaseLost, ...(deps.maxBufferedLogLines === undefined ? {} : { maxLogLines: deps.maxBufferedLogLines }) });
  }

  get pendingLogLines(): number {
    return this.logs.length;
  }

  log(iteration: number, stream: LogStream, text: string): void {
    this.logs.push({ attempt: this.deps.attempt, iteration, stream, at: this.deps.clock.nowMs(), text: text.slice(0, 65_536) });
    const max = this.deps.maxLogLines ?? 10_000;
    if (this.logs.length > max) {
      const over = this.logs.length - max;
      this.logs.splice(0, over);
      this.dropped += over;
      if (this.inFlight) this.cutInFlight += over;
      this.droppedIteration = iteration;
    }
  }

  iteration(report: IterationReport): void {
    this.iterations.push(report);
  }

  update(state: ProgressState): void {
    this.state = { ...this.state, ...state };
    this.stateDirty = true;
  }

  /** Sends what is pending unless a back-off after an outage is still running. */
  async flushSoon(): Promise<FlushResult> {
    if (this.deps.clock.nowMs() < this.retryAtMs) return 'unavailable';
    return this.flush();
  }

  /** Sends everything pending (one report at a time). */
  flush(): Promise<FlushResult> {
    this.flushing ??= this.sendAll().finally(() => {
      this.flushing = null;
    });
    return this.flushing;
  }

  /** Keeps flushing, with back-off, until all is sent, the lease is lost or `signal` aborts. */
  async drain(signal: AbortSignal): Promise<FlushResult> {
    for (;;) {
      const r = await this.flush();
      if (r !== 'unavailable' || signal.aborted) return r;
      await sleep(Math.max(100, this.retryAtMs - this.deps.clock.nowMs()), signal);
    }
  }

  private hasPending(): boolean {
    return this.logs.length > 0 || this.iterations.length > 0 || this.stateDirty || this.dropped > 0;
  }

  private async sendAll(): Promise<FlushResult> {
    while (this.hasPending()) {
      if (this.leaseLost) return 'lease_lost';
      if (this.dropped > 0) {
        const note: NewLogLine = {
          attempt: this.deps.attempt,
          iteration: this.droppedIteration,
          stream: 'system',
          at: this.deps.clock.nowMs(),
          text: `${this.dropped} log lines were dropped while HQ was unreachable`,
        };
        this.logs.unshift(note);
        this.dropped = 0;
      }
      const logs = this.logs.slice(0, MAX_LOGS_PER_REPORT);
      const iterations = this.iterations.slice(0, MAX_ITERATIONS_PER_REPORT);
      const state = this.state;
      const stateWasDirty = this.stateDirty;
      this.stateDirty = false;
      this.inFlight = true;
      this.cutInFlight = 0;
      try {
        await this.deps.hq.reportProgress({
          taskId: this.deps.taskId,
          fencingToken: this.deps.fencingToken,
          logs,
          iterations,
          ...state,
        });
      } catch (e) {
        this.inFlight = false;
        this.stateDirty ||= stateWasDirty;
        if (isCorticalError(e) && e.code === 'LEASE_CONFLICT') {
          this.leaseLost = true;
          this.deps.onLeaseLost();
          return 'lease_lost';
        }
        if (isCorticalError(e) && (e.code === 'UNAVAILABLE' || e.retryable || e.code === 'UNAUTHENTICATED' || e.code === 'TOKEN_EXPIRED')) {
          const now = this.deps.clock.nowMs();
          // only a scheduled retry grows the back-off, not every eager flush during an outage
          if (now >= this.retryAtMs) this.retryAtMs = now + this.backoff.nextDelayMs();
          return 'unavailable';
        }
        // Anything else would fail again: drop this report instead of blocking the ones after it.
        this.deps.logger.error({ taskId: this.deps.taskId, err: (e as Error).message }, 'progress report rejected; dropped');
      }
      this.inFlight = false;
      this.backoff.reset();
      this.retryAtMs = 0;
      this.logs.splice(0, Math.max(0, logs.length - this.cutInFlight));
      this.iterations.splice(0, iterations.length);
      // pause fields go once with the observation they belong to
      if (!this.stateDirty) this.state = withoutPause(this.state);
    }
    return 'sent';
  }
}

function withoutPause(s: ProgressState): ProgressState {
  const { pauseReason: _r, pauseMessage: _m, ...rest } = s;
  return rest;
}
