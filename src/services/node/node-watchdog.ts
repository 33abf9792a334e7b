/**
 * The node's watchdog (decisions in `src/core/watchdog.ts`, documented in `docs/watchdog.md`):
 * it follows the node's heartbeats, and on the first successful one after a gap of at least the
 * threshold it reverts the workspace of every T2+ attempt the node holds to the latest snapshot
 * taken before the gap. For each such attempt, one after the other per task: its sleeve is stopped
 * (the iteration in progress is not trusted), the workspace is reverted, and the revert is
 * reported to HQ. Until that is done the task's next iteration waits (`gate`) and the node starts
 * no new runner for it (`reverting`). A revert whose lease HQ already took away still happens
 * locally; only the report is refused.
 */
import type { Clock } from '../../core/clock.js';
import { isCorticalError } from '../../core/errors.js';
import type { TaskTier } from '../../core/node-command.js';
import type { HqLink } from '../../core/ports/hq-link.js';
import type { Logger } from '../../core/ports/logger.js';
import type { Snapshots } from '../../core/ports/snapshots.js';
import { decideWatchdog, isHighTierWork, snapshotBeforeGap, watchdogThresholdMs, type WatchdogDecision } from '../../core/watchdog.js';
import { sleep } from './timers.js';

/** An attempt the node holds, as the watchdog needs it. */
export interface WatchedAttempt {
  readonly taskId: string;
  readonly fencingToken: number;
  /** The task's attempt number (for the report's log line). */
  readonly attempt: number;
  readonly tier: TaskTier | undefined;
  /** Stops the iteration in progress at once; resolves when it has been stopped and wound up (the attempt goes on). */
  stop(): Promise<void>;
}

/** What a watchdog revert reports: the data of a `workspace.reverted` event. */
export interface WatchdogRevertEvent {
  readonly reason: 'watchdog';
  readonly snapshotId: string;
  readonly missedMs: number;
  readonly label: string;
  /** When the snapshot was taken (epoch ms). */
  readonly snapshotCreatedAt: number;
  readonly written: number;
  readonly removed: number;
}

/** One attempt the watchdog dealt with. */
export type WatchdogOutcome =
  | { readonly taskId: string; readonly outcome: 'reverted'; readonly event: WatchdogRevertEvent; readonly reported: boolean }
  | { readonly taskId: string; readonly outcome: 'no_snapshot' | 'failed'; readonly missedMs: number; readonly detail: string; readonly reported: boolean };

/** Sends a watchdog outcome to HQ; throws what the link throws. */
export type WatchdogReporter = (attempt: WatchedAttempt, outcome: WatchdogOutcome, atMs: number) => Promise<void>;

export interface NodeWatchdogDeps {
  readonly hq: HqLink;
  readonly snapshots: Snapshots;
  /** Where a task's workspace lives on this node (`<workDir>/workspaces/<taskId>`). */
  readonly workspacePathOf: (taskId: string) => string;
  readonly clock: Clock;
  readonly logger: Logger;
  /** The gap that triggers the watchdog; absent/null = 3 heartbeat intervals. */
  readonly missedMs?: number | null | undefined;
  /** How outcomes reach HQ; default `reportToHq(hq)`. */
  readonly report?: WatchdogReporter;
  /** Pause between tries of a report HQ could not take (default 500). */
  readonly reportRetryMs?: number;
}

const REPORT_TRIES = 4;

export class NodeWatchdog {
  private lastContactAt: number | null = null;
  private heartbeatIntervalMs = 0;
  private missedHeartbeats = 0;
  /** T2+ attempts that ended while the node was out of contact past the threshold. */
  private readonly endedInGap = new Map<string, WatchedAttempt>();
  private readonly chains = new Map<string, Promise<void>>();
  /** Every attempt dealt with, oldest first (kept for inspection; capped). */
  readonly outcomes: WatchdogOutcome[] = [];

  constructor(private readonly deps: NodeWatchdogDeps) {
    // refuse a bad setting at start-up, not at the first gap
    if (deps.missedMs !== undefined && deps.missedMs !== null) watchdogThresholdMs(1, deps.missedMs);
  }

