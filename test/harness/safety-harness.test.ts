/**
 * The origin document's test harness: every seed task to PROMOTED, and every seed × fault to
 * ABORTED at the fault's stage with Blue byte-identical (target digest before = after). Runs in
 * bubblewrap sleeves (network none, a file size limit) where the host has bubblewrap, else in
 * plain processes (then `disk-full` and the egress fault are skipped: nothing enforces them).
 * A catastrophic fault (a crash, a limit, a stuck step) must leave Green reverted to its golden
 * snapshot; the tripcode fault applies a real `RECOVERY:LOCKDOWN` tripcode while SIMULATE runs.
 * The pipeline metrics go to a Prometheus registry, parsed at the end.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { BubblewrapRuntime } from '../../src/adapters/runtime/bubblewrap/bubblewrap-runtime.js';
import { ProcessRuntime } from '../../src/adapters/runtime/process/process-runtime.js';
import type { Runtime } from '../../src/core/ports/runtime.js';
import { DEFAULT_SAFETY_POLICY, type SafetyPolicy } from '../../src/core/safety-policy.js';
import { DEFAULT_SANDBOX, type SandboxSpec } from '../../src/core/sandbox.js';
import { PrometheusPipelineMetrics } from '../../src/services/metrics/pipeline-metrics.js';
import { createBlueTarget, type BlueTargetSpec } from '../../src/services/pipeline/blue-target.js';
import { applyFault, FAULT_NAMES, FAULT_STAGE, SEED_NAMES, SEED_TARGET_KIND, seedRequest, type FaultName, type SeedName } from '../../src/services/pipeline/seed-plans.js';
import { makeGitBlue, makeReleaseBlue, pipelineFixture, type PipelineFixture } from './pipeline-fixture.js';

const sandboxed = await BubblewrapRuntime.available();
const runtime: Runtime = sandboxed ? new BubblewrapRuntime({ diskCheckIntervalMs: 200, monitorIntervalMs: 100 }) : new ProcessRuntime();
const sandbox: SandboxSpec = { network: { mode: 'none', allow: [] }, limits: { ...DEFAULT_SANDBOX.limits, maxFileSizeMb: 16 } };
const STEP_TIMEOUT_MS = 4000;
const ENFORCED_ONLY_IN_SANDBOX: ReadonlySet<FaultName> = new Set(['disk-full', 'denied-egress']);
/** Faults that end a step by force: Green must be reverted to its snapshot. */
const CATASTROPHIC: ReadonlySet<FaultName> = new Set(['tool-crash', 'disk-full', 'stuck-process']);
/** The default policy with a 1 s health window (the seeds' services are tiny). */
export const HARNESS_POLICY: SafetyPolicy = { ...DEFAULT_SAFETY_POLICY, conditions: { ...DEFAULT_SAFETY_POLICY.conditions, healthGreenSec: 1 } };

const registry = new Registry();
const prometheus = new PrometheusPipelineMetrics(registry);
const tally = { promoted: 0, aborted: 0, verifyFailed: 0 };

let fx: PipelineFixture | null = null;
afterEach(async () => {
  await fx?.close();
  fx = null;
});

async function setup(seed: SeedName, fault: FaultName | null): Promise<{ f: PipelineFixture; spec: BlueTargetSpec }> {
  const f = await pipelineFixture({
    runtime,
    sandbox,
    stepTimeoutMs: STEP_TIMEOUT_MS,
    metrics: prometheus,
    policy: HARNESS_POLICY,
    hooks: (x) => {
      let applied = false;
      return {
        duringSimulate: async () => {
          if (fault !== 'tripcode-during-apply' || applied) return;
          applied = true;
          const { payload } = await x.tripcodes.issue({ code: 'RECOVERY:LOCKDOWN', actor: 'support' });
          const out = await x.tripcodes.apply({ payload, actor: 'support' });
          if (!out.ok) throw new Error(`LOCKDOWN tripcode refused: ${out.detail}`);
        },
      };
    },
  });
  fx = f;
  const dir = join(f.root, 'blue');
  return { f, spec: SEED_TARGET_KIND[seed] === 'git-branch' ? makeGitBlue(dir) : makeReleaseBlue(dir) };
}

