/**
 * The pure-ish pieces of a pipeline run that the runner strings together: PLAN (policy check),
 * DEBATE_PLAN (the debate subject), the pre- and postcondition facts, and Green housekeeping.
 */
import { lchown, lstat, readdir, rm, stat, statfs, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { checkPlan, type PlanCheck } from '../../core/plan-check.js';
import type { Plan } from '../../core/plan-steps.js';
import { tierAtLeast } from '../../core/plan-steps.js';
import type { SafetyPolicy } from '../../core/safety-policy.js';
import { checkPostconditions, checkPreconditions, type ConditionReport } from '../../core/safety-conditions.js';
import type { DebateSubject } from '../../core/debate/debate-types.js';
import type { NewEvent } from '../../core/events.js';
import type { ExecResult } from './plan-executor.js';
import type { PipelineRequest } from './pipeline-request.js';

/** Green directories live here under the work root (the snapshots adapter's workspaces). */
export const GREEN_PARENT = 'workspaces';
export const GREEN_PREFIX = 'pipeline-';
/** Failed runs' Green directories kept for diagnosis (the oldest beyond this are removed). */
export const DEFAULT_KEEP_FAILED_GREENS = 3;

export function greenDirFor(workRoot: string, runId: string): string {
  return join(workRoot, GREEN_PARENT, `${GREEN_PREFIX}${runId}`);
}

/** PLAN: the plan against the policy, with the lockdown as it is now. */
export function planStage(policy: SafetyPolicy, plan: Plan, workspace: string, lockdown: boolean): PlanCheck {
  return checkPlan(policy, plan, { workspace, lockdown });
}

export function debateSubject(request: PipelineRequest, check: PlanCheck, exec?: ExecResult): DebateSubject {
  return {
    intent: request.intent ?? request.plan.intent,
    steps: request.plan.steps.map((s, i) => {
      const c = check.steps.find((x) => x.index === i);
      return { tool: s.tool, args: s.args, tier: c?.tier ?? 'T3', allowed: c?.allowed ?? false, reasons: [...(c?.reasons ?? []), ...(c?.notes ?? [])] };
    }),
    policy: {
      allowed: check.allowed,
      typeable: check.typeable,
      problems: check.problems,
      maxTier: check.maxTier,
      needsSnapshot: check.needsSnapshot,
      needsTripcode: check.needsTripcode,
    },
    checks: [...request.verify.checks.map((c) => c.command), ...(request.verify.service ? [`service: ${request.verify.service.command}`] : [])],
    ...(exec?.diff
      ? { diffStats: { files: exec.diff.files.length, added: exec.diff.insertions, removed: exec.diff.deletions } }
      : {}),
  };
}

/** Free space where Green lives, in MiB (-1 when it cannot be read). */
export async function diskFreeMb(dir: string): Promise<number> {
  try {
    const s = await statfs(dir);
    return Math.floor((s.bavail * s.bsize) / (1024 * 1024));
  } catch {
    return -1;
  }
}

/**
 * The preconditions before SIMULATE. Blue's health is not probed here (the run changes nothing
 * live before PROMOTE), and SIMULATE itself is the dry run: its diff is required right after it.
 * The lockdown is an extra check: no T2+ plan starts while it is on.
 */
export function preconditions(input: {
  policy: SafetyPolicy;
  check: PlanCheck;
  diskFreeMb: number;
  snapshotId: string | null;
  tripcodePresented: boolean;
  lockdown: boolean;
}): ConditionReport {
  const base = checkPreconditions(
    { healthGreen: true, diskFreeMb: input.diskFreeMb, dryRunDiffPresent: true, snapshotId: input.snapshotId, tripcodePresented: input.tripcodePresented },
    input.policy,
    input.check,
  );
  const high = tierAtLeast(input.check.maxTier, 'T2');
  const lock = { name: 'lockdown', ok: !(high && input.lockdown), detail: input.lockdown ? (high ? `lockdown is on: ${input.check.maxTier} plans are refused` : 'lockdown is on (T0/T1 plan)') : 'lockdown is off' };
  const checks = [...base.checks.map((c) => (c.name === 'dry_run_diff' ? { ...c, detail: `${c.detail} (SIMULATE makes it; checked after SIMULATE)` } : c)), lock];
  return { ok: checks.every((c) => c.ok), checks };
}

/** The postconditions after VERIFY: tests, health time, violations and policy words in the logs. */
export function postconditions(input: {
  policy: SafetyPolicy;
  verifyPassed: boolean;
  healthGreenForSec: number;
  policyViolations: number;
  logText: string;
  extraWords: readonly string[];
}): ConditionReport {
  const policy: SafetyPolicy = {
    ...input.policy,
    conditions: { ...input.policy.conditions, policyWords: [...new Set([...input.policy.conditions.policyWords, ...input.extraWords])] },
  };
  return checkPostconditions({ testsPassed: input.verifyPassed, healthGreenForSec: input.healthGreenForSec, policyViolations: input.policyViolations, logText: input.logText }, policy);
}

/** `policy.decision` events, one per plan step (`taskId`: the agent task the run promotes, if any). */
export function stepDecisionEvents(runId: string, check: PlanCheck, taskId: string | null = null): NewEvent[] {
  return check.steps.map((s) => ({
    type: 'policy.decision' as const,
    taskId,
    nodeId: null,
    data: { source: 'pipeline', runId, index: s.index, tool: s.tool, tier: s.tier, allowed: s.allowed, reasons: s.reasons },
  }));
}

/** A pipeline event; `taskId` is the agent task the run promotes (null for plans given directly). */
export function pipelineEvent(type: NewEvent['type'], runId: string, data: Readonly<Record<string, unknown>>, taskId: string | null = null): NewEvent {
  return { type, taskId, nodeId: null, data: { runId, ...data } };
}

/** The agent task a stored run promotes (`spec.taskId`), or null. */
export function runTaskId(run: { readonly spec: Readonly<Record<string, unknown>> }): string | null {
  const id = run.spec['taskId'];
  return typeof id === 'string' && id !== '' ? id : null;
}

const FAILED_MARK = '.failed';

/** Marks a failed run's Green (it exists) as kept for diagnosis; false when there is no Green. */
export async function markFailedGreen(greenDir: string, why: string): Promise<boolean> {
  const st = await stat(greenDir).catch(() => null);
  if (st?.isDirectory() !== true) return false;
  await writeFile(`${greenDir}${FAILED_MARK}`, `${why}\n`);
  return true;
}

/**
 * Removes failed runs' Green directories beyond the newest `keep` (only marked ones: a Green in
 * use by a running pipeline is never touched).
 */
export async function pruneFailedGreens(workRoot: string, keep: number): Promise<number> {
  const parent = join(workRoot, GREEN_PARENT);
  const names = await readdir(parent).catch(() => [] as string[]);
  const marks: { green: string; mark: string; mtimeMs: number }[] = [];
  for (const n of names) {
    if (!n.startsWith(GREEN_PREFIX) || !n.endsWith(FAILED_MARK)) continue;
    const mark = join(parent, n);
    const st = await stat(mark).catch(() => null);
    if (st !== null) marks.push({ mark, green: mark.slice(0, -FAILED_MARK.length), mtimeMs: st.mtimeMs });
  }
  marks.sort((a, b) => b.mtimeMs - a.mtimeMs || b.mark.localeCompare(a.mark));
  const old = marks.slice(Math.max(0, keep));
  for (const m of old) {
    await rm(m.green, { recursive: true, force: true });
    await rm(m.mark, { force: true });
  }
  return old.length;
}

/** Step outputs as one text, for the policy-word scan. */
export function execLogText(exec: { readonly steps?: readonly { readonly outputTail: string }[] | undefined } | null | undefined): string {
  return (exec?.steps ?? []).map((s) => s.outputTail).join('\n');
}

/**
 * Hands Green back to this process's user after sleeves ran in it: a sandboxing runtime started
 * as root gives the workspace to an unprivileged identity, and git (commit, VERIFY's clone)
 * refuses a repository owned by someone else. Does nothing when not root.
 */
export async function reclaimTree(dir: string): Promise<void> {
  const uid = process.getuid?.();
  const gid = process.getgid?.();
  if (uid !== 0 || gid === undefined) return;
  const walk = async (path: string): Promise<void> => {
    const st = await lstat(path).catch(() => null);
    if (st === null) return;
    if (st.uid !== uid || st.gid !== gid) await lchown(path, uid, gid).catch(() => undefined);
    if (!st.isDirectory()) return;
    for (const name of await readdir(path).catch(() => [] as string[])) await walk(join(path, name));
  };
  await walk(dir);
}