  /** A heartbeat failed (HQ unreachable, refused, timed out). */
  heartbeatFailed(): void {
    this.missedHeartbeats += 1;
  }

  /**
   * A heartbeat succeeded. When the gap since the last one reached the threshold, the T2+
   * attempts in `attempts` are stopped and reverted (in the background; `gate`/`idle` wait for it).
   * Call this before acting on the heartbeat's leases.
   */
  heartbeatSucceeded(input: { heartbeatIntervalMs: number; attempts: readonly WatchedAttempt[] }): WatchdogDecision {
    const nowMs = this.deps.clock.nowMs();
    this.heartbeatIntervalMs = input.heartbeatIntervalMs;
    const held = new Set(input.attempts.map((a) => a.taskId));
    const attempts = [...input.attempts, ...[...this.endedInGap.values()].filter((a) => !held.has(a.taskId))];
    this.endedInGap.clear();
    const decision = decideWatchdog({
      lastContactAt: this.lastContactAt,
      nowMs,
      thresholdMs: this.thresholdMs(),
      attempts: attempts.map((a) => ({ taskId: a.taskId, tier: a.tier })),
    });
    this.lastContactAt = nowMs;
    const missed = this.missedHeartbeats;
    this.missedHeartbeats = 0;
    if (!decision.triggered) return decision;
    this.deps.logger.warn(
      { missedMs: decision.missedMs, missedHeartbeats: missed, revert: decision.revert, untouched: decision.untouched },
      decision.revert.length > 0 ? 'contact with HQ back after a long gap: reverting T2+ workspaces' : 'contact with HQ back after a long gap; no T2+ work to revert',
    );
    const byId = new Map(attempts.map((a) => [a.taskId, a]));
    for (const taskId of decision.revert) {
      const attempt = byId.get(taskId)!;
      this.serial(taskId, () => this.revert(attempt, decision.gapStartedAt, decision.missedMs));
    }
    return decision;
  }

  /**
   * An attempt's runner ended. A T2+ attempt that ends while the node has been out of contact for
   * the threshold or longer (HQ took its lease away, the node is shutting down …) is kept, and its
   * workspace reverted when contact comes back, like those still running.
   */
  attemptEnded(attempt: WatchedAttempt): void {
    if (this.lastContactAt === null || !isHighTierWork(attempt)) return;
    if (this.deps.clock.nowMs() - this.lastContactAt < this.thresholdMs()) return;
    this.endedInGap.set(attempt.taskId, { ...attempt, stop: () => Promise.resolve() });
  }

  /** Resolves once the watchdog's work on the task, as queued now, is done (at once when none). */
  gate(taskId: string): Promise<void> {
    return this.chains.get(taskId) ?? Promise.resolve();
  }

  /** Whether a revert of the task is queued or running. */
  reverting(taskId: string): boolean {
    return this.chains.has(taskId);
  }

  /** Settles when every revert has finished. */
  async idle(): Promise<void> {
    while (this.chains.size > 0) await Promise.all([...this.chains.values()]);
  }

  private thresholdMs(): number {
    return watchdogThresholdMs(this.heartbeatIntervalMs, this.deps.missedMs);
  }

  private serial(taskId: string, fn: () => Promise<void>): void {
    const prev = this.chains.get(taskId) ?? Promise.resolve();
    const next = prev.then(fn).catch((e: unknown) => this.deps.logger.error({ taskId, err: (e as Error).message }, 'watchdog revert crashed'));
    this.chains.set(taskId, next);
    void next.then(() => {
      if (this.chains.get(taskId) === next) this.chains.delete(taskId);
    });
  }

