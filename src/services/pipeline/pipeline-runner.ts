import { ToolRateLimiter } from '../../core/tool-rate-limiter.js';
/**
 * The safety pipeline: PLAN → DEBATE_PLAN → SIMULATE → VERIFY → PROMOTE, any failure → ABORTED.
 * Green is built from the golden base (Blue at the run's start) under `<workRoot>/workspaces/`;
 * Blue is changed only by PROMOTE, through BlueTarget.promote (a compare-and-swap on golden).
 */
import { appendFile, mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Clock } from '../../core/clock.js';
import { CorticalError } from '../../core/errors.js';
import type { IdGenerator } from '../../core/ids.js';
import type { PipelineRun, PipelineState } from '../../core/pipeline/pipeline-run.js';
import { canMove } from '../../core/pipeline/pipeline-run.js';
import type { Logger } from '../../core/ports/logger.js';
import type { PipelineMetricsSink } from '../../core/ports/pipeline-metrics.js';
import type { Runtime } from '../../core/ports/runtime.js';
import type { Snapshots } from '../../core/ports/snapshots.js';
import type { Store } from '../../core/ports/store.js';
import type { SafetyPolicy } from '../../core/safety-policy.js';
import type { SandboxSpec } from '../../core/sandbox.js';
import type { Judge, Reviewer } from '../../core/debate/debate-types.js';
import { runDebate } from '../../core/debate/run-debate.js';
import { createBlueTarget, type BlueTarget, type BlueTargetSpec } from './blue-target.js';
import { commitGreen } from './git-branch-target.js';
import { executePlan, type ExecResult } from './plan-executor.js';
import { parsePipelineRequest, type PipelineRequest } from './pipeline-request.js';
import {
  DEFAULT_KEEP_FAILED_GREENS,
  debateSubject,
  diskFreeMb,
  execLogText,
  greenDirFor,
  markFailedGreen,
  pipelineEvent,
  planStage,
  postconditions,
  preconditions,
  pruneFailedGreens,
  reclaimTree,
  runTaskId,
  stepDecisionEvents,
} from './pipeline-stages.js';
import { verifyGreen, type VerifyResult } from './verifier.js';

export type PipelineStore = Pick<Store, 'createPipelineRun' | 'getPipelineRun' | 'updatePipelineRun' | 'appendEvents'>;

export interface PipelineHooks {
  /** Called as each SIMULATE step starts (fault injection: e.g. a tripcode LOCKDOWN during apply). */
  readonly duringSimulate?: ((info: { runId: string; index: number; tool: string }) => void | Promise<void>) | undefined;
}

export interface PipelineRunnerOptions {
  readonly store: PipelineStore;
  readonly clock: Clock;
  readonly ids: IdGenerator;
  readonly logger: Logger;
  readonly runtime: Runtime;
  readonly snapshots: Snapshots;
  readonly metrics: PipelineMetricsSink;
  readonly policy: () => SafetyPolicy;
  readonly reviewers: readonly [Reviewer, Reviewer];
  readonly judge: Judge;
  /** Where Green directories live (`<workRoot>/workspaces/pipeline-<runId>`); the snapshots adapter's work dir. */
  readonly workRoot: string;
  readonly isLockdown: () => Promise<boolean>;
  /** Longest a SIMULATE step may run (default 10 minutes). */
  readonly stepTimeoutMs?: number | undefined;
  /** Sleeves of SIMULATE and VERIFY checks (default: the runtime's, network none). */
  readonly sandbox?: SandboxSpec | undefined;
  /** Failed runs' Green directories kept for diagnosis (default 3). */
  readonly keepFailedGreens?: number | undefined;
  readonly hooks?: PipelineHooks | undefined;
}

/** What `simulate` (a dry run) reports; nothing is stored and no Blue is touched. */
export interface SimulateReport {
  readonly golden: string;
  readonly planCheck: ReturnType<typeof planStage>;
  readonly exec: ExecResult | null;
  readonly ok: boolean;
  readonly error: string | null;
}

class Abort extends Error {
  constructor(
    readonly stage: PipelineState,
    message: string,
  ) {
    super(message);
  }
}

