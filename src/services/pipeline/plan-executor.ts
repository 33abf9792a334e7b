import type { Plan, CapabilityTier } from '../../core/plan-steps.js';
import { tierAtLeast } from '../../core/plan-steps.js';
import type { Runtime } from '../../core/ports/runtime.js';
import type { SnapshotInfo, Snapshots } from '../../core/ports/snapshots.js';
import type { SandboxSpec } from '../../core/sandbox.js';
import { GreenBaseline, type GreenDiff } from './green-diff.js';
import { runTool } from './plan-tools.js';

/** What the executor needs of a plan check (core's PlanCheck has it). */
export interface ExecPlanCheck {
  readonly needsSnapshot: boolean;
  readonly steps: readonly { readonly index: number; readonly tool: string; readonly tier: CapabilityTier; readonly allowed: boolean }[];
}

export interface ExecutedStep {
  readonly index: number;
  readonly tool: string;
  readonly tier: CapabilityTier;
  readonly ok: boolean;
  readonly exitCode: number | null;
  readonly durationMs: number;
  readonly outputTail: string;
  readonly error: string | null;
}

export interface ExecResult {
  readonly ok: boolean;
  readonly steps: readonly ExecutedStep[];
  /** The step that failed (the run stopped there), or null. */
  readonly failedStep: number | null;
  readonly error: string | null;
  /** A limit, timeout or signal ended a step: Green must be reverted or recreated. */
  readonly catastrophic: boolean;
  /** Taken before the first step at or above the snapshot tier. */
  readonly snapshot: SnapshotInfo | null;
  /** Green against the golden base (untracked files included); null when it could not be made. */
  readonly diff: GreenDiff | null;
  /** Every tool call of the plan, with its tier and whether it ran. */
  readonly toolCalls: readonly { readonly index: number; readonly tool: string; readonly tier: CapabilityTier; readonly ran: boolean }[];
  readonly durationMs: number;
}

export interface ExecutePlanInput {
  readonly runtime: Runtime;
  readonly greenDir: string;
  readonly plan: Plan;
  readonly planCheck: ExecPlanCheck;
  readonly stepTimeoutMs: number;
  readonly sandbox?: SandboxSpec | undefined;
  readonly signal?: AbortSignal | undefined;
  readonly snapshots?: Snapshots | undefined;
  /** The tier from which a snapshot is taken first (policy.plan.snapshotForTierGe; default T2). */
  readonly snapshotForTierGe?: CapabilityTier | undefined;
  /** Makes Green the golden base again (factory_reset_t3). */
  readonly resetGreen?: (() => Promise<void>) | undefined;
  /** Asked before each step runs: a reason refuses it (the step fails; e.g. a rate limit or cooldown). */
  readonly admit?: ((step: { readonly index: number; readonly tool: string; readonly tier: CapabilityTier }) => string | null) | undefined;
  /** Called before each step (started) and after it (done). */
  readonly onStep?: ((event: { readonly phase: 'started' | 'done'; readonly index: number; readonly tool: string; readonly tier: CapabilityTier; readonly step?: ExecutedStep }) => void | Promise<void>) | undefined;
}

/**
 * SIMULATE: runs a checked plan's steps one by one in Green only. The first failing step stops
 * the run. Nothing outside `greenDir` is written (file tools refuse escaping paths; commands run in
 * sleeves whose workspace is Green).
 */
export async function executePlan(input: ExecutePlanInput): Promise<ExecResult> {
  const started = Date.now();
  const snapshotTier = input.snapshotForTierGe ?? 'T2';
  const tiers = input.plan.steps.map((s, i) => input.planCheck.steps.find((c) => c.index === i)?.tier ?? 'T3');
  const executed: ExecutedStep[] = [];
  let snapshot: SnapshotInfo | null = null;
  let failedStep: number | null = null;
  let error: string | null = null;
  let catastrophic = false;
  const baseline = await GreenBaseline.take(input.greenDir);
  try {
    for (const [index, step] of input.plan.steps.entries()) {
      const tier = tiers[index] ?? 'T3';
      const check = input.planCheck.steps.find((c) => c.index === index);
      if (check === undefined || !check.allowed || check.tool !== step.tool) {
        failedStep = index;
        error = `step ${index} (${step.tool}) was not allowed by the plan check`;
        executed.push({ index, tool: step.tool, tier, ok: false, exitCode: null, durationMs: 0, outputTail: '', error });
        break;
      }
      if (input.signal?.aborted === true) {
        failedStep = index;
        error = 'aborted: the run was cancelled';
        break;
      }
      if (snapshot === null && input.snapshots !== undefined && tierAtLeast(tier, snapshotTier)) {
        snapshot = await input.snapshots.snapshot(input.greenDir, `before step ${index} (${step.tool}, ${tier})`);
      }
      const refused = input.admit?.({ index, tool: step.tool, tier }) ?? null;
      if (refused !== null) {
        failedStep = index;
        error = `step ${index} (${step.tool}) refused: ${refused}`;
        executed.push({ index, tool: step.tool, tier, ok: false, exitCode: null, durationMs: 0, outputTail: '', error });
        break;
      }
      await input.onStep?.({ phase: 'started', index, tool: step.tool, tier });
      const t0 = Date.now();
      const outcome = await runTool(
        { runtime: input.runtime, greenDir: input.greenDir, stepTimeoutMs: input.stepTimeoutMs, sandbox: input.sandbox, signal: input.signal, resetGreen: input.resetGreen },
        step.tool,
        step.args,
      );
      const done: ExecutedStep = {
        index,
        tool: step.tool,
        tier,
        ok: outcome.ok,
        exitCode: outcome.exitCode,
        durationMs: Date.now() - t0,
        outputTail: outcome.outputTail,
        error: outcome.error,
      };
      executed.push(done);
      await input.onStep?.({ phase: 'done', index, tool: step.tool, tier, step: done });
      if (!outcome.ok) {
        failedStep = index;
        error = `step ${index} (${step.tool}) failed: ${outcome.error ?? 'unknown error'}`;
        catastrophic = outcome.catastrophic;
        break;
      }
    }
    let diff: GreenDiff | null = null;
    try {
      diff = await baseline.diff();
    } catch {
      diff = null;
    }
    const ran = new Set(executed.map((s) => s.index));
    return {
      ok: failedStep === null,
      steps: executed,
      failedStep,
      error,
      catastrophic,
      snapshot,
      diff,
      toolCalls: input.plan.steps.map((s, index) => ({ index, tool: s.tool, tier: tiers[index] ?? 'T3', ran: ran.has(index) })),
      durationMs: Date.now() - started,
    };
  } finally {
    await baseline.dispose();
  }
}