  private async revert(attempt: WatchedAttempt, gapStartedAt: number, missedMs: number): Promise<void> {
    const { taskId } = attempt;
    const log = this.deps.logger.child({ taskId });
    await attempt.stop().catch((e: unknown) => log.warn({ err: (e as Error).message }, 'watchdog: stopping the sleeve failed'));
    const dir = this.deps.workspacePathOf(taskId);
    let outcome: WatchdogOutcome;
    try {
      const snapshot = snapshotBeforeGap(await this.deps.snapshots.list(dir), gapStartedAt);
      if (snapshot === null) {
        const detail = `no snapshot of the workspace was taken before contact with HQ was lost (${new Date(gapStartedAt).toISOString()}); nothing trusted to revert to`;
        outcome = { taskId, outcome: 'no_snapshot', missedMs, detail, reported: false };
      } else {
        const r = await this.deps.snapshots.revert(dir, snapshot.id);
        const event: WatchdogRevertEvent = { reason: 'watchdog', snapshotId: snapshot.id, missedMs, label: snapshot.label, snapshotCreatedAt: snapshot.createdAt, written: r.written, removed: r.removed };
        outcome = { taskId, outcome: 'reverted', event, reported: false };
        log.warn({ ...event }, 'watchdog: workspace reverted');
      }
    } catch (e) {
      const code = (e as { code?: unknown }).code;
      const detail = code === 'ENOENT' ? `task ${taskId} has no workspace on this node (${dir})` : (e as Error).message;
      outcome = { taskId, outcome: 'failed', missedMs, detail, reported: false };
    }
    if (outcome.outcome !== 'reverted') log.error({ missedMs, detail: outcome.detail }, `watchdog: workspace not reverted (${outcome.outcome})`);
    const reported = await this.send(attempt, outcome, log);
    this.remember({ ...outcome, reported });
  }

  private async send(attempt: WatchedAttempt, outcome: WatchdogOutcome, log: Logger): Promise<boolean> {
    const report = this.deps.report ?? reportToHq(this.deps.hq);
    // one time for every try: HQ keeps a report sent again once (its `revert` event is keyed by it)
    const atMs = this.deps.clock.nowMs();
    for (let tries = 1; ; tries++) {
      try {
        await report(attempt, outcome, atMs);
        return true;
      } catch (e) {
        const retry = isCorticalError(e) && (e.retryable || e.code === 'UNAVAILABLE') && tries < REPORT_TRIES;
        if (!retry) {
          // LEASE_CONFLICT: HQ took the lease away; the revert stands on this node, recorded in its log.
          log.warn({ err: (e as Error).message, outcome: outcome.outcome }, 'watchdog: HQ did not take the report');
          return false;
        }
        await sleep(this.deps.reportRetryMs ?? 500);
      }
    }
  }

  private remember(outcome: WatchdogOutcome): void {
    this.outcomes.push(outcome);
    if (this.outcomes.length > 200) this.outcomes.splice(0, this.outcomes.length - 200);
  }
}

/** The line the task's log gets for an outcome. */
export function watchdogLogText(outcome: WatchdogOutcome): string {
  if (outcome.outcome === 'reverted') {
    const e = outcome.event;
    return (
      `workspace.reverted by the watchdog: contact with HQ was lost for ${e.missedMs} ms while this T2+ task ran; ` +
      `the iteration in progress was stopped and the workspace reverted to snapshot ${e.snapshotId} (${e.label}, ${new Date(e.snapshotCreatedAt).toISOString()}): ` +
      `${e.written} paths written, ${e.removed} removed`
    );
  }
  return `the watchdog could not revert the workspace after ${outcome.missedMs} ms without contact with HQ: ${outcome.detail}`;
}

/**
 * The default reporter: the outcome as a system line in the task's log and, for a done revert, a
 * `revert` iteration report (HQ records a `workspace.reverted` event with the outcome's data),
 * through the attempt's fenced progress report (refused with LEASE_CONFLICT when HQ took the
 * lease away).
 */
export function reportToHq(hq: HqLink): WatchdogReporter {
  return async (attempt, outcome, atMs) => {
    await hq.reportProgress({
      taskId: attempt.taskId,
      fencingToken: attempt.fencingToken,
      iterations: outcome.outcome === 'reverted' ? [{ iteration: 0, kind: 'revert', at: atMs, data: { ...outcome.event } }] : [],
      logs: [{ attempt: attempt.attempt, iteration: 0, stream: 'system', at: atMs, text: watchdogLogText(outcome) }],
    });
  };
}
