import { branchNameProblem } from '../../contract/task-schemas.js';
import { DEFAULT_PLANNER_CONFIG, resolvePlannerConfig, type PlannerConfig } from './planner-config.js';

/** HQ settings. Every value has a default; tests override the timings with short ones. */
export interface HqConfig {
  /** How long a granted or renewed lease lasts. */
  readonly leaseTtlMs: number;
  /** How often nodes are told to heartbeat. */
  readonly heartbeatIntervalMs: number;
  /** A node whose last heartbeat is older than this is marked lost. */
  readonly nodeLostAfterMs: number;
  /** Lifetime of a node access token (refresh tokens do not expire). */
  readonly nodeAccessTtlMs: number;
  /** Lifetime of a join token created without an explicit TTL. */
  readonly joinTokenTtlMs: number;
  /** Scheduler pass interval (a fallback: wake-ups run passes sooner). */
  readonly schedulerIntervalMs: number;
  /**
   * How long the scheduler role lasts without renewal: replicas sharing a store elect one
   * scheduler through it, and when that replica dies another takes over after at most this long.
   */
  readonly schedulerLeaderTtlMs: number;
  /** Lease reaper interval. */
  readonly reaperIntervalMs: number;
  /** Queued tasks considered per scheduling pass. */
  readonly maxTasksPerPass: number;
  /** Expired leases handled per reaper store call. */
  readonly reapBatchSize: number;
  /** Fallback poll interval of event streams when no wake-up arrives. */
  readonly eventPollIntervalMs: number;
  /** HQ version, reported by /healthz and status. */
  readonly version: string;
  /** Lifetime of a lease-scoped task credential (at most 15 minutes); renewed with the lease. */
  readonly taskCredentialTtlMs: number;
  /**
   * Projects whose tasks with a repository go through the safety pipeline when they succeed,
   * project → target branch (a task's own `pipeline` wins). Empty = per task only.
   */
  readonly pipelineProjects: Readonly<Record<string, string>>;
  /** How often audited events are sealed into the signed hash chain. */
  readonly auditSealIntervalMs: number;
  /** The request planner: plan defaults, allowed agents and guardrail maxima (`POST /api/v1/plans`). */
  readonly planner: PlannerConfig;
}

/** The longest a task credential may live. */
export const MAX_TASK_CREDENTIAL_TTL_MS = 15 * 60 * 1000;

/**
 * Defaults sized so that a dead node's tasks are requeued within 10 s: a lease lives 7 s and is
 * renewed every 2 s (three renewals before it lapses, enough under full CPU load), the reaper
 * looks every second, a node that has not sent a heartbeat for 7 s is lost. See
 * docs/decisions/0017-dead-node-detection.md.
 */
export const DEFAULT_HQ_CONFIG: HqConfig = {
  leaseTtlMs: 7_000,
  heartbeatIntervalMs: 2_000,
  nodeLostAfterMs: 7_000,
  nodeAccessTtlMs: 900_000,
  joinTokenTtlMs: 24 * 60 * 60 * 1000,
  schedulerIntervalMs: 1_000,
  schedulerLeaderTtlMs: 5_000,
  reaperIntervalMs: 1_000,
  maxTasksPerPass: 10_000,
  reapBatchSize: 500,
  eventPollIntervalMs: 1_000,
  version: '0.0.0',
  taskCredentialTtlMs: 10 * 60 * 1000,
  auditSealIntervalMs: 1_000,
  pipelineProjects: {},
  planner: DEFAULT_PLANNER_CONFIG,
};

/** Fill unset values with defaults and reject nonsensical ones. */
export function resolveHqConfig(partial: Partial<HqConfig> = {}): HqConfig {
  const config: HqConfig = {
    ...DEFAULT_HQ_CONFIG,
    ...stripUndefined(partial),
    planner: resolvePlannerConfig(partial.planner),
    pipelineProjects: { ...(partial.pipelineProjects ?? {}) },
  };
  const positive: Exclude<keyof HqConfig, 'planner' | 'pipelineProjects'>[] = [
    'leaseTtlMs',
    'heartbeatIntervalMs',
    'nodeLostAfterMs',
    'nodeAccessTtlMs',
    'joinTokenTtlMs',
    'schedulerIntervalMs',
    'schedulerLeaderTtlMs',
    'reaperIntervalMs',
    'maxTasksPerPass',
    'reapBatchSize',
    'eventPollIntervalMs',
    'taskCredentialTtlMs',
    'auditSealIntervalMs',
  ];
  for (const key of positive) {
    const value = config[key];
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
      throw new RangeError(`HQ config ${key} must be a positive number, got ${String(value)}`);
    }
  }
  if (config.taskCredentialTtlMs > MAX_TASK_CREDENTIAL_TTL_MS) {
    throw new RangeError(`HQ config taskCredentialTtlMs must be at most ${MAX_TASK_CREDENTIAL_TTL_MS} ms (15 minutes), got ${config.taskCredentialTtlMs}`);
  }
  for (const [project, branch] of Object.entries(config.pipelineProjects)) {
    const problem = branchNameProblem(branch);
    if (project.trim() === '' || problem !== null) throw new RangeError(`HQ config pipelineProjects: ${JSON.stringify(project)} → ${JSON.stringify(branch)}: ${problem ?? 'empty project name'}`);
  }
  return config;
}

function stripUndefined(partial: Partial<HqConfig>): Partial<HqConfig> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(partial)) if (v !== undefined) out[k] = v;
  return out;
}
