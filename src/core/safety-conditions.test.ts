import { describe, expect, it } from 'vitest';
import { checkPlan } from './plan-check.js';
import type { Plan } from './plan-steps.js';
import { checkPostconditions, checkPreconditions, scanPolicyWords, type PostconditionFacts, type PreconditionFacts } from './safety-conditions.js';
import { DEFAULT_SAFETY_POLICY } from './safety-policy.js';

const ctx = { workspace: '/work/ws' };
const t1: Plan = { intent: 'edit', steps: [{ tool: 'write_file', args: { path: 'a.txt', content: 'x' } }] };
const t2: Plan = { intent: 'config', steps: [{ tool: 'config_update_t2', args: { path: 'app.conf', content: 'x' } }] };
const t3: Plan = { intent: 'reset', steps: [{ tool: 'factory_reset_t3', args: {} }] };
const refused: Plan = { intent: 'escape', steps: [{ tool: 'read_file', args: { path: '/etc/shadow' } }] };

const goodPre: PreconditionFacts = { healthGreen: true, diskFreeMb: 10_000, dryRunDiffPresent: true, snapshotId: null, tripcodePresented: false };
const goodPost: PostconditionFacts = { testsPassed: true, healthGreenForSec: 60, policyViolations: 0, logText: 'listening on :8080\nok 12 tests\n' };

const pre = (facts: Partial<PreconditionFacts>, plan: Plan = t1, policy = DEFAULT_SAFETY_POLICY) =>
  checkPreconditions({ ...goodPre, ...facts }, policy, checkPlan(policy, plan, ctx));
const failed = (r: { checks: { name: string; ok: boolean }[] }) => r.checks.filter((c) => !c.ok).map((c) => c.name);

describe('checkPreconditions', () => {
  it('all green for a T1 plan: every check reported, snapshot and tripcode not needed', () => {
    const r = pre({});
    expect(r.ok).toBe(true);
    expect(r.checks).toEqual([
      { name: 'health_green', ok: true, detail: 'health is green' },
      { name: 'disk_headroom', ok: true, detail: '10000 MiB free; the policy needs at least 512 MiB' },
      { name: 'policy_match', ok: true, detail: 'the plan is allowed (max tier T1)' },
      { name: 'dry_run_diff', ok: true, detail: 'a dry-run diff exists' },
      { name: 'snapshot', ok: true, detail: 'not needed for a T1 plan' },
      { name: 'tripcode', ok: true, detail: 'not needed for a T1 plan' },
    ]);
  });

  it('each failing fact fails its own check', () => {
    expect(failed(pre({ healthGreen: false }))).toEqual(['health_green']);
    expect(failed(pre({ diskFreeMb: 511 }))).toEqual(['disk_headroom']);
    expect(failed(pre({ diskFreeMb: 512 }))).toEqual([]);
    expect(failed(pre({ diskFreeMb: Number.NaN }))).toEqual(['disk_headroom']);
    expect(failed(pre({ dryRunDiffPresent: false }))).toEqual(['dry_run_diff']);
    const r = pre({}, refused);
    expect(failed(r)).toEqual(['policy_match']);
    expect(r.checks[2]!.detail).toMatch(/^the plan is refused: step 1 \(read_file\): argument "path" = "\/etc\/shadow" resolves to/);
    expect(r.ok).toBe(false);
  });

  it('a T2 plan needs a snapshot; a T3 plan a snapshot and a tripcode', () => {
    expect(failed(pre({}, t2))).toEqual(['snapshot']);
    expect(pre({}, t2).checks[4]!.detail).toBe('no snapshot; T2 plans need one (policy: T2 and above)');
    expect(pre({ snapshotId: 'S1' }, t2).ok).toBe(true);
    expect(pre({ snapshotId: 'S1' }, t2).checks[4]!.detail).toBe('snapshot S1 taken');
    expect(failed(pre({ snapshotId: 'S1' }, t3))).toEqual(['tripcode']);
    expect(failed(pre({}, t3))).toEqual(['snapshot', 'tripcode']);
    expect(pre({ snapshotId: 'S1', tripcodePresented: true }, t3).ok).toBe(true);
  });

  it('the dry-run diff is not checked when the policy does not require one', () => {
    const lax = { ...DEFAULT_SAFETY_POLICY, conditions: { ...DEFAULT_SAFETY_POLICY.conditions, requireDryRunDiff: false } };
    const r = pre({ dryRunDiffPresent: false }, t1, lax);
    expect(r.ok).toBe(true);
    expect(r.checks[3]).toEqual({ name: 'dry_run_diff', ok: true, detail: 'not required by the policy' });
  });
});

describe('checkPostconditions', () => {
  it('all green', () => {
    const r = checkPostconditions(goodPost, DEFAULT_SAFETY_POLICY);
    expect(r.ok).toBe(true);
    expect(r.checks.map((c) => c.name)).toEqual(['tests_passed', 'health_green_duration', 'no_policy_violations', 'log_scan']);
    expect(r.checks[3]!.detail).toBe('none of 5 policy words in the logs');
  });

  it('each failing fact fails its own check', () => {
    const post = (f: Partial<PostconditionFacts>) => checkPostconditions({ ...goodPost, ...f }, DEFAULT_SAFETY_POLICY);
    expect(failed(post({ testsPassed: false }))).toEqual(['tests_passed']);
    expect(failed(post({ healthGreenForSec: 4 }))).toEqual(['health_green_duration']);
    expect(failed(post({ healthGreenForSec: 5 }))).toEqual([]);
    expect(failed(post({ policyViolations: 2 }))).toEqual(['no_policy_violations']);
    expect(post({ policyViolations: 2 }).checks[2]!.detail).toBe('2 policy violations');
    const logs = post({ logText: 'start\nwarn: slow\nthread main PANIC: index out of range\nbash: /etc/x: Permission denied\n' });
    expect(failed(logs)).toEqual(['log_scan']);
    expect(logs.checks[3]!.detail).toBe('"panic" on line 3: thread main PANIC: index out of range; "denied" on line 4: bash: /etc/x: Permission denied');
  });

  it('uses the policy words of the policy', () => {
    const custom = { ...DEFAULT_SAFETY_POLICY, conditions: { ...DEFAULT_SAFETY_POLICY.conditions, policyWords: ['OOMKilled'] } };
    expect(checkPostconditions({ ...goodPost, logText: 'FATAL but not ours' }, custom).ok).toBe(true);
    expect(checkPostconditions({ ...goodPost, logText: 'pod oomkilled' }, custom).ok).toBe(false);
  });
});

describe('scanPolicyWords', () => {
  it('finds each word once, at its first line, case-insensitively', () => {
    expect(scanPolicyWords('a\nSegmentation Fault (core dumped)\nsegmentation fault again', ['segmentation fault', 'panic'])).toEqual([
      { word: 'segmentation fault', line: 2, excerpt: 'Segmentation Fault (core dumped)' },
    ]);
    expect(scanPolicyWords('', ['FATAL'])).toEqual([]);
  });
});
