import type { Principal } from '../../core/auth.js';
import { CorticalError, TerminalError } from '../../core/errors.js';
import { checkFence } from '../../core/lease.js';
import type { AttemptCompletion, LeaseClaimInput, LeaseRenewal, ProgressReport } from '../../core/ports/store.js';
import type { Task } from '../../core/task.js';
import type { HqDeps } from './hq-deps.js';
import { notify } from './notify.js';
import type { TaskCredential, TaskCredentials } from './task-credentials.js';
import type { TaskSucceededListener } from './task-pipeline.js';

/** A progress report as a node sends it: the store's report without the claim and the clock. */
export type ProgressInput = Omit<ProgressReport, 'claim' | 'nowMs'> & { readonly fencingToken: number };

/** A completion as a node sends it. */
export type CompleteInput = Omit<AttemptCompletion, 'claim' | 'nowMs'> & { readonly fencingToken: number };

/**
 * A node's operations on its leases. The node id always comes from the authenticated principal,
 * never from the request, so a node can act only on its own leases; the store's fencing check
 * rejects stale or foreign claims with LEASE_CONFLICT.
 */
export class LeaseService {
  constructor(
    private readonly deps: HqDeps,
    private readonly credentials: TaskCredentials,
    /** Told of each accepted successful completion (per-task pipelines); it must not block. */
    private taskSucceeded: TaskSucceededListener | null = null,
  ) {}

  /** Sets (or clears) the listener told of successful completions. */
  setTaskSucceededListener(listener: TaskSucceededListener | null): void {
    this.taskSucceeded = listener;
  }

  /**
   * A lease-scoped credential for the sleeves of a task this node holds (≤ 15 minutes; the node
   * gets a fresh one with each renewal). LEASE_CONFLICT when the lease is not this node's.
   */
  async credential(principal: Principal, taskId: string, input: { fencingToken: number }): Promise<TaskCredential> {
    const claim = claimOf(principal, taskId, input.fencingToken);
    const task = await this.deps.store.getTask(taskId);
    if (task === null) throw new CorticalError('TASK_NOT_FOUND', `task ${taskId} not found`, { taskId });
    const fence = checkFence(task, claim, this.deps.clock.nowMs());
    if (!fence.ok) {
      throw new CorticalError('LEASE_CONFLICT', `no live lease on task ${taskId} for this node (${fence.why})`, { taskId, why: fence.why });
    }
    return this.credentials.issue({ taskId, nodeId: claim.nodeId, fencingToken: claim.fencingToken, leaseExpiresAt: task.leaseExpiresAt });
  }

  async start(principal: Principal, taskId: string, input: { fencingToken: number; workspacePath: string }): Promise<Task> {
    const task = await this.deps.store.startAttempt({
      claim: claimOf(principal, taskId, input.fencingToken),
      nowMs: this.deps.clock.nowMs(),
      workspacePath: input.workspacePath,
    });
    await notify(this.deps, ['tasks.changed'], { taskId });
    return task;
  }

  /** Renew the lease; the answer carries a fresh task credential for the task's sleeves. */
  async renew(principal: Principal, taskId: string, input: { fencingToken: number }): Promise<LeaseRenewal & { credential: TaskCredential }> {
    const claim = claimOf(principal, taskId, input.fencingToken);
    const renewal = await this.deps.store.renewLease({ claim, nowMs: this.deps.clock.nowMs(), leaseTtlMs: this.deps.config.leaseTtlMs });
    const credential = await this.credentials.issue({ taskId, nodeId: claim.nodeId, fencingToken: claim.fencingToken, leaseExpiresAt: renewal.leaseExpiresAt });
    return { ...renewal, credential };
  }

  async progress(principal: Principal, taskId: string, input: ProgressInput): Promise<Task> {
    const task = await this.deps.store.reportProgress({
      claim: claimOf(principal, taskId, input.fencingToken),
      nowMs: this.deps.clock.nowMs(),
      iterations: input.iterations,
      logs: input.logs,
      usage: input.usage,
      runtimeMs: input.runtimeMs,
      observed: input.observed,
      pauseReason: input.pauseReason,
      pauseMessage: input.pauseMessage,
      guidanceDeliveredSeq: input.guidanceDeliveredSeq,
      guidanceDeliveries: input.guidanceDeliveries,
    });
    await notify(this.deps, ['tasks.changed'], { taskId });
    return task;
  }

  /** End the attempt; the node's slot frees up and a requeued task is placeable again. */
  async complete(principal: Principal, taskId: string, input: CompleteInput): Promise<Task> {
    const task = await this.deps.store.completeAttempt({
      claim: claimOf(principal, taskId, input.fencingToken),
      nowMs: this.deps.clock.nowMs(),
      outcome: input.outcome,
      reason: input.reason,
      message: input.message,
      usage: input.usage,
      runtimeMs: input.runtimeMs,
    });
    const topics = task.state === 'queued' ? (['tasks.changed', 'nodes.changed', 'tasks.queued'] as const) : (['tasks.changed', 'nodes.changed'] as const);
    await notify(this.deps, topics, { taskId, nodeId: principal.nodeId });
    if (task.state === 'succeeded' && this.taskSucceeded !== null) {
      try {
        this.taskSucceeded.onTaskSucceeded(task);
      } catch (e) {
        this.deps.logger.error({ taskId, err: e instanceof Error ? e.message : String(e) }, 'task success listener failed');
      }
    }
    return task;
  }
}

function claimOf(principal: Principal, taskId: string, fencingToken: number): LeaseClaimInput {
  if (principal.nodeId === null) throw new TerminalError('FORBIDDEN', 'lease calls need a node credential');
  return { taskId, nodeId: principal.nodeId, fencingToken };
}