const DEFAULT_STEP_TIMEOUT_MS = 10 * 60_000;

export class PipelineRunner {
  /** The policy's per-tool rate limits and cooldowns, across runs (rebuilt when the policy changes). */
  private limiter: { readonly policy: SafetyPolicy; readonly limiter: ToolRateLimiter } | null = null;
  private readonly log: Logger;

  constructor(private readonly o: PipelineRunnerOptions) {
    this.log = o.logger.child({ component: 'pipeline' });
  }

  /** Every stage, to PROMOTED or ABORTED. */
  async run(request: PipelineRequest, signal?: AbortSignal): Promise<PipelineRun> {
    const applied = await this.apply(request, signal);
    if (applied.state !== 'VERIFY') return applied;
    const verified = await this.verify(applied.id, signal);
    if (verified.state !== 'PROMOTE') return verified;
    return this.promote(applied.id);
  }

  /** PLAN, DEBATE_PLAN and SIMULATE; the run is left at VERIFY (or ABORTED). */
  async apply(input: PipelineRequest, signal?: AbortSignal): Promise<PipelineRun> {
    const request = parsePipelineRequest(input);
    const target = createBlueTarget(request.target);
    const id = this.o.ids.newId('pipe');
    let run = await this.o.store.createPipelineRun({
      id,
      intent: request.intent ?? request.plan.intent,
      project: request.project ?? null,
      spec: {
        plan: request.plan,
        target: request.target,
        verify: request.verify,
        tripcodePresented: request.tripcodePresented ?? false,
        ...(request.taskId === undefined ? {} : { taskId: request.taskId }),
      },
      nowMs: this.o.clock.nowMs(),
    });
    const taskId = request.taskId ?? null;
    const greenDir = greenDirFor(this.o.workRoot, id);
    const policy = this.o.policy();
    try {
      // PLAN
      run = await this.move(run, 'PLAN', {});
      const golden = await target.golden();
      await this.o.store.appendEvents({ events: [pipelineEvent('pipeline.started', id, { target: target.description, golden }, taskId)], nowMs: this.o.clock.nowMs() });
      if (request.expectedGolden !== undefined && request.expectedGolden !== golden) {
        throw new Abort('PLAN', `Blue moved: the plan was made against ${request.expectedGolden}, Blue is now ${golden}`);
      }
      const lockdownAtPlan = await this.o.isLockdown();
      const check = planStage(policy, request.plan, greenDir, lockdownAtPlan);
      this.o.metrics.planChecked(check.typeable);
      await this.o.store.appendEvents({ events: stepDecisionEvents(id, check, taskId), nowMs: this.o.clock.nowMs() });
      run = await this.patch(run, { golden, greenDir, planCheck: check, lockdownAtPlan });
      if (!check.allowed) throw new Abort('PLAN', `plan refused: ${check.problems.join('; ') || 'not allowed'}`);
      await this.stageEvent(run, 'PLAN', true);

      // DEBATE_PLAN
      run = await this.move(run, 'DEBATE_PLAN', {});
      const debate = await runDebate({ subject: debateSubject(request, check), reviewers: this.o.reviewers, judge: this.o.judge });
      this.o.metrics.debateFinished(debate.agreed, debate.decision);
      run = await this.patch(run, { debate: { decision: debate.decision, agreed: debate.agreed, rounds: debate.rounds, score: debate.score, reason: debate.reason, reviews: debate.reviews, log: debate.log } });
      if (debate.decision !== 'ACCEPT') throw new Abort('DEBATE_PLAN', `debate ${debate.decision}: ${debate.reason}`);
      await this.stageEvent(run, 'DEBATE_PLAN', true);

      // SIMULATE
      run = await this.move(run, 'SIMULATE', {});
      await mkdir(join(this.o.workRoot, 'workspaces'), { recursive: true });
      await target.checkoutGreen(golden, greenDir);
      await appendFile(join(greenDir, '.git', 'info', 'exclude'), '\n.cstack/\n').catch(() => undefined);
      // Every Green is snapshotted before SIMULATE (the policy demands it for T2+): a catastrophic
      // fault (a crash, a limit, a stuck step) reverts Green to it.
      const snapshot = await this.o.snapshots.snapshot(greenDir, `pipeline ${id}: golden before SIMULATE`);
      run = await this.o.store.updatePipelineRun({ id, expectedVersion: run.version, snapshotId: snapshot.id, nowMs: this.o.clock.nowMs() });
      const pre = preconditions({
        policy,
        check,
        diskFreeMb: await diskFreeMb(greenDir),
        snapshotId: snapshot.id,
        tripcodePresented: request.tripcodePresented ?? false,
        lockdown: await this.o.isLockdown(),
      });
      run = await this.patch(run, { preconditions: pre });
      if (!pre.ok) throw new Abort('SIMULATE', `preconditions failed: ${pre.checks.filter((c) => !c.ok).map((c) => `${c.name} (${c.detail})`).join('; ')}`);
      const exec = await this.simulateIn(id, target, golden, greenDir, request, check, signal);
      this.o.metrics.simulateFinished(exec.durationMs / 1000, exec.ok);
      for (const s of exec.steps) if (!s.ok) this.o.metrics.toolError(s.tier);
      let reverted: string | null = null;
      if (exec.catastrophic) {
        await this.o.snapshots.revert(greenDir, snapshot.id).then(() => (reverted = snapshot.id), () => undefined);
      }
      run = await this.patch(run, {
        simulate: { ok: exec.ok, error: exec.error, failedStep: exec.failedStep, catastrophic: exec.catastrophic, durationMs: exec.durationMs, steps: exec.steps, toolCalls: exec.toolCalls, greenRevertedTo: reverted },
        diff: exec.diff,
      });
      if (!exec.ok) throw new Abort('SIMULATE', exec.error ?? 'a step failed');
      if (policy.conditions.requireDryRunDiff && exec.diff === null) throw new Abort('SIMULATE', 'no dry-run diff could be made; the policy requires one');
      const greenCommit = await commitGreen(greenDir, `pipeline ${id}: ${(request.intent ?? request.plan.intent) || 'change'}`);
      run = await this.patch(run, { greenCommit });
      await this.stageEvent(run, 'SIMULATE', true);
      return await this.move(run, 'VERIFY', {});
    } catch (e) {
      return await this.abort(run, e, greenDir);
    }
  }

