/** The loop runner's dependencies and the controls HQ feeds it. */
import type { Clock } from '../../core/clock.js';
import type { ModelEndpoints } from '../../core/model-endpoints.js';
import type { AgentDriver } from '../../core/ports/agent-driver.js';
import type { HqLink } from '../../core/ports/hq-link.js';
import type { Logger } from '../../core/ports/logger.js';
import type { Runtime } from '../../core/ports/runtime.js';
import type { Workspaces } from '../../core/ports/workspace.js';
import type { Guidance, Task, TaskDesire } from '../../core/task.js';
import type { AgentChoice } from './agent-choice.js';
import type { PolicyDecisionLog } from './policy-decision-log.js';

export interface LoopRunnerDeps {
  readonly hq: HqLink;
  readonly runtime: Runtime;
  readonly drivers: ReadonlyMap<string, AgentDriver>;
  readonly workspaces: Workspaces;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Scrubbed base environment for sleeves (HOME is replaced by the workspace's). */
  readonly baseEnv: Readonly<Record<string, string>>;
  /** Between SIGTERM and SIGKILL when an iteration is stopped. */
  readonly stopGraceMs?: number;
  readonly untilTimeoutMs?: number;
  readonly flushIntervalMs?: number;
  readonly maxBufferedLogLines?: number;
  /**
   * Before each iteration: waits for the task's workspace commands and takes the tier's
   * snapshot; returns the snapshot to report (event `workspace.snapshotted`) or null.
   */
  readonly beforeIteration?: (input: { task: Task; iteration: number; workspacePath: string }) => Promise<Readonly<Record<string, unknown>> | null>;
  /** The node's model endpoints, handed to the drivers (keys never leave the node). */
  readonly endpoints?: ModelEndpoints;
  /** Base of the back-off before a rate-limited iteration is retried on the next fallback. */
  readonly fallbackBackoffMs?: number;
  /**
   * The node's policy decision log (the one its drivers record to): the attempt's decisions go
   * into its progress reports, with one summary of the allowed T0/T1 calls per iteration.
   */
  readonly policyLog?: Pick<PolicyDecisionLog, 'attach' | 'endIteration' | 'detach'>;
}

/** What HQ said on the last lease renewal (fed in by the node agent). */
export interface LoopControls {
  readonly desired: TaskDesire;
  readonly pendingGuidance: readonly Guidance[];
  readonly killSwitch: boolean;
  /** The task's agent now (it changes when the task is resleeved); absent = unchanged. */
  readonly agent?: AgentChoice;
}
