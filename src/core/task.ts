/** The task: what a user submits and what HQ tracks about it. Pure types. */
import type { TaskTier } from './node-command.js';
import { DEFAULT_SANDBOX, type SandboxSpec } from './sandbox.js';

export const TASK_STATES = [
  'queued',
  'leased',
  'running',
  'paused',
  'succeeded',
  'failed',
  'cancelled',
] as const;
export type TaskState = (typeof TASK_STATES)[number];

export const TERMINAL_TASK_STATES: readonly TaskState[] = ['succeeded', 'failed', 'cancelled'];
/** States in which a node holds a lease on the task. */
export const LEASED_TASK_STATES: readonly TaskState[] = ['leased', 'running', 'paused'];

export function isTerminal(state: TaskState): boolean {
  return state === 'succeeded' || state === 'failed' || state === 'cancelled';
}

export function isLeasedState(state: TaskState): boolean {
  return state === 'leased' || state === 'running' || state === 'paused';
}

export const LOOP_MODES = ['once', 'loop'] as const;
export type LoopMode = (typeof LOOP_MODES)[number];

/**
 * Why a task (or a loop) stopped, paused or went back to the queue. Stable codes: shown in the
 * API, the CLI and the event stream.
 */
export const REASON_CODES = [
  // success
  'until_passed', // the task's `until` check exited 0
  'agent_done', // the agent signalled completion
  'once_completed', // a `once` task's single iteration exited 0
  // guardrails
  'max_iterations',
  'iteration_timeout',
  'timeout',
  'budget_tokens', // (older tasks) token budget used up
  'budget_usd', // (older tasks) dollar budget used up
  'budget_exceeded', // a task's token or dollar budget is used up (the message says which)
  'budget_exhausted', // queued: the project's or the fleet's daily budget is used up
  'stuck',
  // agent / runtime failures
  'agent_failed',
  'rate_limited', // the model endpoint rate-limited the agent (and no fallback was left)
  'auth_failed', // the model endpoint refused the agent's credentials
  'spawn_failed',
  'workspace_failed',
  // control
  'stopped',
  'paused',
  'killswitch',
  // fleet
  'lease_expired',
  'node_lost',
  'node_released',
  'max_attempts',
  // scheduling (queued tasks)
  'no_capable_node',
  'no_free_slot',
  'backoff',
] as const;
export type ReasonCode = (typeof REASON_CODES)[number];

export interface RepoSource {
  /** Absolute path of a local git repository on the node. */
  readonly path: string;
  /** Ref the task's branch starts from; null = the repository's HEAD. */
  readonly baseRef: string | null;
}

export interface GuardrailLimits {
  /** Stop after this many iterations (a `once` task has 1). null = unlimited. */
  readonly maxIterations: number | null;
  /** Total wall-clock limit for the task's loop across attempts. */
  readonly timeoutMs: number | null;
  /** Limit for one iteration. */
  readonly iterationTimeoutMs: number | null;
  readonly budgetTokens: number | null;
  readonly budgetUsd: number | null;
  /** Pause with reason `stuck` after this many consecutive iterations that changed nothing. */
  readonly stuckAfterIterations: number | null;
}

export interface TaskSpec {
  /** For the `shell` agent the prompt is the command; for AI agents it is the instruction. */
  readonly prompt: string;
  /** Agent driver name: `shell`, `script`, later `claude`, `codex`, … */
  readonly agent: string;
  readonly mode: LoopMode;
  /** Capabilities a node must advertise (all of them). */
  readonly requires: readonly string[];
  readonly repo: RepoSource | null;
  /** Shell command run in the workspace after each iteration; exit 0 = done. */
  readonly until: string | null;
  readonly guardrails: GuardrailLimits;
  /** Higher runs first. */
  readonly priority: number;
  /** Attempts (placements) before the task fails with `max_attempts`. */
  readonly maxAttempts: number;
  /** Base of the exponential back-off between attempts. */
  readonly retryBackoffMs: number;
  /** Free-form labels for filtering. */
  readonly labels: Readonly<Record<string, string>>;
  /** Network policy and resource limits of the task's sleeves; absent = DEFAULT_SANDBOX. */
  readonly sandbox?: SandboxSpec | undefined;
  /** Risk tier; T2 and above snapshot the workspace before every iteration. Absent = T0. */
  readonly tier?: TaskTier | undefined;
  /** The project the task's usage counts against; absent (older tasks) = `default`. */
  readonly project?: string | undefined;
  /** The model the agent uses; null/absent = the node's default for the agent's endpoint. */
  readonly model?: string | null | undefined;
  /** Agents (and models) to go on with after a rate-limited iteration, in order. */
  readonly fallbacks?: readonly AgentModel[] | undefined;
  /** Put the task's branch through the safety pipeline when it succeeds (needs `repo`); absent = no pipeline. */
  readonly pipeline?: TaskPipelineSpec | undefined;
}