  /** VERIFY a run left at VERIFY by `apply`; moves it to PROMOTE or ABORTED. */
  async verify(runId: string, signal?: AbortSignal): Promise<PipelineRun> {
    let run = await this.load(runId, 'VERIFY');
    const greenDir = String(run.evidence['greenDir']);
    const asked = (run.spec as unknown as { verify: PipelineRequest['verify'] }).verify;
    const policy = this.o.policy();
    // The policy's health time is the floor: a service is watched at least that long.
    const spec = { verify: asked.service ? { ...asked, service: { ...asked.service, healthGreenSec: Math.max(asked.service.healthGreenSec, policy.conditions.healthGreenSec) } } : asked };
    const workDir = join(this.o.workRoot, 'verify', runId);
    try {
      await rm(workDir, { recursive: true, force: true });
      await mkdir(join(this.o.workRoot, 'verify'), { recursive: true });
      let result: VerifyResult;
      try {
        result = await verifyGreen({
          runtime: this.o.runtime,
          greenDir,
          workDir,
          spec: spec.verify,
          ...(this.o.sandbox ? { sandbox: this.o.sandbox } : {}),
          ...(signal ? { signal } : {}),
          onProbe: (ok) => this.o.metrics.healthProbe(ok),
        });
      } finally {
        await rm(workDir, { recursive: true, force: true });
      }
      this.o.metrics.verifyFinished(result.passed);
      const healthSec = result.service === null ? policy.conditions.healthGreenSec : result.service.greenForMs / 1000;
      const logText = [execLogText(run.evidence['simulate'] as { steps?: readonly { outputTail: string }[] } | undefined), ...result.checks.map((c) => c.outputTail)].join('\n');
      const post = postconditions({ policy, verifyPassed: result.passed, healthGreenForSec: healthSec, policyViolations: 0, logText, extraWords: spec.verify.policyWords });
      run = await this.patch(run, { verify: result, postconditions: post });
      if (!result.passed) throw new Abort('VERIFY', `verify failed: ${result.reason ?? 'a check failed'}`);
      if (!post.ok) throw new Abort('VERIFY', `postconditions failed: ${post.checks.filter((c) => !c.ok).map((c) => `${c.name} (${c.detail})`).join('; ')}`);
      await this.stageEvent(run, 'VERIFY', true);
      return await this.move(run, 'PROMOTE', {});
    } catch (e) {
      return await this.abort(run, e, greenDir);
    }
  }

