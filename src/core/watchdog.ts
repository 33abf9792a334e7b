/**
 * The node's watchdog: a node that lost contact with HQ for too long while running T2+ work
 * cannot vouch for what that work did unsupervised. When contact comes back (the first successful
 * heartbeat after a gap of at least the threshold), the workspaces of its T2+ attempts are reverted
 * to the latest snapshot taken before the gap; T0/T1 attempts are left as they are.
 *
 * Pure: the node (`src/services/node/node-watchdog.ts`) feeds it times, tiers and snapshot lists.
 */
import { CorticalError } from './errors.js';
import type { TaskTier } from './node-command.js';

/** Without a setting, the threshold is this many heartbeat intervals. */
export const DEFAULT_WATCHDOG_MISSED_HEARTBEATS = 3;

const TIER_RANK: Readonly<Record<TaskTier, number>> = { T0: 0, T1: 1, T2: 2, T3: 3 };

/** One attempt the node runs, as the watchdog sees it. */
export interface WatchdogAttempt {
  readonly taskId: string;
  /** The task's tier (absent = T0). */
  readonly tier: TaskTier | undefined;
  /** Whether the attempt is known to have run a T2+ step, whatever its tier says. */
  readonly ranHighTierStep?: boolean | undefined;
}

export interface WatchdogInput {
  /** Epoch ms of the last successful heartbeat before this one; null = none yet (no gap to judge). */
  readonly lastContactAt: number | null;
  /** Epoch ms of this successful heartbeat. */
  readonly nowMs: number;
  /** A gap this long or longer triggers the watchdog. */
  readonly thresholdMs: number;
  readonly attempts: readonly WatchdogAttempt[];
}

export type WatchdogDecision =
  | { readonly triggered: false; readonly missedMs: number }
  | {
      readonly triggered: true;
      /** How long the node was out of contact. */
      readonly missedMs: number;
      /** Epoch ms of the last contact: snapshots at or before it are trusted. */
      readonly gapStartedAt: number;
      /** Task ids whose workspaces must be reverted (T2+ work). */
      readonly revert: readonly string[];
      /** Task ids left as they are (T0/T1 work). */
      readonly untouched: readonly string[];
    };

/** Whether an attempt's work is T2 or above (system changes, destructive or sensitive). */
export function isHighTierWork(attempt: Pick<WatchdogAttempt, 'tier' | 'ranHighTierStep'>): boolean {
  return attempt.ranHighTierStep === true || TIER_RANK[attempt.tier ?? 'T0'] >= TIER_RANK.T2;
}

/**
 * The threshold in ms: `missedMs` when set, else DEFAULT_WATCHDOG_MISSED_HEARTBEATS heartbeat
 * intervals. A setting that is not a positive whole number of ms is refused.
 */
export function watchdogThresholdMs(heartbeatIntervalMs: number, missedMs?: number | null): number {
  if (missedMs !== undefined && missedMs !== null) {
    if (!Number.isInteger(missedMs) || missedMs <= 0) {
      throw new CorticalError('VALIDATION_FAILED', `watchdogMissedMs must be a positive whole number of milliseconds (got ${String(missedMs)})`, { watchdogMissedMs: missedMs });
    }
    return missedMs;
  }
  return Math.max(1, heartbeatIntervalMs) * DEFAULT_WATCHDOG_MISSED_HEARTBEATS;
}

/** What to do when a heartbeat succeeds: nothing, or revert the workspaces of the T2+ attempts. */
export function decideWatchdog(input: WatchdogInput): WatchdogDecision {
  if (input.lastContactAt === null) return { triggered: false, missedMs: 0 };
  const missedMs = Math.max(0, input.nowMs - input.lastContactAt);
  if (missedMs < input.thresholdMs) return { triggered: false, missedMs };
  const revert: string[] = [];
  const untouched: string[] = [];
  for (const a of input.attempts) (isHighTierWork(a) ? revert : untouched).push(a.taskId);
  return { triggered: true, missedMs, gapStartedAt: input.lastContactAt, revert, untouched };
}

/** The latest snapshot taken at or before `gapStartedAt`; null when there is none (nothing trusted to go back to). */
export function snapshotBeforeGap<S extends { readonly id: string; readonly createdAt: number }>(snapshots: readonly S[], gapStartedAt: number): S | null {
  let best: S | null = null;
  for (const s of snapshots) {
    if (s.createdAt > gapStartedAt) continue;
    if (best === null || s.createdAt >= best.createdAt) best = s;
  }
  return best;
}
