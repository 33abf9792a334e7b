import type { Runnable } from '../../core/runnable.js';
import type { BusTopic } from '../../core/ports/bus.js';
import type { Task } from '../../core/task.js';
import { admitByBudget } from '../../core/budgets.js';
import { schedule } from '../../core/scheduler/schedule.js';
import type { HqDeps } from './hq-deps.js';
import { errorMessage, notify } from './notify.js';
import { WakeSignal } from './wake-signal.js';
import { Leadership } from './scheduler-leadership.js';

export interface SchedulingPassResult {
  /** Queued tasks in the snapshot. */
  readonly considered: number;
  readonly granted: readonly Task[];
  readonly rejected: readonly { taskId: string; nodeId: string; why: string }[];
  readonly unplaced: number;
  /** Tasks whose unplaced reason changed (and were written). */
  readonly unplacedRecorded: number;
  readonly durationMs: number;
}

/** Placements (and unplaced reasons) written per transaction. */
export const COMMIT_CHUNK_PLACEMENTS = 500;

const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

type PassDeps = Pick<HqDeps, 'store' | 'bus' | 'clock' | 'logger' | 'config'>;

/** One scheduling pass: snapshot → plan → commit → record why the rest was not placed. */
export async function runSchedulingPass(deps: PassDeps): Promise<SchedulingPassResult> {
  const started = deps.clock.nowMs();
  const loaded = await deps.store.loadSchedulerSnapshot({ maxTasks: deps.config.maxTasksPerPass, nowMs: started });
  // Daily budgets: tasks of a project (or a fleet) with nothing left today stay queued.
  const admission = loaded.killSwitch ? null : await deps.store.loadAdmission({ taskIds: loaded.tasks.map((t) => t.id), nowMs: started });
  const budget = admission === null ? null : admitByBudget(admission.tasks, admission.budgets, admission.spent);
  const snapshot = budget === null ? loaded : { ...loaded, tasks: loaded.tasks.filter((t) => budget.admitted.has(t.id)) };
  const now = deps.clock.nowMs();
  const planned = schedule(snapshot, now);
  const plan = budget === null ? planned : { ...planned, unplaced: [...planned.unplaced, ...budget.refused.map((r) => ({ taskId: r.taskId, reason: 'budget_exhausted' as const, detail: r.detail }))] };
  // Commit in chunks, one transaction each, yielding in between: a pass that places thousands of
  // tasks never holds the (synchronous) database long enough to stall API requests. Each chunk
  // re-checks its placements at commit time, so splitting never produces a bad lease.
  const granted: Task[] = [];
  const rejected: { taskId: string; nodeId: string; why: string }[] = [];
  for (let i = 0; i < plan.placements.length; i += COMMIT_CHUNK_PLACEMENTS) {
    if (i > 0) await yieldToEventLoop();
    const chunk = { placements: plan.placements.slice(i, i + COMMIT_CHUNK_PLACEMENTS), unplaced: [] };
    const r = await deps.store.commitPlan({ plan: chunk, nowMs: deps.clock.nowMs(), leaseTtlMs: deps.config.leaseTtlMs });
    granted.push(...r.granted);
    rejected.push(...r.rejected);
  }
  const commit = { granted, rejected };
  let unplacedRecorded = 0;
  for (let i = 0; i < plan.unplaced.length; i += COMMIT_CHUNK_PLACEMENTS) {
    if (i > 0) await yieldToEventLoop();
    unplacedRecorded += await deps.store.recordUnplaced({
      items: plan.unplaced
        .slice(i, i + COMMIT_CHUNK_PLACEMENTS)
        .map((u) => ({ taskId: u.taskId, reason: u.reason, detail: u.detail })),
      nowMs: now,
    });
  }
  if (commit.granted.length > 0 || unplacedRecorded > 0) {
    await notify(deps, ['tasks.changed'], { granted: commit.granted.length });
  }
  const result: SchedulingPassResult = {
    considered: loaded.tasks.length,
    granted: commit.granted,
    rejected: commit.rejected,
    unplaced: plan.unplaced.length,
    unplacedRecorded,
    durationMs: deps.clock.nowMs() - started,
  };
  if (result.granted.length > 0 || result.rejected.length > 0) {
    deps.logger.debug(
      { considered: result.considered, granted: result.granted.length, rejected: result.rejected.length, unplaced: result.unplaced },
      'scheduling pass',
    );
  }
  return result;
}

const WAKE_TOPICS: readonly BusTopic[] = ['tasks.queued', 'nodes.changed', 'killswitch.changed'];

/**
 * Level-based scheduler loop: a pass on every wake-up (coalesced) and every
 * `schedulerIntervalMs`. Never runs two passes at once; a wake-up during a pass causes exactly one
 * more pass after it. Replicas that share a store elect one scheduler through it (`leadership`):
 * the others only watch for the role to fall free, so their passes never contend with the
 * leader's commits. (`runOnce` runs a pass regardless: commits re-check every placement.)
 */
export class SchedulerLoop implements Runnable {
  private readonly wake = new WakeSignal();
  private passing: Promise<SchedulingPassResult> | null = null;
  readonly leadership: Leadership;

  constructor(
    private readonly deps: HqDeps,
    replicaId?: string,
  ) {
    this.leadership = new Leadership(deps, 'scheduler', replicaId);
  }

  /** Ask for a pass soon (what bus wake-ups do). */
  poke(): void {
    this.wake.notify();
  }

  /** Run a pass now, or join the one in flight. */
  runOnce(): Promise<SchedulingPassResult> {
    if (this.passing !== null) return this.passing;
    const p = runSchedulingPass(this.deps).finally(() => {
      this.passing = null;
    });
    this.passing = p;
    return p;
  }

  async start(signal: AbortSignal): Promise<void> {
    const log = this.deps.logger.child({ loop: 'scheduler' });
    const unsubscribe = WAKE_TOPICS.map((topic) => this.deps.bus.subscribe(topic, () => this.wake.notify()));
    try {
      while (!signal.aborted) {
        if (!(await this.leadership.ensure())) {
          await this.wake.wait(Math.max(1, this.leadership.msUntilCheck()), signal);
          continue;
        }
        let again = false;
        try {
          const result = await this.runOnce();
          // A full snapshot may leave more placeable work behind it: go again at once.
          again = result.considered >= this.deps.config.maxTasksPerPass && result.granted.length > 0;
        } catch (err) {
          log.error({ err: errorMessage(err) }, 'scheduling pass failed');
        }
        if (!again) await this.wake.wait(this.deps.config.schedulerIntervalMs, signal);
      }
    } finally {
      for (const u of unsubscribe) u();
      if (this.passing !== null) await this.passing.catch(() => undefined);
      await this.leadership.release();
    }
  }
}
