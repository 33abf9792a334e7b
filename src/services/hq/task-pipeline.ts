/**
 * Pipelines for agent tasks: when a task with `spec.pipeline` succeeds, its branch
 * `cortical/<taskId>` goes through the safety pipeline (PLAN → DEBATE_PLAN → SIMULATE → VERIFY →
 * PROMOTE) onto the task's target branch. The change is carried as one `apply_patch_t1` step
 * (the branch's diff against the golden base), Green is built from golden, VERIFY runs the
 * task's checks in a clean sleeve, and only PROMOTE (a compare-and-swap on golden) moves the
 * target branch. Runs start after the completion is answered; failures are logged and recorded.
 */
import { execFile } from 'node:child_process';
import { CorticalError } from '../../core/errors.js';
import type { EventType } from '../../core/events.js';
import type { PipelineRun } from '../../core/pipeline/pipeline-run.js';
import { MAX_ARG_BYTES } from '../../core/plan-steps.js';
import type { Logger } from '../../core/ports/logger.js';
import type { Task } from '../../core/task.js';
import { createBlueTarget, type BlueTargetSpec } from '../pipeline/blue-target.js';
import type { PipelineRequest } from '../pipeline/pipeline-request.js';
import { pipelineEvent } from '../pipeline/pipeline-stages.js';
import type { HqDeps } from './hq-deps.js';
import type { PipelineService } from './pipeline-service.js';

/** Told when HQ has accepted a task's successful completion (must not block or throw). */
export interface TaskSucceededListener {
  onTaskSucceeded(task: Task): void;
}

/** The reason of a run whose task branch adds nothing to the target branch. */
export const NOTHING_TO_PROMOTE = 'nothing to promote';
/** The run's intent is the task's prompt, cut to this many characters. */
export const TASK_INTENT_MAX_CHARS = 1000;
/** The pipeline events of a task's runs (newest first: the latest run). */
export const TASK_PIPELINE_EVENT_TYPES: readonly EventType[] = ['pipeline.started', 'pipeline.stage', 'pipeline.promoted', 'pipeline.aborted'];

type GitBranchTarget = Extract<BlueTargetSpec, { kind: 'git-branch' }>;

const GIT_TIMEOUT_MS = 120_000;
const GIT_MAX_BUFFER = 64 * 1024 * 1024;

export class TaskPipeline implements TaskSucceededListener {
  private readonly log: Logger;
  /** Runs in flight (settled() waits for them). */
  private readonly running = new Set<Promise<unknown>>();
  /** One run at a time per target branch: each reads golden after the one before promoted. */
  private readonly queues = new Map<string, Promise<unknown>>();

  constructor(
    private readonly deps: HqDeps,
    private readonly pipeline: PipelineService | null,
  ) {
    this.log = deps.logger.child({ component: 'task-pipeline' });
  }

  /** Starts the task's pipeline run in the background when the task has one; returns at once. */
  onTaskSucceeded(task: Task): void {
    if (task.state !== 'succeeded' || task.spec.pipeline === undefined) return;
    if (this.pipeline === null) {
      this.log.warn({ taskId: task.id }, 'task asks for a pipeline but this HQ has none configured; its branch is not promoted');
      return;
    }
    const key = `${task.spec.repo?.path ?? ''}\n${task.spec.pipeline.targetBranch}`;
    const before = this.queues.get(key) ?? Promise.resolve();
    const p: Promise<unknown> = before
      .then(() => this.promote(task))
      .then(
        (run) => {
          if (run !== null) this.log.info({ taskId: task.id, runId: run.id, state: run.state, error: run.error }, 'task pipeline run finished');
        },
        (e: unknown) => this.log.error({ taskId: task.id, err: e instanceof Error ? e.message : String(e) }, 'task pipeline run failed'),
      )
      .finally(() => {
        this.running.delete(p);
        if (this.queues.get(key) === p) this.queues.delete(key);
      });
    this.queues.set(key, p);
    this.running.add(p);
  }

  /** Resolves when no run started by `onTaskSucceeded` is in flight (tests, shutdown). */
  async settled(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
  }

