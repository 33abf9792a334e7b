import { DEFAULT_SLEEVE_LIMITS } from '../../core/sandbox.js';
import type { Task, TaskSpec } from '../../core/task.js';
import { DEFAULT_LOOP_MAX_ITERATIONS, type TaskCreateParsed } from '../../contract/task-schemas.js';
import type { HqDeps } from './hq-deps.js';
import { notify } from './notify.js';

/**
 * The spec of a validated create request. `maxIterations`: absent → 1 for `once`,
 * DEFAULT_LOOP_MAX_ITERATIONS for `loop`; explicit null → unlimited.
 */
export function toTaskSpec(req: TaskCreateParsed): TaskSpec {
  const maxIterations =
    req.maxIterations === undefined ? (req.mode === 'loop' ? DEFAULT_LOOP_MAX_ITERATIONS : 1) : req.maxIterations;
  return {
    prompt: req.prompt,
    agent: req.agent,
    mode: req.mode,
    requires: [...new Set(req.requires)],
    repo: req.repo === null ? null : { path: req.repo.path, baseRef: req.repo.baseRef },
    until: req.until,
    guardrails: {
      maxIterations,
      timeoutMs: req.timeoutMs,
      iterationTimeoutMs: req.iterationTimeoutMs,
      budgetTokens: req.budgetTokens,
      budgetUsd: req.budgetUsd,
      stuckAfterIterations: req.stuckAfterIterations,
    },
    priority: req.priority,
    maxAttempts: req.maxAttempts,
    retryBackoffMs: req.retryBackoffMs,
    labels: { ...req.labels },
    ...(req.tier === undefined ? {} : { tier: req.tier }),
    project: req.project,
    model: req.model,
    fallbacks: req.fallbacks.map((f) => ({ agent: f.agent, model: f.model })),
    ...(req.pipeline === undefined ? {} : { pipeline: { targetBranch: req.pipeline.targetBranch, checks: req.pipeline.checks.map((c) => ({ ...c })) } }),
    sandbox: {
      network: { mode: req.network ?? (req.allow.length > 0 ? 'allowlist' : 'none'), allow: [...new Set(req.allow)] },
      limits: {
        memoryMb: pick(req.memoryMb, DEFAULT_SLEEVE_LIMITS.memoryMb),
        cpuPercent: pick(req.cpuPercent, DEFAULT_SLEEVE_LIMITS.cpuPercent),
        maxProcesses: pick(req.maxProcesses, DEFAULT_SLEEVE_LIMITS.maxProcesses),
        maxFileSizeMb: pick(req.maxFileSizeMb, DEFAULT_SLEEVE_LIMITS.maxFileSizeMb),
        maxOpenFiles: pick(req.maxOpenFiles, DEFAULT_SLEEVE_LIMITS.maxOpenFiles),
        diskQuotaMb: pick(req.diskQuotaMb, DEFAULT_SLEEVE_LIMITS.diskQuotaMb),
      },
    },
  };
}

/** undefined → the default; null → unlimited. */
function pick(value: number | null | undefined, fallback: number | null): number | null {
  return value === undefined ? fallback : value;
}

/** Create a queued task and wake the scheduler. */
export async function submitTask(deps: HqDeps, req: TaskCreateParsed, actor: string): Promise<Task> {
  const task = await deps.store.createTask({
    id: deps.ids.newId('task'),
    spec: withProjectPipeline(toTaskSpec(req), deps.config.pipelineProjects),
    nowMs: deps.clock.nowMs(),
    actor,
  });
  deps.logger.debug({ taskId: task.id, agent: task.spec.agent, actor }, 'task submitted');
  await notify(deps, ['tasks.queued'], { taskId: task.id });
  return task;
}

/**
 * A task of a project with a pipeline (HQ's `pipelineProjects`) that has a repository and no
 * pipeline of its own gets the project's: its `until` check becomes the one check.
 */
export function withProjectPipeline(spec: TaskSpec, projects: Readonly<Record<string, string>>): TaskSpec {
  const branch = projects[spec.project ?? 'default'];
  if (spec.pipeline !== undefined || spec.repo === null || branch === undefined) return spec;
  return { ...spec, pipeline: { targetBranch: branch, checks: spec.until !== null ? [{ name: 'until', command: spec.until }] : [] } };
}