async function families(): Promise<Map<string, { labels: Record<string, string>; value: number }[]>> {
  const out = new Map<string, { labels: Record<string, string>; value: number }[]>();
  for (const fam of parsePrometheusTextFormat(await registry.metrics())) {
    out.set(
      fam.name,
      fam.metrics.flatMap((m) => ('value' in m ? [{ labels: (m.labels ?? {}), value: Number(m.value) }] : [])),
    );
  }
  return out;
}

const sum = (rows: { labels: Record<string, string>; value: number }[] | undefined, where: Record<string, string>): number =>
  (rows ?? []).filter((r) => Object.entries(where).every(([k, v]) => r.labels[k] === v)).reduce((a, r) => a + r.value, 0);

describe(`safety harness (${runtime.name})`, () => {
  it.each(SEED_NAMES)('seed %s is promoted', async (seed) => {
    const { f, spec } = await setup(seed, null);
    const blue = createBlueTarget(spec);
    const d0 = await blue.digest();
    const run = await f.runner.run(seedRequest(seed, spec, { healthGreenSec: 1 }));
    expect(run.error).toBeNull();
    expect(run.state).toBe('PROMOTED');
    expect(await blue.digest()).not.toBe(d0);
    tally.promoted += 1;
  });

  const cases = SEED_NAMES.flatMap((seed) => FAULT_NAMES.map((fault) => [seed, fault] as const));
  it.each(cases)('seed %s with fault %s aborts and leaves Blue byte-identical', async (seed, fault) => {
    if (!sandboxed && ENFORCED_ONLY_IN_SANDBOX.has(fault)) return;
    const { f, spec } = await setup(seed, fault);
    const blue = createBlueTarget(spec);
    const d0 = await blue.digest();
    const run = await f.runner.run(applyFault(seedRequest(seed, spec, { healthGreenSec: 1 }), fault, { diskFullMb: 64, stuckSec: 120 }));
    expect(run.state, String(run.error)).toBe('ABORTED');
    expect(run.evidence['failedStage'], String(run.error)).toBe(FAULT_STAGE[fault]);
    expect(await blue.digest()).toBe(d0);
    tally.aborted += 1;
    if (FAULT_STAGE[fault] === 'VERIFY') tally.verifyFailed += 1;
    const events = await f.events();
    expect(events.at(-1)).toMatchObject({ type: 'pipeline.aborted', data: { stage: FAULT_STAGE[fault] } });

    if (CATASTROPHIC.has(fault)) {
      // Green went back to its golden snapshot: the kept Green has no change against golden
      const sim = run.evidence['simulate'] as { catastrophic: boolean; greenRevertedTo: string | null };
      expect(sim.catastrophic).toBe(true);
      expect(sim.greenRevertedTo).toBe(run.snapshotId);
      const green = String(run.evidence['greenDir']);
      expect(execFileSync('git', ['status', '--porcelain', '--untracked-files=all'], { cwd: green, encoding: 'utf8' }).trim()).toBe('');
    }
    if (fault === 'tripcode-during-apply') {
      expect(events.map((e) => e.type)).toEqual(expect.arrayContaining(['tripcode.issued', 'tripcode.applied', 'lockdown.changed']));
      expect((await f.store.getLockdown()).on).toBe(true);
    }
  });

  it('the pipeline metrics moved as the harness ran (parsed from the Prometheus text format)', async () => {
    const m = await families();
    expect(sum(m.get('cortical_promote_total'), { result: 'success' })).toBe(tally.promoted);
    expect(sum(m.get('cortical_verify_total'), { result: 'fail' })).toBe(tally.verifyFailed);
    expect(sum(m.get('cortical_plans_checked_total'), { typeable: 'true' })).toBeGreaterThanOrEqual(tally.promoted + tally.aborted - 1);
    expect(sum(m.get('cortical_debates_total'), {})).toBeGreaterThan(0);
    expect(sum(m.get('cortical_health_probes_total'), { result: 'ok' })).toBeGreaterThan(0);
    expect(sum(m.get('cortical_tool_errors_total'), {})).toBeGreaterThan(0);
    const ratio = m.get('cortical_promote_success_ratio')?.[0]?.value;
    expect(ratio).toBeGreaterThan(0);
    expect(m.get('cortical_verify_pass_ratio')?.[0]?.value).toBeLessThan(1);
  });
});