  /**
   * Runs the pipeline for a succeeded task and returns the stored run (PROMOTED or ABORTED);
   * null when the task has no pipeline or this HQ none. Problems found before the runner starts
   * (no target branch, no task branch, an empty or oversized change, git failing) are recorded
   * as a run ABORTED at PLAN.
   */
  async promote(task: Task): Promise<PipelineRun | null> {
    const spec = task.spec.pipeline;
    if (spec === undefined || this.pipeline === null) return null;
    const repo = task.spec.repo?.path;
    const intent = `task ${task.id}: ${truncate(task.spec.prompt, TASK_INTENT_MAX_CHARS)}`;
    const target: GitBranchTarget = { kind: 'git-branch', repo: repo ?? '', branch: spec.targetBranch };
    const base = { intent, target, project: task.spec.project ?? null, taskId: task.id };
    if (repo === undefined) return this.recordAborted(base, null, 'the task has a pipeline but no repository');

    const golden = await revParse(repo, `refs/heads/${spec.targetBranch}`);
    if (golden === null) return this.recordAborted(base, null, `the target branch ${spec.targetBranch} does not exist in ${repo}`);
    const taskRef = `refs/heads/cortical/${task.id}`;
    if ((await revParse(repo, taskRef)) === null) return this.recordAborted(base, golden, `${NOTHING_TO_PROMOTE}: the task branch cortical/${task.id} does not exist`);
    let patch: string;
    try {
      patch = await git(repo, ['diff', '--binary', '--no-color', '--no-ext-diff', '--no-textconv', `${golden}...${taskRef}`, '--']);
    } catch (e) {
      return this.recordAborted(base, golden, `could not diff cortical/${task.id} against ${spec.targetBranch}: ${errorText(e)}`);
    }
    if (patch.trim() === '') return this.recordAborted(base, golden, NOTHING_TO_PROMOTE);
    if (patch.length > MAX_ARG_BYTES) {
      return this.recordAborted(base, golden, `the change is too large for one plan step (${patch.length} characters; at most ${MAX_ARG_BYTES})`);
    }

    const request: PipelineRequest = {
      intent,
      plan: { intent, steps: [{ tool: 'apply_patch_t1', args: { patch } }] },
      target,
      verify: { checks: spec.checks.map((c) => ({ name: c.name, command: c.command, ...(c.timeoutMs === undefined ? {} : { timeoutMs: c.timeoutMs }) })), policyWords: [] },
      project: base.project,
      taskId: task.id,
      expectedGolden: golden,
    };
    try {
      return await this.pipeline.runner.run(request);
    } catch (e) {
      // The runner records its own failures; this is one before it stored a run (e.g. an invalid request).
      return this.recordAborted(base, golden, `the pipeline could not start: ${errorText(e)}`);
    }
  }

  /** The latest pipeline run of a task (by its `pipeline.*` events), or null. */
  latestRun(taskId: string): Promise<PipelineRun | null> {
    return latestTaskPipelineRun(this.deps, taskId);
  }

  /** A run that never reached the runner: stored ABORTED at PLAN, with the runner's events. */
  private async recordAborted(
    base: { intent: string; target: GitBranchTarget; project: string | null; taskId: string },
    golden: string | null,
    reason: string,
  ): Promise<PipelineRun> {
    const { store, clock, ids } = this.deps;
    const id = ids.newId('pipe');
    const created = await store.createPipelineRun({
      id,
      intent: base.intent,
      project: base.project,
      spec: { plan: null, target: base.target, verify: null, tripcodePresented: false, taskId: base.taskId },
      nowMs: clock.nowMs(),
    });
    const run = await store.updatePipelineRun({
      id,
      expectedVersion: created.version,
      state: 'ABORTED',
      error: reason,
      evidence: { golden, failedStage: 'PLAN', greenKept: false },
      nowMs: clock.nowMs(),
    });
    const description = base.target.repo === '' ? '(no repository)' : createBlueTarget(base.target).description;
    await store.appendEvents({
      events: [
        pipelineEvent('pipeline.started', id, { target: description, golden }, base.taskId),
        pipelineEvent('pipeline.stage', id, { stage: 'PLAN', ok: false }, base.taskId),
        pipelineEvent('pipeline.aborted', id, { stage: 'PLAN', error: reason }, base.taskId),
      ],
      nowMs: clock.nowMs(),
    });
    this.log.info({ taskId: base.taskId, runId: id, reason }, 'task pipeline run aborted at PLAN');
    return run;
  }
}

/** The latest pipeline run of a task: the run its newest `pipeline.*` event names, or null. */
export async function latestTaskPipelineRun(deps: Pick<HqDeps, 'store'>, taskId: string): Promise<PipelineRun | null> {
  const [event] = await deps.store.readTaskEventsNewestFirst({ taskId, types: TASK_PIPELINE_EVENT_TYPES, limit: 1 });
  const runId = event?.data['runId'];
  if (typeof runId !== 'string') return null;
  return deps.store.getPipelineRun(runId);
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

function errorText(e: unknown): string {
  if (e instanceof CorticalError) return e.message;
  const err = e as { stderr?: unknown; message?: unknown };
  const stderr = typeof err.stderr === 'string' ? err.stderr.trim() : '';
  return stderr !== '' ? stderr.slice(0, 2000) : String(err.message ?? e);
}

/** git in `repo` with system git; a clean environment (no GIT_DIR from the host process). */
function git(repo: string, args: readonly string[]): Promise<string> {
  const env: NodeJS.ProcessEnv = { ...process.env, GIT_TERMINAL_PROMPT: '0', LC_ALL: 'C' };
  for (const k of ['GIT_DIR', 'GIT_WORK_TREE', 'GIT_INDEX_FILE', 'GIT_OBJECT_DIRECTORY', 'GIT_ALTERNATE_OBJECT_DIRECTORIES', 'GIT_EXTERNAL_DIFF']) delete env[k];
  return new Promise((resolve, reject) => {
    execFile('git', ['-C', repo, ...args], { env, encoding: 'utf8', maxBuffer: GIT_MAX_BUFFER, timeout: GIT_TIMEOUT_MS }, (err, stdout, stderr) => {
      if (err) reject(Object.assign(new Error(err.message), { stderr }));
      else resolve(stdout);
    });
  });
}

/** The commit a ref names, or null when there is none. */
async function revParse(repo: string, ref: string): Promise<string | null> {
  try {
    const out = (await git(repo, ['rev-parse', '--verify', '--quiet', '--end-of-options', `${ref}^{commit}`])).trim();
    return out === '' ? null : out;
  } catch {
    return null;
  }
}
