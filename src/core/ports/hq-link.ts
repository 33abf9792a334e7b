import type { FleetNode, NodeResources } from '../node.js';
import type { NodeCommand } from '../node-command.js';
import type { Guidance, GuidanceDeliveryMode, ReasonCode, Task, TaskDesire, TaskUsage } from '../task.js';
import type { IterationReport, NewLogLine } from './store.js';

/**
 * A node's view of HQ. The HTTP adapter (`src/adapters/hq-link/http/http-hq-link.ts`) speaks the
 * REST API; an in-process adapter may call the services directly. Errors are CorticalErrors:
 * `LEASE_CONFLICT` means the lease is gone (stop the attempt), `UNAVAILABLE` means HQ cannot be
 * reached (keep running, buffer, retry).
 */
export interface NodeIdentity {
  readonly nodeId: string;
  readonly accessToken: string;
  readonly accessExpiresAt: number;
  readonly refreshToken: string;
  readonly leaseTtlMs: number;
  readonly heartbeatIntervalMs: number;
}

/** A lease-scoped credential for a task's sleeves (≤ 15 minutes; renewed with the lease). */
export interface TaskCredential {
  readonly token: string;
  readonly expiresAt: number;
}

export interface HqLink {
  join(input: {
    joinToken: string;
    name: string;
    capabilities: readonly string[];
    slots: number;
    resources: NodeResources;
    version: string;
  }): Promise<NodeIdentity>;
  /** Trade the refresh token for a new access token (and a rotated refresh token). */
  refresh(input: { nodeId: string; refreshToken: string }): Promise<NodeIdentity>;
  heartbeat(input: {
    resources: NodeResources;
    capabilities?: readonly string[];
    slots?: number;
  }): Promise<{
    node: FleetNode;
    killSwitch: boolean;
    /** The fleet lockdown (every T2 and T3 tool call refused); absent = off. */
    lockdown?: boolean | undefined;
    leases: readonly Task[];
    commands?: readonly NodeCommand[];
  }>;
  /** Report the outcome of a workspace command HQ sent with a heartbeat (snapshot, revert, list). */
  reportCommandResult(input: {
    commandId: string;
    state: 'done' | 'failed';
    result: Readonly<Record<string, unknown>> | null;
    error: string | null;
  }): Promise<void>;
  startAttempt(input: { taskId: string; fencingToken: number; workspacePath: string }): Promise<Task>;
  renewLease(input: { taskId: string; fencingToken: number }): Promise<{
    task: Task;
    leaseExpiresAt: number;
    desired: TaskDesire;
    pendingGuidance: readonly Guidance[];
    killSwitch: boolean;
    /** A fresh task credential, where the link has them. */
    credential?: TaskCredential | undefined;
  }>;
  /** A task credential for a lease this node holds; null where the link has none (in-process). */
  taskCredential(input: { taskId: string; fencingToken: number }): Promise<TaskCredential | null>;
  /**
   * Where the task's repository is served by HQ (git smart HTTP), or null where the link cannot
   * serve one; the node then clones from and pushes to the repository's path itself.
   */
  taskGitUrl(taskId: string): string | null;
  reportProgress(input: {
    taskId: string;
    fencingToken: number;
    iterations: readonly IterationReport[];
    logs: readonly NewLogLine[];
    usage?: TaskUsage;
    runtimeMs?: number;
    observed?: 'running' | 'paused';
    pauseReason?: ReasonCode;
    pauseMessage?: string;
    guidanceDeliveredSeq?: number;
    guidanceDeliveries?: readonly { readonly seq: number; readonly mode: GuidanceDeliveryMode }[];
  }): Promise<Task>;
  completeAttempt(input: {
    taskId: string;
    fencingToken: number;
    outcome: 'succeeded' | 'failed' | 'cancelled' | 'requeue';
    reason: ReasonCode;
    message: string | null;
    usage?: TaskUsage;
    runtimeMs?: number;
  }): Promise<Task>;
  /** Use this identity for subsequent calls (after join, refresh or loading it from disk). */
  setIdentity(identity: NodeIdentity): void;
}
