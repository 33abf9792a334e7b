import type { Clock } from '../../core/clock.js';
import { isCorticalError } from '../../core/errors.js';
import { snapshotsBeforeIteration, type NodeCommand } from '../../core/node-command.js';
import type { HqLink } from '../../core/ports/hq-link.js';
import type { Logger } from '../../core/ports/logger.js';
import type { Snapshots } from '../../core/ports/snapshots.js';
import type { Task } from '../../core/task.js';

export interface WorkspaceCommandRunnerDeps {
  readonly hq: HqLink;
  readonly snapshots: Snapshots;
  /** Where a task's workspace lives on this node (`<workDir>/workspaces/<taskId>`). */
  readonly workspacePathOf: (taskId: string) => string;
  readonly clock: Clock;
  readonly logger: Logger;
}

type Outcome = { state: 'done'; result: Record<string, unknown>; error: null } | { state: 'failed'; result: null; error: string };

/** Finished commands remembered for re-delivery (HQ sends a command again until it has the result). */
const REMEMBER = 500;

/**
 * Runs the workspace commands HQ sends with heartbeats (snapshot, revert, list snapshots) and
 * reports each result. Commands of one task run one at a time, in order, and never while one of
 * its iterations runs: a revert is refused while the task iterates, and the loop runner waits
 * for the task's commands before each iteration (`beforeIteration`, which also takes the
 * automatic snapshot of tier T2+ tasks). A command delivered again is not run again: its result
 * is reported again.
 */
export class WorkspaceCommandRunner {
  private readonly chains = new Map<string, Promise<unknown>>();
  private readonly running = new Set<string>();
  private readonly finished = new Map<string, Outcome>();
  private readonly unreported = new Set<string>();

  constructor(private readonly deps: WorkspaceCommandRunnerDeps) {}

  /** Commands from a heartbeat. `isIterating(taskId)`: whether an iteration of the task runs now. */
  accept(commands: readonly NodeCommand[], isIterating: (taskId: string) => boolean): void {
    for (const c of commands) {
      if (this.running.has(c.id)) continue;
      if (this.finished.has(c.id)) {
        this.unreported.add(c.id);
        continue;
      }
      this.running.add(c.id);
      void this.serial(c.taskId, () => this.execute(c, isIterating)).then((outcome) => {
        this.running.delete(c.id);
        this.remember(c.id, outcome);
        return this.report(c.id, outcome);
      });
    }
    for (const id of [...this.unreported]) {
      const outcome = this.finished.get(id);
      if (outcome !== undefined && !this.running.has(id)) void this.report(id, outcome);
    }
  }

  /**
   * Before an iteration: waits for the task's pending commands; for tier T2+ tasks takes a
   * snapshot labelled `before iteration N` and returns what to report (null otherwise).
   */
  beforeIteration(input: { task: Task; iteration: number; workspacePath: string }): Promise<Record<string, unknown> | null> {
    return this.serial(input.task.id, async () => {
      if (!snapshotsBeforeIteration(input.task.spec.tier)) return null;
      const t0 = this.deps.clock.nowMs();
      const s = await this.deps.snapshots.snapshot(input.workspacePath, `before iteration ${input.iteration}`);
      return { ...snapshotFields(s), durationMs: Math.max(0, Math.round(this.deps.clock.nowMs() - t0)), auto: true };
    });
  }

  /** Settles when every accepted command has run (tests). */
  async idle(): Promise<void> {
    while (this.chains.size > 0) await Promise.all([...this.chains.values()]);
  }

  private serial<T>(taskId: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.chains.get(taskId) ?? Promise.resolve();
    const next = prev.then(fn, fn);
    const settled = next.then(
      () => undefined,
      () => undefined,
    );
    this.chains.set(taskId, settled);
    void settled.then(() => {
      if (this.chains.get(taskId) === settled) this.chains.delete(taskId);
    });
    return next;
  }

  private async execute(c: NodeCommand, isIterating: (taskId: string) => boolean): Promise<Outcome> {
    const dir = this.deps.workspacePathOf(c.taskId);
    const t0 = this.deps.clock.nowMs();
    const ms = (): number => Math.max(0, Math.round(this.deps.clock.nowMs() - t0));
    try {
      switch (c.kind) {
        case 'snapshot': {
          const label = typeof c.args.label === 'string' ? c.args.label : '';
          const s = await this.deps.snapshots.snapshot(dir, label);
          return done({ ...snapshotFields(s), durationMs: ms() });
        }
        case 'revert': {
          const snapshotId = typeof c.args.snapshotId === 'string' ? c.args.snapshotId : '';
          if (isIterating(c.taskId)) {
            return failed(`task ${c.taskId} is running an iteration on this node; pause it and revert once it shows paused`);
          }
          const r = await this.deps.snapshots.revert(dir, snapshotId);
          this.deps.logger.info({ taskId: c.taskId, snapshotId, written: r.written, removed: r.removed, ms: ms() }, 'workspace reverted');
          return done({ snapshotId: r.id, written: r.written, removed: r.removed, durationMs: ms() });
        }
        case 'list_snapshots': {
          const all = await this.deps.snapshots.list(dir);
          return done({ snapshots: all.map((s) => ({ ...s })), durationMs: ms() });
        }
        default:
          return failed(`this node does not know the command '${String(c.kind)}'`);
      }
    } catch (e) {
      const code = (e as { code?: unknown }).code;
      if (code === 'ENOENT') return failed(`task ${c.taskId} has no workspace on this node (${dir}); it may have been collected`);
      return failed((e as Error).message);
    }
  }

  private remember(id: string, outcome: Outcome): void {
    this.finished.set(id, outcome);
    this.unreported.add(id);
    while (this.finished.size > REMEMBER) {
      const oldest = this.finished.keys().next().value as string;
      this.finished.delete(oldest);
      this.unreported.delete(oldest);
    }
  }

  private async report(id: string, outcome: Outcome): Promise<void> {
    try {
      await this.deps.hq.reportCommandResult({ commandId: id, ...outcome });
      this.unreported.delete(id);
    } catch (e) {
      // HQ down: the command comes again with a later heartbeat and the result is sent again.
      // Refused (another node's, unknown): nothing to retry.
      if (isCorticalError(e) && !e.retryable && e.code !== 'UNAVAILABLE' && e.code !== 'UNAUTHENTICATED' && e.code !== 'TOKEN_EXPIRED') {
        this.unreported.delete(id);
      }
      this.deps.logger.warn({ commandId: id, err: (e as Error).message }, 'could not report a command result');
    }
  }
}

function done(result: Record<string, unknown>): Outcome {
  return { state: 'done', result, error: null };
}

function failed(error: string): Outcome {
  return { state: 'failed', result: null, error: error.slice(0, 4000) };
}

function snapshotFields(s: { id: string; label: string; createdAt: number; commit: string; trackedCommit: string | null; untrackedBytes: number }): Record<string, unknown> {
  return { snapshotId: s.id, label: s.label, createdAt: s.createdAt, commit: s.commit, trackedCommit: s.trackedCommit, untrackedBytes: s.untrackedBytes };
}
