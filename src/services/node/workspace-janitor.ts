import type { Clock } from '../../core/clock.js';
import type { Logger } from '../../core/ports/logger.js';
import type { GcPolicy, GcReport, WorkspaceGc } from '../../core/ports/workspace-gc.js';
import type { Runnable } from '../../core/runnable.js';
import { sleep } from './timers.js';

export const DEFAULT_GC_INTERVAL_MS = 10 * 60_000;

export interface WorkspaceJanitorDeps {
  readonly gc: WorkspaceGc;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly policy: GcPolicy;
  /**
   * Task ids the node holds now (NodeAgent.runningTaskIds, plus any being launched). Asked at
   * planning and again before each removal; their workspaces are never removed.
   */
  readonly heldTaskIds: () => readonly string[];
  /** Default 10 minutes. */
  readonly intervalMs?: number;
  /** Wait before the first run (default 30 s, so a restarting node first takes back its leases). */
  readonly firstRunDelayMs?: number;
  /** Delete `cortical/<taskId>` branches of removed worktrees (default false). */
  readonly deleteBranches?: boolean;
}

/**
 * Keeps a node's work directory within its retention policy: every `intervalMs` it collects the
 * finished workspaces that are expired or over quota (see core/workspace-retention). Runs never
 * overlap; a failed run is logged and retried at the next interval.
 */
export class WorkspaceJanitor implements Runnable {
  private running: Promise<GcReport> | null = null;
  private last: GcReport | null = null;

  constructor(private readonly deps: WorkspaceJanitorDeps) {}

  /** The last completed run's report (dry runs included). */
  get lastReport(): GcReport | null {
    return this.last;
  }

  async start(signal: AbortSignal): Promise<void> {
    const { policy } = this.deps;
    if (policy.keepDays === null && policy.maxTotalBytes === null) {
      this.deps.logger.info({}, 'workspace gc off: no retention days and no quota');
      return;
    }
    await sleep(this.deps.firstRunDelayMs ?? 30_000, signal);
    while (!signal.aborted) {
      await this.runOnce({ dryRun: false }).catch((e: unknown) =>
        this.deps.logger.warn({ err: e instanceof Error ? e.message : String(e) }, 'workspace gc failed'),
      );
      await sleep(this.deps.intervalMs ?? DEFAULT_GC_INTERVAL_MS, signal);
    }
    await this.running?.catch(() => undefined);
  }

  /** One collection now (after any run in progress); `dryRun` plans and reports only. */
  async runOnce(opts: { dryRun: boolean }): Promise<GcReport> {
    while (this.running !== null) await this.running.catch(() => undefined);
    const run = this.collect(opts.dryRun);
    this.running = run;
    try {
      return await run;
    } finally {
      this.running = null;
    }
  }

  private async collect(dryRun: boolean): Promise<GcReport> {
    const report = await this.deps.gc.collect({
      policy: this.deps.policy,
      heldTaskIds: this.deps.heldTaskIds,
      nowMs: this.deps.clock.nowMs(),
      dryRun,
      deleteBranches: this.deps.deleteBranches ?? false,
    });
    this.last = report;
    const log = this.deps.logger;
    if (report.removed.length > 0) {
      log.info(
        { removed: report.removed.map((r) => `${r.taskId}:${r.why}`), freedBytes: report.freedBytes, totalBytesAfter: report.plan.totalBytesAfter },
        'workspaces collected',
      );
    } else if (dryRun && report.plan.remove.length > 0) {
      log.info({ wouldRemove: report.plan.remove.map((r) => `${r.taskId}:${r.why}`), freedBytes: report.freedBytes }, 'workspace gc dry run');
    }
    for (const f of report.failed) log.warn({ taskId: f.taskId, err: f.error }, 'workspace not collected');
    if (report.plan.overQuota) {
      log.warn(
        { totalBytes: report.plan.totalBytesAfter, maxTotalBytes: this.deps.policy.maxTotalBytes },
        'workspaces over quota; the rest are in use',
      );
    }
    return report;
  }
}
