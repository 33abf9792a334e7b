/**
 * Workspace retention: which finished workspaces a node may delete. Pure; the adapter scans the
 * disk and removes, the janitor decides when.
 *
 * A workspace is *finished* when its task is no longer held by the node and either its stack
 * carries a `FINISHED` marker or nothing in it changed for the idle grace (see `finishedAtOf`).
 * Active (unfinished) workspaces are never collected, whatever the quota.
 */

export const DAY_MS = 86_400_000;

export interface RetentionCandidate {
  readonly taskId: string;
  readonly path: string;
  readonly sizeBytes: number;
  /** When the task finished; null = still active or unknown: never collected. */
  readonly finishedAt: number | null;
  /** The newest modification found in the workspace (epoch ms). */
  readonly lastUsedAt: number;
}

export interface GcPlanInput {
  readonly workspaces: readonly RetentionCandidate[];
  readonly nowMs: number;
  /** Finished workspaces idle this many days or more are removed; null = no age limit. */
  readonly keepDays: number | null;
  /** Remove the oldest finished workspaces while the total is above this; null = no quota. */
  readonly maxTotalBytes: number | null;
}

export type RemoveWhy = 'expired' | 'over_quota';
export type KeepWhy = 'active' | 'retained';

export interface PlannedRemoval {
  readonly taskId: string;
  readonly path: string;
  readonly sizeBytes: number;
  readonly why: RemoveWhy;
}

export interface PlannedKeep {
  readonly taskId: string;
  readonly path: string;
  readonly sizeBytes: number;
  readonly why: KeepWhy;
}

export interface GcPlan {
  /** In removal order: expired ones first (oldest first), then over-quota ones (oldest first). */
  readonly remove: readonly PlannedRemoval[];
  readonly keep: readonly PlannedKeep[];
  readonly totalBytesBefore: number;
  readonly freedBytes: number;
  readonly totalBytesAfter: number;
  /** true when the quota is still exceeded after removing every finished workspace it may. */
  readonly overQuota: boolean;
}

/**
 * The moment a finished workspace became idle: the later of its finish time and its last use
 * (looking into a finished workspace restarts its clock). Age and "oldest" are measured from it.
 */
export function idleSince(ws: RetentionCandidate): number {
  return ws.finishedAt === null ? ws.lastUsedAt : Math.max(ws.finishedAt, ws.lastUsedAt);
}

function checkLimit(name: string, value: number | null): void {
  if (value !== null && !(Number.isFinite(value) && value >= 0)) {
    throw new RangeError(`${name} must be a finite number ≥ 0 or null, got ${value}`);
  }
}

const byAge = (a: RetentionCandidate, b: RetentionCandidate): number =>
  idleSince(a) - idleSince(b) || a.taskId.localeCompare(b.taskId);

/**
 * Plans a collection: first every finished workspace idle for `keepDays` or more ('expired');
 * then, while the total size (active ones included) is above `maxTotalBytes`, the finished
 * workspaces idle the longest ('over_quota'). Workspaces with `finishedAt === null` are kept.
 */
export function planGc(input: GcPlanInput): GcPlan {
  checkLimit('keepDays', input.keepDays);
  checkLimit('maxTotalBytes', input.maxTotalBytes);
  const size = (w: RetentionCandidate): number => Math.max(0, w.sizeBytes);
  const totalBytesBefore = input.workspaces.reduce((s, w) => s + size(w), 0);
  const finished = input.workspaces.filter((w) => w.finishedAt !== null).sort(byAge);
  const remove: PlannedRemoval[] = [];
  const removed = new Set<RetentionCandidate>();
  let total = totalBytesBefore;

  const take = (w: RetentionCandidate, why: RemoveWhy): void => {
    remove.push({ taskId: w.taskId, path: w.path, sizeBytes: size(w), why });
    removed.add(w);
    total -= size(w);
  };

  if (input.keepDays !== null) {
    const keepMs = input.keepDays * DAY_MS;
    for (const w of finished) if (input.nowMs - idleSince(w) >= keepMs) take(w, 'expired');
  }
  if (input.maxTotalBytes !== null) {
    for (const w of finished) {
      if (total <= input.maxTotalBytes) break;
      if (!removed.has(w)) take(w, 'over_quota');
    }
  }
  const keep: PlannedKeep[] = input.workspaces
    .filter((w) => !removed.has(w))
    .map((w) => ({ taskId: w.taskId, path: w.path, sizeBytes: size(w), why: w.finishedAt === null ? 'active' : 'retained' }));
  return {
    remove,
    keep,
    totalBytesBefore,
    freedBytes: totalBytesBefore - total,
    totalBytesAfter: total,
    overQuota: input.maxTotalBytes !== null && total > input.maxTotalBytes,
  };
}

export interface FinishEvidence {
  readonly taskId: string;
  /** The time in `.cstack/FINISHED`, when the marker exists. */
  readonly finishedMarkerAt: number | null;
  readonly lastUsedAt: number;
}

/** Writes up to this long after the marker still count as part of finishing. */
export const MARKER_SLACK_MS = 5 * 60_000;

/**
 * When a workspace's task finished, or null while it may still be in use:
 * - null when the node still holds the task (an attempt runs or is being set up);
 * - else the `FINISHED` marker's time, when the marker exists (written when an attempt ends
 *   with a final outcome) and nothing in the workspace changed later than `MARKER_SLACK_MS`
 *   after it (a later change means a new attempt may be using the workspace);
 * - else `lastUsedAt` when nothing changed in the workspace for `idleGraceMs` (an attempt that
 *   ended without a marker: crash, requeue to another node, a workspace from an older version);
 * - else null.
 */
export function finishedAtOf(
  ev: FinishEvidence,
  held: ReadonlySet<string>,
  nowMs: number,
  idleGraceMs: number,
): number | null {
  if (held.has(ev.taskId)) return null;
  if (ev.finishedMarkerAt !== null && ev.lastUsedAt <= ev.finishedMarkerAt + MARKER_SLACK_MS) return ev.finishedMarkerAt;
  return nowMs - ev.lastUsedAt >= idleGraceMs ? ev.lastUsedAt : null;
}
