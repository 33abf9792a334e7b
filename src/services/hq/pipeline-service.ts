import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { CorticalError } from '../../core/errors.js';
import type { Judge, Reviewer } from '../../core/debate/debate-types.js';
import { createHeuristicReviewers } from '../../core/debate/heuristic-reviewers.js';
import { RubricJudge } from '../../core/debate/judge-rubric.js';
import type { Page, PageRequest } from '../../core/page.js';
import type { PipelineRun } from '../../core/pipeline/pipeline-run.js';
import type { Plan } from '../../core/plan-steps.js';
import type { PipelineMetricsSink } from '../../core/ports/pipeline-metrics.js';
import type { Runtime } from '../../core/ports/runtime.js';
import type { Snapshots } from '../../core/ports/snapshots.js';
import { DEFAULT_SAFETY_POLICY, type SafetyPolicy } from '../../core/safety-policy.js';
import type { SandboxSpec } from '../../core/sandbox.js';
import { createBlueTarget, type BlueTargetSpec } from '../pipeline/blue-target.js';
import type { PipelineRequest, PipelineVerifySpec } from '../pipeline/pipeline-request.js';
import { PipelineRunner, type PipelineHooks, type SimulateReport } from '../pipeline/pipeline-runner.js';
import type { HqDeps } from './hq-deps.js';

/** What HQ needs to run safety pipelines on its host (supplied by `src/main`). */
export interface PipelineSetup {
  readonly runtime: Runtime;
  readonly snapshots: Snapshots;
  /** Green and verify directories live under it (`workspaces/`, `verify/`). */
  readonly workRoot: string;
  /** The policy in force; default: the built-in default policy. */
  readonly policy?: (() => SafetyPolicy) | undefined;
  /** Two reviewers for the debate gate; default: the heuristic pair (offline). */
  readonly reviewers?: readonly [Reviewer, Reviewer] | undefined;
  readonly judge?: Judge | undefined;
  /** Blue for Bridge calls and for requests that name no target. */
  readonly defaultTarget?: BlueTargetSpec | null | undefined;
  /** Checks for Bridge calls (the proto's plan carries none). */
  readonly defaultVerify?: PipelineVerifySpec | undefined;
  readonly stepTimeoutMs?: number | undefined;
  readonly sandbox?: SandboxSpec | undefined;
  readonly hooks?: PipelineHooks | undefined;
}

/** A Blue version captured by `snapshotBlue` and restored by `rollbackSnapshot`: `blue:<version>`. */
const BLUE_SNAPSHOT = /^blue:([A-Za-z0-9._-]{1,200})$/;

/**
 * The safety pipeline as HQ offers it (REST, Bridge, tripcodes): runs, Blue snapshots and
 * rollbacks of the default target, and the reimage of Green workspaces to the golden base.
 */
export class PipelineService {
  readonly runner: PipelineRunner;
  readonly defaultTarget: BlueTargetSpec | null;
  readonly defaultVerify: PipelineVerifySpec;

  constructor(
    private readonly deps: HqDeps,
    private readonly setup: PipelineSetup,
    metrics: PipelineMetricsSink,
  ) {
    this.defaultTarget = setup.defaultTarget ?? null;
    this.defaultVerify = setup.defaultVerify ?? { checks: [], policyWords: [] };
    this.runner = new PipelineRunner({
      store: deps.store,
      clock: deps.clock,
      ids: deps.ids,
      logger: deps.logger,
      runtime: setup.runtime,
      snapshots: setup.snapshots,
      metrics,
      policy: setup.policy ?? (() => DEFAULT_SAFETY_POLICY),
      reviewers: setup.reviewers ?? createHeuristicReviewers(),
      judge: setup.judge ?? new RubricJudge(),
      workRoot: setup.workRoot,
      isLockdown: async () => (await deps.store.getLockdown()).on,
      stepTimeoutMs: setup.stepTimeoutMs,
      sandbox: setup.sandbox,
      hooks: setup.hooks,
    });
  }

  /** The request for a bare plan (Bridge): the default target and checks. */
  requestFor(plan: Plan, extra: { tripcodePresented?: boolean } = {}): PipelineRequest {
    return { plan, intent: plan.intent, target: this.target(), verify: this.defaultVerify, ...extra };
  }

  run(request: PipelineRequest, signal?: AbortSignal): Promise<PipelineRun> {
    return this.runner.run(request, signal);
  }

  simulate(request: PipelineRequest, signal?: AbortSignal): Promise<SimulateReport> {
    return this.runner.simulate(request, signal);
  }

  async get(id: string): Promise<PipelineRun> {
    const run = await this.deps.store.getPipelineRun(id);
    if (run === null) throw new CorticalError('NOT_FOUND', `pipeline run ${id} not found`, { runId: id });
    return run;
  }

  list(page: PageRequest): Promise<Page<PipelineRun>> {
    return this.deps.store.listPipelineRuns(page);
  }

  /** Record Blue's current version of the default target as a snapshot id (`blue:<version>`). */
  async snapshotBlue(): Promise<string> {
    return `blue:${await createBlueTarget(this.target()).golden()}`;
  }

  /** Point the default target's Blue back at a snapshot taken by `snapshotBlue`. */
  async rollbackSnapshot(snapshotId: string): Promise<string> {
    const m = BLUE_SNAPSHOT.exec(snapshotId);
    if (m === null) throw new CorticalError('VALIDATION_FAILED', `snapshot id ${JSON.stringify(snapshotId)} is not a Blue snapshot; expected blue:<version> as returned by Snapshot`, { snapshotId });
    await this.runner.rollback(this.target(), m[1]!);
    return `Blue is ${m[1]!} again`;
  }

  /**
   * Reset Green state to the golden base: every Green workspace (and verify checkout) is removed,
   * so the next run checks out Blue afresh; a run caught in SIMULATE or VERIFY aborts. Blue is not
   * touched.
   */
  async reimageToGolden(): Promise<string> {
    const dir = join(this.setup.workRoot, 'workspaces');
    const names = await readdir(dir).catch(() => [] as string[]);
    let removed = 0;
    for (const name of names) {
      if (!name.startsWith('pipeline-')) continue;
      await rm(join(dir, name), { recursive: true, force: true });
      removed += 1;
    }
    await rm(join(this.setup.workRoot, 'verify'), { recursive: true, force: true });
    return `removed ${removed} Green workspace${removed === 1 ? '' : 's'}; the next run starts from the golden base`;
  }

  private target(): BlueTargetSpec {
    if (this.defaultTarget === null) throw new CorticalError('UNAVAILABLE', 'no pipeline target is configured on this HQ (CORTICAL_PIPELINE_TARGET)');
    return this.defaultTarget;
  }
}
