import type { SandboxSpec, SleeveEndReason } from '../sandbox.js';
import type { Runtime } from './runtime.js';

/**
 * An agent driver starts one AI CLI (or `shell`, `script`) headless for one iteration and turns
 * its output into structured events. Status comes from these events, never from screen text.
 */
export type AgentEvent =
  | { readonly kind: 'log'; readonly stream: 'stdout' | 'stderr'; readonly text: string }
  /** Usage of this iteration so far, cumulative within the iteration. */
  | { readonly kind: 'usage'; readonly tokensIn: number; readonly tokensOut: number; readonly usd: number }
  /** The agent says the task is complete. */
  | { readonly kind: 'done'; readonly summary: string | null }
  /** The agent reports an unrecoverable failure. */
  | { readonly kind: 'failed'; readonly message: string };

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
  /** Scrubbed base environment for the sleeve. */
  readonly env: Readonly<Record<string, string>>;
  readonly runtime: Runtime;
  /** Sandbox and path rules every process of this iteration is spawned with. */
  readonly sleeve?: SleeveOptions | undefined;
}

/** The parts of a SpawnSpec that come from the task and its workspace, not from the driver. */
export interface SleeveOptions {
  readonly sandbox: SandboxSpec;
  readonly readOnlyPaths: readonly string[];
  readonly writablePaths: readonly string[];
}

export interface AgentRun {
  /** Ends when the process's output ends. */
  readonly events: AsyncIterable<AgentEvent>;
  /**
   * Resolves when the iteration's process is gone; `reason` says why the sleeve ended it beyond
   * the exit code (`oom`, `pids_limit`, `disk_quota` …), `detail` in words.
   */
  readonly exited: Promise<{ exitCode: number | null; signal: string | null; reason?: SleeveEndReason | undefined; detail?: string | undefined }>;
  suspend(): void;
  resume(): void;
  stop(graceMs: number): Promise<void>;
}

export interface AgentDriver {
  readonly name: string;
  /** Whether guidance can be delivered into a running iteration (otherwise: next iteration). */
  readonly nativeGuidance: boolean;
  /** Throws CorticalError('VALIDATION_FAILED') for a prompt the driver cannot run. */
  startIteration(input: AgentIterationInput): Promise<AgentRun>;
}