  /** PROMOTE a verified run: Blue becomes Green's commit, only if Blue is still golden and no lockdown is on. */
  async promote(runId: string): Promise<PipelineRun> {
    let run = await this.load(runId, 'PROMOTE');
    const greenDir = String(run.evidence['greenDir']);
    const golden = String(run.evidence['golden']);
    const target = createBlueTarget((run.spec as unknown as { target: BlueTargetSpec }).target);
    try {
      if (await this.o.isLockdown()) throw new Abort('PROMOTE', 'lockdown is on: promotion refused, Blue left unchanged');
      let version: string;
      try {
        version = await target.promote({ golden, greenDir });
      } catch (e) {
        this.o.metrics.promoteFinished(false);
        throw new Abort('PROMOTE', `promotion failed: ${(e as Error).message}`);
      }
      this.o.metrics.promoteFinished(true);
      run = await this.move(run, 'PROMOTED', { promotedVersion: version });
      await this.o.store.appendEvents({
        events: [
          pipelineEvent('pipeline.stage', runId, { stage: 'PROMOTE', ok: true }, runTaskId(run)),
          pipelineEvent('pipeline.promoted', runId, { golden, version, target: target.description }, runTaskId(run)),
        ],
        nowMs: this.o.clock.nowMs(),
      });
      await rm(greenDir, { recursive: true, force: true });
      return run;
    } catch (e) {
      return await this.abort(run, e, greenDir);
    }
  }

  /** A dry run: PLAN and SIMULATE in a throwaway Green; stores nothing, promotes nothing. */
  async simulate(input: PipelineRequest, signal?: AbortSignal): Promise<SimulateReport> {
    const request = parsePipelineRequest(input);
    const target = createBlueTarget(request.target);
    const id = this.o.ids.newId('dry');
    const greenDir = greenDirFor(this.o.workRoot, id);
    const golden = await target.golden();
    const check = planStage(this.o.policy(), request.plan, greenDir, await this.o.isLockdown());
    this.o.metrics.planChecked(check.typeable);
    if (!check.allowed) return { golden, planCheck: check, exec: null, ok: false, error: `plan refused: ${check.problems.join('; ')}` };
    try {
      await mkdir(join(this.o.workRoot, 'workspaces'), { recursive: true });
      await target.checkoutGreen(golden, greenDir);
      const exec = await this.simulateIn(id, target, golden, greenDir, request, check, signal);
      this.o.metrics.simulateFinished(exec.durationMs / 1000, exec.ok);
      return { golden, planCheck: check, exec, ok: exec.ok, error: exec.error };
    } finally {
      await rm(greenDir, { recursive: true, force: true });
    }
  }

  /** Points Blue back at an earlier version. */
  async rollback(spec: BlueTargetSpec, version: string): Promise<void> {
    const target = createBlueTarget(spec);
    const from = await target.golden();
    await target.rollbackTo(version);
    await this.o.store.appendEvents({ events: [{ type: 'pipeline.rolled-back', taskId: null, nodeId: null, data: { target: target.description, from, to: version } }], nowMs: this.o.clock.nowMs() });
  }

  private rateLimiter(): ToolRateLimiter {
    const policy = this.o.policy();
    if (this.limiter?.policy !== policy) this.limiter = { policy, limiter: new ToolRateLimiter(policy.tools) };
    return this.limiter.limiter;
  }

  private async simulateIn(id: string, target: BlueTarget, golden: string, greenDir: string, request: PipelineRequest, check: ReturnType<typeof planStage>, signal?: AbortSignal): Promise<ExecResult> {
    try {
      return await this.execute(id, target, golden, greenDir, request, check, signal);
    } finally {
      await reclaimTree(greenDir);
    }
  }

