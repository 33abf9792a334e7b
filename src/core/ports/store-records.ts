/** The records the storage port (`store.ts`, which re-exports them) takes and returns. */
import type { Principal, Role, TokenKind } from '../auth.js';
import type { NodeCommandKind } from '../node-command.js';
import type { FleetNode, NodeResources } from '../node.js';
import type { Guidance, GuidanceDeliveryMode, ReasonCode, Task, TaskDesire, TaskState, TaskUsage } from '../task.js';

/** Spend of one hour (`hour`: epoch ms of its start). */
export interface HourlySpend {
  readonly hour: number;
  readonly usd: number;
  readonly tokens: number;
}

export interface FinishedCounts {
  readonly succeeded: number;
  readonly failed: number;
  readonly cancelled: number;
}

export interface NewNodeCommand {
  readonly id: string;
  readonly nodeId: string;
  readonly taskId: string;
  readonly kind: NodeCommandKind;
  readonly args: Readonly<Record<string, unknown>>;
  readonly actor: string;
  readonly nowMs: number;
}

export interface NodeCommandOutcome {
  readonly id: string;
  /** The reporting node; absent when HQ itself finishes the command (expiry). */
  readonly nodeId?: string | undefined;
  readonly state: 'done' | 'failed';
  readonly result: Readonly<Record<string, unknown>> | null;
  readonly error: string | null;
  readonly nowMs: number;
}

export interface TaskFilter {
  readonly states?: readonly TaskState[] | undefined;
  readonly nodeId?: string | undefined;
  readonly agent?: string | undefined;
  /** Tasks of one project (older tasks without one are in `default`). */
  readonly project?: string | undefined;
  /** Label key=value pairs, all must match. */
  readonly labels?: Readonly<Record<string, string>> | undefined;
  /** Case-insensitive substring of the task's id or prompt (the prompt's first 2,000 characters). */
  readonly text?: string | undefined;
}

export interface LeaseClaimInput {
  readonly taskId: string;
  readonly nodeId: string;
  readonly fencingToken: number;
}

export interface CommitResult {
  readonly granted: readonly Task[];
  readonly rejected: readonly { taskId: string; nodeId: string; why: string }[];
}

export interface KillSwitch {
  readonly on: boolean;
  readonly reason: string | null;
  readonly changedAt: number | null;
  readonly changedBy: string | null;
}

export interface LeaseRenewal {
  readonly task: Task;
  readonly leaseExpiresAt: number;
  readonly desired: TaskDesire;
  /** Guidance not yet delivered, ascending seq. */
  readonly pendingGuidance: readonly Guidance[];
  readonly killSwitch: boolean;
}

/** `agent`: what the model wrote (messages), from a driver's structured events. */
export const LOG_STREAMS = ['stdout', 'stderr', 'system', 'agent'] as const;
export type LogStream = (typeof LOG_STREAMS)[number];

export interface NewLogLine {
  readonly attempt: number;
  readonly iteration: number;
  readonly stream: LogStream;
  readonly at: number;
  readonly text: string;
}

export interface LogLine extends NewLogLine {
  readonly taskId: string;
  readonly seq: number;
}

/** An iteration event reported by a node; stored as `iteration.*` events. */
export interface IterationReport {
  readonly iteration: number;
  /**
   * `snapshot`: the workspace was snapshotted before the iteration (event `workspace.snapshotted`).
   * `revert`: the node's watchdog reverted the workspace (event `workspace.reverted`).
   */
  readonly kind: 'started' | 'finished' | 'usage' | 'snapshot' | 'agent' | 'revert';
  readonly at: number;
  readonly data: Readonly<Record<string, unknown>>;
}

export interface ProgressReport {
  readonly claim: LeaseClaimInput;
  readonly nowMs: number;
  readonly iterations: readonly IterationReport[];
  readonly logs: readonly NewLogLine[];
  /** Cumulative usage over all attempts, as the node computed it. Absent = unchanged. */
  readonly usage?: TaskUsage | undefined;
  readonly runtimeMs?: number | undefined;
  /** What the node's loop is doing now (drives running ⇄ paused). */
  readonly observed?: 'running' | 'paused' | undefined;
  /** Reason when observed = paused (`paused`, `stuck`). */
  readonly pauseReason?: ReasonCode | undefined;
  readonly pauseMessage?: string | undefined;
  /** Highest guidance seq the node has put into an iteration. */
  readonly guidanceDeliveredSeq?: number | undefined;
  /** How each guidance was delivered; recorded with its delivery. */
  readonly guidanceDeliveries?: readonly { readonly seq: number; readonly mode: GuidanceDeliveryMode }[] | undefined;
}

export interface AttemptCompletion {
  readonly claim: LeaseClaimInput;
  readonly nowMs: number;
  readonly outcome: 'succeeded' | 'failed' | 'cancelled' | 'requeue';
  readonly reason: ReasonCode;
  readonly message: string | null;
  readonly usage?: TaskUsage | undefined;
  readonly runtimeMs?: number | undefined;
}

export interface ReapResult {
  readonly requeued: readonly string[];
  readonly failed: readonly string[];
  readonly cancelled: readonly string[];
  readonly nodesLost: readonly string[];
}

export interface NodeHeartbeat {
  readonly node: FleetNode;
  /** Liveness, slots or capabilities changed with this heartbeat (the scheduler should look). */
  readonly capacityChanged: boolean;
}

export interface NodeRegistration {
  readonly name: string;
  readonly capabilities: readonly string[];
  readonly slots: number;
  readonly resources: NodeResources;
  readonly version: string;
}

export interface TokenFilter {
  readonly kinds?: readonly TokenKind[] | undefined;
  readonly roles?: readonly Role[] | undefined;
  readonly activeAt?: number | undefined;
}

export interface NewToken {
  readonly id: string;
  readonly kind: TokenKind;
  readonly role: Role;
  readonly secretHash: string;
  readonly nodeId: string | null;
  readonly label: string | null;
  readonly nowMs: number;
  readonly expiresAt: number | null;
  readonly singleUse: boolean;
  readonly actor: string;
}

export type { Principal, TaskUsage };

export interface UsageRow {
  /** The project, node id or day the row sums. */
  readonly key: string;
  readonly tokensIn: number;
  readonly tokensOut: number;
  readonly usd: number;
}
