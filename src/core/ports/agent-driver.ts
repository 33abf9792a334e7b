import type { ModelEndpoints } from '../model-endpoints.js';
import type { SandboxSpec, SleeveEndReason } from '../sandbox.js';
import type { Runtime } from './runtime.js';

/**
 * An agent driver starts one AI CLI (or `shell`, `script`, the built-in agent) headless for one
 * iteration and turns its structured output into Cortical events. Status comes from these events,
 * never from prompts or screen text.
 */

/** Why an agent reported an error; rate limits and auth errors are told apart from the rest. */
export const AGENT_ERROR_REASONS = ['rate_limited', 'auth_failed', 'agent_error'] as const;
export type AgentErrorReason = (typeof AGENT_ERROR_REASONS)[number];

/** How guidance reached the agent. */
export const GUIDANCE_DELIVERIES = ['live', 'interrupt_resume', 'next_iteration'] as const;
export type GuidanceDelivery = (typeof GUIDANCE_DELIVERIES)[number];

export type FileChangeKind = 'created' | 'modified' | 'deleted';

export type AgentEvent =
  | { readonly kind: 'log'; readonly stream: 'stdout' | 'stderr'; readonly text: string }
  /** Text the model wrote (one message or a streamed chunk of one). */
  | { readonly kind: 'message'; readonly text: string }
  /** The agent calls a tool; `input` is its arguments as (possibly truncated) JSON. */
  | { readonly kind: 'tool_call'; readonly id: string; readonly name: string; readonly input: string }
  | { readonly kind: 'tool_result'; readonly id: string; readonly ok: boolean; readonly output: string }
  /** A file in the workspace the agent created, changed or deleted (relative path). */
  | { readonly kind: 'file_change'; readonly path: string; readonly change: FileChangeKind }
  /**
   * Usage of this iteration so far, cumulative within the iteration. `usd` is what Cortical
   * counts: the CLI's own figure where it reports one, else priced from the price table.
   * `reportedUsd` is the CLI's own figure (null when it reports none), `pricedUsd` the table's
   * (null for an unknown model), so the two can be cross-checked.
   */
  | {
      readonly kind: 'usage';
      readonly tokensIn: number;
      readonly tokensOut: number;
      readonly usd: number;
      readonly cachedTokensIn?: number | undefined;
      readonly reasoningTokens?: number | undefined;
      readonly model?: string | null | undefined;
      readonly reportedUsd?: number | null | undefined;
      readonly pricedUsd?: number | null | undefined;
    }
  /** The CLI's session (thread) id, for resuming it with guidance or in the next iteration. */
  | { readonly kind: 'session'; readonly id: string }
  /** The agent says the task is complete. */
  | { readonly kind: 'done'; readonly summary: string | null }
  /**
   * The agent (or its model endpoint) reported an error. `fatal`: the iteration cannot go on.
   * `retryAfterMs`: a rate limit's hint, when the endpoint gave one.
   */
  | {
      readonly kind: 'error';
      readonly reason: AgentErrorReason;
      readonly message: string;
      readonly fatal: boolean;
      readonly retryAfterMs?: number | undefined;
    };

export interface AgentIterationInput {
  readonly taskId: string;
  readonly iteration: number;
  /** The task's prompt with any new guidance appended. */
  readonly prompt: string;
  /** New guidance for this iteration (already inside `prompt`), for drivers with native support. */
  readonly guidance: readonly string[];
  /** The task's prompt alone, without guidance (the `shell` agent runs it as a command). */
  readonly taskPrompt?: string | undefined;
  readonly workspacePath: string;
  /**
   * The sleeve's HOME (outside the workspace). Drivers write their CLI's per-run config here and
   * list the files in the spawn's `readOnlyPaths`, so the agent can read but not edit them.
   */
  readonly homePath?: string | undefined;
  /** Scrubbed base environment for the sleeve. */
  readonly env: Readonly<Record<string, string>>;
  readonly runtime: Runtime;
  /** Sandbox and path rules every process of this iteration is spawned with. */
  readonly sleeve?: SleeveOptions | undefined;
  /** The model the task asked for; null = the driver's default for its endpoint. */
  readonly model?: string | null | undefined;
  /** The node's model endpoints (keys included: never log them). */
  readonly endpoints?: ModelEndpoints | undefined;
  /** The CLI session of the previous iteration (or attempt), for drivers that can resume one. */
  readonly resumeSession?: string | null | undefined;
}

/** The parts of a SpawnSpec that come from the task and its workspace, not from the driver. */
export interface SleeveOptions {
  readonly sandbox: SandboxSpec;
  readonly readOnlyPaths: readonly string[];
  readonly writablePaths: readonly string[];
}

export interface AgentExit {
  readonly exitCode: number | null;
  readonly signal: string | null;
  /** Why the sleeve ended it beyond the exit code (`oom`, `pids_limit`, `disk_quota` …). */
  readonly reason?: SleeveEndReason | undefined;
  readonly detail?: string | undefined;
}

export interface AgentRun {
  /** Ends when the iteration's output ends. */
  readonly events: AsyncIterable<AgentEvent>;
  /** Resolves when the iteration's process is gone. */
  readonly exited: Promise<AgentExit>;
  suspend(): void;
  resume(): void;
  stop(graceMs: number): Promise<void>;
  /**
   * Delivers guidance into the running iteration: `live` (written to the CLI's live input) or
   * `interrupt_resume` (the current turn is interrupted and the CLI's session resumed with the
   * guidance). Absent: the driver cannot; the guidance waits for the next iteration.
   */
  guide?(text: string): Promise<Exclude<GuidanceDelivery, 'next_iteration'>>;
}

export interface AgentDriver {
  readonly name: string;
  /** How guidance reaches a running iteration of this driver at best. */
  readonly guidance: GuidanceDelivery;
  /** A driver that cannot report structured events (text only): status is coarse. */
  readonly degraded?: boolean | undefined;
  /**
   * The CLI's version, or null when the CLI is not installed on this node (discovery: a node
   * advertises the agents it has). Never throws.
   */
  detect?(env: Readonly<Record<string, string>>): Promise<{ readonly version: string } | null>;
  /** Throws CorticalError('VALIDATION_FAILED') for a prompt the driver cannot run. */
  startIteration(input: AgentIterationInput): Promise<AgentRun>;
}
