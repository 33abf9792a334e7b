/**
 * The pre- and postconditions of a change under a safety policy, checked against facts the
 * caller gathered (health, disk, dry-run diff, snapshot, tripcode, tests, violations, logs).
 * Every check is reported, passed or not, with a detail a person can read. Pure.
 */
import type { PlanCheck } from './plan-check.js';
import type { SafetyPolicy } from './safety-policy.js';

export interface ConditionCheck {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
}

export interface ConditionReport {
  readonly ok: boolean;
  readonly checks: ConditionCheck[];
}

export interface PreconditionFacts {
  /** The target's health probe is green now. */
  readonly healthGreen: boolean;
  /** Free disk space where the change writes, in MiB. */
  readonly diskFreeMb: number;
  /** A dry-run diff of the change exists. */
  readonly dryRunDiffPresent: boolean;
  /** The snapshot taken before the change; null when none. */
  readonly snapshotId: string | null;
  /** A valid tripcode was presented (the caller verifies it). */
  readonly tripcodePresented: boolean;
}

export interface PostconditionFacts {
  readonly testsPassed: boolean;
  /** How long health has been green since the change, in seconds. */
  readonly healthGreenForSec: number;
  /** Policy violations counted while the change ran. */
  readonly policyViolations: number;
  /** The logs to scan for the policy's words. */
  readonly logText: string;
}

function report(checks: ConditionCheck[]): ConditionReport {
  return { ok: checks.every((c) => c.ok), checks };
}

const isCount = (n: number): boolean => Number.isFinite(n) && n >= 0;

/** Whether a change may start. */
export function checkPreconditions(facts: PreconditionFacts, policy: SafetyPolicy, planCheck: PlanCheck): ConditionReport {
  const c = policy.conditions;
  const checks: ConditionCheck[] = [];
  checks.push({ name: 'health_green', ok: facts.healthGreen, detail: facts.healthGreen ? 'health is green' : 'health is not green' });
  const diskOk = isCount(facts.diskFreeMb) && facts.diskFreeMb >= c.diskHeadroomMb;
  checks.push({
    name: 'disk_headroom',
    ok: diskOk,
    detail: isCount(facts.diskFreeMb) ? `${facts.diskFreeMb} MiB free; the policy needs at least ${c.diskHeadroomMb} MiB` : `free disk space unknown (${facts.diskFreeMb}); the policy needs at least ${c.diskHeadroomMb} MiB`,
  });
  const firstProblem = planCheck.problems[0];
  checks.push({
    name: 'policy_match',
    ok: planCheck.allowed,
    detail: planCheck.allowed
      ? `the plan is allowed (max tier ${planCheck.maxTier})`
      : `the plan is refused: ${firstProblem ?? 'not allowed'}${planCheck.problems.length > 1 ? ` (and ${planCheck.problems.length - 1} more)` : ''}`,
  });
  checks.push(
    c.requireDryRunDiff
      ? { name: 'dry_run_diff', ok: facts.dryRunDiffPresent, detail: facts.dryRunDiffPresent ? 'a dry-run diff exists' : 'no dry-run diff; the policy requires one' }
      : { name: 'dry_run_diff', ok: true, detail: 'not required by the policy' },
  );
  const snapshot = facts.snapshotId !== null && facts.snapshotId !== '';
  checks.push(
    planCheck.needsSnapshot
      ? { name: 'snapshot', ok: snapshot, detail: snapshot ? `snapshot ${facts.snapshotId} taken` : `no snapshot; ${planCheck.maxTier} plans need one (policy: ${policy.plan.snapshotForTierGe} and above)` }
      : { name: 'snapshot', ok: true, detail: `not needed for a ${planCheck.maxTier} plan` },
  );
  checks.push(
    planCheck.needsTripcode
      ? { name: 'tripcode', ok: facts.tripcodePresented, detail: facts.tripcodePresented ? 'tripcode presented' : `no tripcode; ${planCheck.maxTier} plans need one (policy: ${policy.plan.tripcodeForTierGe} and above)` }
      : { name: 'tripcode', ok: true, detail: `not needed for a ${planCheck.maxTier} plan` },
  );
  return report(checks);
}

/** The policy words found in `text` (case-insensitive), each with its first line number and that line. */
export function scanPolicyWords(text: string, words: readonly string[]): { word: string; line: number; excerpt: string }[] {
  const lines = text.split('\n');
  const lower = lines.map((l) => l.toLowerCase());
  const found: { word: string; line: number; excerpt: string }[] = [];
  for (const word of words) {
    const w = word.toLowerCase();
    if (w === '') continue;
    const i = lower.findIndex((l) => l.includes(w));
    if (i >= 0) {
      const line = lines[i]!.trim();
      found.push({ word, line: i + 1, excerpt: line.length > 120 ? `${line.slice(0, 119)}…` : line });
    }
  }
  return found;
}

/** Whether a change, once made, may stay (be promoted). */
export function checkPostconditions(facts: PostconditionFacts, policy: SafetyPolicy): ConditionReport {
  const c = policy.conditions;
  const checks: ConditionCheck[] = [];
  checks.push({ name: 'tests_passed', ok: facts.testsPassed, detail: facts.testsPassed ? 'the tests passed' : 'the tests did not pass' });
  const greenOk = isCount(facts.healthGreenForSec) && facts.healthGreenForSec >= c.healthGreenSec;
  checks.push({ name: 'health_green_duration', ok: greenOk, detail: `health green for ${facts.healthGreenForSec} s; the policy needs ${c.healthGreenSec} s` });
  const violationsOk = facts.policyViolations === 0;
  checks.push({ name: 'no_policy_violations', ok: violationsOk, detail: violationsOk ? 'no policy violations' : `${facts.policyViolations} policy violation${facts.policyViolations === 1 ? '' : 's'}` });
  const found = scanPolicyWords(facts.logText, c.policyWords);
  checks.push({
    name: 'log_scan',
    ok: found.length === 0,
    detail: found.length === 0 ? `none of ${c.policyWords.length} policy words in the logs` : found.map((f) => `${JSON.stringify(f.word)} on line ${f.line}: ${f.excerpt}`).join('; '),
  });
  return report(checks);
}