/** A check VERIFY runs on the merged result (exit 0 = passed). */
export interface TaskPipelineCheck {
  readonly name: string;
  readonly command: string;
  readonly timeoutMs?: number | undefined;
}

/** A task's pipeline: its branch `cortical/<taskId>` goes through PLAN … PROMOTE onto `targetBranch`. */
export interface TaskPipelineSpec {
  /** The branch PROMOTE fast-forwards (Blue); never written by the agent. */
  readonly targetBranch: string;
  readonly checks: readonly TaskPipelineCheck[];
}

export interface AgentModel {
  readonly agent: string;
  readonly model: string | null;
}

/** The project of a spec (older specs have none: `default`). */
export function projectOf(spec: Pick<TaskSpec, 'project'>): string {
  return spec.project ?? 'default';
}

/** The sandbox a task runs with (older specs without one get the defaults). */
export function sandboxOf(spec: Pick<TaskSpec, 'sandbox'>): SandboxSpec {
  return spec.sandbox ?? DEFAULT_SANDBOX;
}

export interface TaskUsage {
  readonly iterations: number;
  readonly tokensIn: number;
  readonly tokensOut: number;
  readonly usd: number;
}

export const ZERO_USAGE: TaskUsage = { iterations: 0, tokensIn: 0, tokensOut: 0, usd: 0 };

export function totalTokens(u: TaskUsage): number {
  return u.tokensIn + u.tokensOut;
}

/** What the user wants of a leased task; nodes converge on it (level-based). */
export const TASK_DESIRES = ['run', 'pause', 'pause_now', 'stop'] as const;
export type TaskDesire = (typeof TASK_DESIRES)[number];

export interface Task {
  readonly id: string;
  readonly spec: TaskSpec;
  readonly state: TaskState;
  /** Why the task is in its state (null while nothing notable). */
  readonly reason: ReasonCode | null;
  /** Human-readable detail for `reason`. */
  readonly message: string | null;
  readonly desired: TaskDesire;
  /** Attempts started so far (each lease grant counts one). */
  readonly attempts: number;
  /** Rises on every lease grant; renew and complete must present it. */
  readonly fencingToken: number;
  readonly nodeId: string | null;
  readonly leaseExpiresAt: number | null;
  /** Not to be placed before this time (retry back-off). */
  readonly notBefore: number;
  /** Cumulative over all attempts. */
  readonly usage: TaskUsage;
  /** Wall-clock time spent running, cumulative over attempts, for the total timeout. */
  readonly runtimeMs: number;
  readonly workspacePath: string | null;
  readonly createdAt: number;
  readonly updatedAt: number;
  readonly startedAt: number | null;
  readonly finishedAt: number | null;
}

export interface Guidance {
  readonly taskId: string;
  /** Per-task sequence, 1, 2, 3 … */
  readonly seq: number;
  readonly text: string;
  readonly createdAt: number;
  readonly actor: string;
  /** When a node acknowledged delivering it into an iteration. */
  readonly deliveredAt: number | null;
  /** How it reached the agent (`live`, `interrupt_resume`, `next_iteration`); null until delivered. */
  readonly deliveryMode?: GuidanceDeliveryMode | null | undefined;
}

export type GuidanceDeliveryMode = 'live' | 'interrupt_resume' | 'next_iteration';