  private execute(id: string, target: BlueTarget, golden: string, greenDir: string, request: PipelineRequest, check: ReturnType<typeof planStage>, signal?: AbortSignal): Promise<ExecResult> {
    return executePlan({
      runtime: this.o.runtime,
      greenDir,
      plan: request.plan,
      planCheck: check,
      stepTimeoutMs: this.o.stepTimeoutMs ?? DEFAULT_STEP_TIMEOUT_MS,
      sandbox: this.o.sandbox,
      signal,
      snapshotForTierGe: this.o.policy().plan.snapshotForTierGe,
      resetGreen: async () => {
        await rm(greenDir, { recursive: true, force: true });
        await target.checkoutGreen(golden, greenDir);
      },
      admit: (step) => {
        const decision = this.rateLimiter().take(step.tool, this.o.clock.nowMs());
        return decision.ok ? null : `${decision.reason}; retry in ${Math.ceil(decision.retryAfterMs / 1000)} s`;
      },
      onStep: async (e) => {
        if (e.phase === 'started') await this.o.hooks?.duringSimulate?.({ runId: id, index: e.index, tool: e.tool });
      },
    });
  }

  private async load(runId: string, state: PipelineState): Promise<PipelineRun> {
    const run = await this.o.store.getPipelineRun(runId);
    if (run === null) throw new CorticalError('NOT_FOUND', `pipeline run ${runId} not found`);
    if (run.state !== state) throw new CorticalError('INVALID_TRANSITION', `pipeline run ${runId} is ${run.state}; this step needs it at ${state}`);
    return run;
  }

  private async move(run: PipelineRun, to: PipelineState, evidence: Record<string, unknown>): Promise<PipelineRun> {
    if (!canMove(run.state, to)) throw new CorticalError('INVALID_TRANSITION', `pipeline run ${run.id} cannot move from ${run.state} to ${to}`);
    return this.o.store.updatePipelineRun({ id: run.id, expectedVersion: run.version, state: to, evidence, nowMs: this.o.clock.nowMs() });
  }

  private patch(run: PipelineRun, evidence: Record<string, unknown>): Promise<PipelineRun> {
    return this.o.store.updatePipelineRun({ id: run.id, expectedVersion: run.version, evidence, nowMs: this.o.clock.nowMs() });
  }

  private stageEvent(run: PipelineRun, stage: PipelineState, ok: boolean): Promise<void> {
    return this.o.store.appendEvents({ events: [pipelineEvent('pipeline.stage', run.id, { stage, ok }, runTaskId(run))], nowMs: this.o.clock.nowMs() });
  }

  private async abort(read: PipelineRun, e: unknown, greenDir: string): Promise<PipelineRun> {
    const run = (await this.o.store.getPipelineRun(read.id)) ?? read;
    const stage: PipelineState = e instanceof Abort ? e.stage : run.state;
    const message = e instanceof Error ? e.message : String(e);
    if (!(e instanceof Abort)) this.log.error({ runId: run.id, stage, err: message }, 'pipeline stage failed');
    const keep = this.o.keepFailedGreens ?? DEFAULT_KEEP_FAILED_GREENS;
    const kept = keep > 0 && (await markFailedGreen(greenDir, `${stage}: ${message}`));
    if (!kept) await rm(greenDir, { recursive: true, force: true });
    await pruneFailedGreens(this.o.workRoot, keep).catch(() => 0);
    const aborted = await this.o.store.updatePipelineRun({
      id: run.id,
      expectedVersion: run.version,
      state: 'ABORTED',
      error: message,
      evidence: { failedStage: stage, greenKept: kept },
      nowMs: this.o.clock.nowMs(),
    });
    await this.o.store.appendEvents({
      events: [pipelineEvent('pipeline.stage', run.id, { stage, ok: false }, runTaskId(run)), pipelineEvent('pipeline.aborted', run.id, { stage, error: message }, runTaskId(run))],
      nowMs: this.o.clock.nowMs(),
    });
    this.log.info({ runId: run.id, stage, error: message }, 'pipeline run aborted');
    return aborted;
  }
}
