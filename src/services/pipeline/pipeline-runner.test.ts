import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ProcessRuntime } from '../../adapters/runtime/process/process-runtime.js';
import { DEFAULT_SAFETY_POLICY } from '../../core/safety-policy.js';
import { createBlueTarget } from './blue-target.js';
import { applyFault, csvReportRequest, EXPECTED_REPORT, helloServiceRequest, nightlyCronRequest } from './seed-plans.js';
import { gitIn, makeGitBlue, makeReleaseBlue, pipelineFixture, type PipelineFixture } from '../../../test/harness/pipeline-fixture.js';

const runtime = new ProcessRuntime();
let fx: PipelineFixture | null = null;
afterEach(async () => {
  await fx?.close();
  fx = null;
});

describe('PipelineRunner', () => {
  it("enforces the policy's per-tool rate limit across runs: a step over the limit is refused and Blue stays as it was", async () => {
    const policy = { ...DEFAULT_SAFETY_POLICY, tools: DEFAULT_SAFETY_POLICY.tools.map((t) => (t.name === 'run_command' ? { ...t, rateLimitPerMin: 2, cooldownSec: 0 } : t)) };
    fx = await pipelineFixture({ runtime, policy });
    const spec = makeGitBlue(join(fx.root, 'blue'));
    const blue = createBlueTarget(spec);
    const d0 = await blue.digest();
    const plan = { intent: 'three commands', steps: [1, 2, 3].map((i) => ({ tool: 'run_command', args: { command: `echo ${i} >> out.txt` } })) };
    const run = await fx.runner.run({ plan, target: spec, verify: { checks: [{ name: 'out', command: 'test -s out.txt' }], policyWords: [] } });
    expect(run.state).toBe('ABORTED');
    expect(run.evidence['failedStage']).toBe('SIMULATE');
    expect(run.error).toMatch(/step 2 \(run_command\) refused: run_command is limited to 2 calls per minute/);
    expect(await blue.digest()).toBe(d0);
    // the limit holds across runs: within the same minute the next run's first command is refused
    const next = await fx.runner.run({ plan: { intent: 'one', steps: [plan.steps[0]!] }, target: spec, verify: { checks: [], policyWords: [] } });
    expect(next.error).toMatch(/step 0 \(run_command\) refused/);
  });

  it('takes the CSV seed to PROMOTED through apply/verify/promote, changing Blue only at PROMOTE', async () => {
    fx = await pipelineFixture({ runtime });
    const spec = makeGitBlue(join(fx.root, 'blue'));
    const blue = createBlueTarget(spec);
    const d0 = await blue.digest();
    const golden = await blue.golden();

    const applied = await fx.runner.apply(csvReportRequest(spec));
    expect(applied.error).toBeNull();
    expect(applied.state).toBe('VERIFY');
    expect(await blue.digest()).toBe(d0);
    const diffPaths = (applied.evidence['diff'] as { files: { path: string }[] }).files.map((f) => f.path).sort();
    expect(diffPaths).toEqual(['data.csv', 'report.py', 'report.txt', 'test_report.py']);
    expect(applied.evidence['golden']).toBe(golden);

    const verified = await fx.runner.verify(applied.id);
    expect(verified.error).toBeNull();
    expect(verified.state).toBe('PROMOTE');
    expect(await blue.digest()).toBe(d0);
    const verify = verified.evidence['verify'] as { passed: boolean; checks: { name: string; exitCode: number; outputTail: string }[] };
    expect(verify.passed).toBe(true);
    expect(verify.checks[0]).toMatchObject({ name: 'report', exitCode: 0 });

    const promoted = await fx.runner.promote(applied.id);
    expect(promoted.state).toBe('PROMOTED');
    const version = String(promoted.evidence['promotedVersion']);
    expect(await blue.golden()).toBe(version);
    expect(await blue.digest()).not.toBe(d0);
    expect(gitIn(spec.kind === 'git-branch' ? spec.repo : '', 'show', 'main:report.txt') + '\n').toBe(EXPECTED_REPORT);
    expect(existsSync(String(applied.evidence['greenDir']))).toBe(false);

    const types = (await fx.events()).map((e) => e.type);
    expect(types).toContain('pipeline.started');
    expect(types.filter((t) => t === 'policy.decision')).toHaveLength(4);
    expect(types.filter((t) => t === 'pipeline.stage')).toHaveLength(5);
    expect(types.at(-1)).toBe('pipeline.promoted');
    expect(fx.metrics.count('planChecked')).toBe(1);
    expect(fx.metrics.calls.find((c) => c.name === 'promoteFinished')?.args).toEqual([true]);
    await expect(fx.runner.promote(applied.id)).rejects.toMatchObject({ code: 'INVALID_TRANSITION' });
  });

  it('runs the hello service on a release directory to PROMOTED with health probes', async () => {
    fx = await pipelineFixture({ runtime });
    const spec = makeReleaseBlue(join(fx.root, 'blue'));
    const run = await fx.runner.run(helloServiceRequest(spec, { healthGreenSec: 1 }));
    expect(run.error).toBeNull();
    expect(run.state).toBe('PROMOTED');
    const root = spec.kind === 'release-dir' ? spec.root : '';
    expect(readFileSync(join(root, 'current', 'server.js'), 'utf8')).toContain('/healthz');
    expect(JSON.parse(readFileSync(join(root, 'current', '.cortical', 'service.json'), 'utf8'))).toMatchObject({ command: 'node server.js' });
    expect(fx.metrics.count('healthProbe')).toBeGreaterThan(0);
  });

  it('runs the nightly cron seed to PROMOTED', async () => {
    fx = await pipelineFixture({ runtime });
    const spec = makeGitBlue(join(fx.root, 'blue'));
    const run = await fx.runner.run(nightlyCronRequest(spec));
    expect(run.error).toBeNull();
    expect(run.state).toBe('PROMOTED');
    expect(gitIn(join(fx.root, 'blue'), 'show', 'main:cron.d/nightly')).toBe('0 2 * * * sh scripts/nightly.sh');
  });

  const aborts = [
    ['denied-egress-plan', 'PLAN'],
    ['tool-crash', 'SIMULATE'],
    ['stuck-process', 'SIMULATE'],
    ['failing-tests', 'VERIFY'],
  ] as const;
  it.each(aborts)('fault %s aborts at %s and leaves Blue byte-identical', async (fault, stage) => {
    fx = await pipelineFixture({ runtime, stepTimeoutMs: 3000 });
    const spec = makeGitBlue(join(fx.root, 'blue'));
    const blue = createBlueTarget(spec);
    const d0 = await blue.digest();
    const run = await fx.runner.run(applyFault(csvReportRequest(spec), fault));
    expect(run.state).toBe('ABORTED');
    expect(run.evidence['failedStage']).toBe(stage);
    expect(run.error).not.toBeNull();
    expect(await blue.digest()).toBe(d0);
    const events = await fx.events();
    expect(events.at(-1)).toMatchObject({ type: 'pipeline.aborted', data: { stage } });
    if (stage === 'SIMULATE') {
      expect((run.evidence['simulate'] as { catastrophic: boolean }).catastrophic).toBe(true);
      expect(fx.metrics.calls.find((c) => c.name === 'toolError')?.args).toEqual(['T1']);
      // Kept for diagnosis, marked as failed.
      expect(existsSync(String(run.evidence['greenDir']))).toBe(true);
    }
  });

  it('aborts before PROMOTE when a lockdown comes on during apply, Blue unchanged', async () => {
    fx = await pipelineFixture({
      runtime,
      hooks: (f) => ({ duringSimulate: () => { f.lockdown = true; } }),
    });
    const spec = makeGitBlue(join(fx.root, 'blue'));
    const blue = createBlueTarget(spec);
    const d0 = await blue.digest();
    const run = await fx.runner.run(csvReportRequest(spec));
    expect(run.state).toBe('ABORTED');
    expect(run.evidence['failedStage']).toBe('PROMOTE');
    expect(run.error).toContain('lockdown');
    expect(await blue.digest()).toBe(d0);
  });

  it('refuses a T3 plan without a tripcode before anything runs', async () => {
    fx = await pipelineFixture({ runtime });
    const spec = makeGitBlue(join(fx.root, 'blue'));
    const req = csvReportRequest(spec);
    const run = await fx.runner.run({ ...req, plan: { ...req.plan, steps: [...req.plan.steps, { tool: 'factory_reset_t3', args: {} }] } });
    expect(run.state).toBe('ABORTED');
    expect(run.evidence['failedStage']).toBe('SIMULATE');
    expect(run.error).toContain('tripcode');
    expect(run.evidence['simulate']).toBeUndefined();
  });

  it('snapshots Green before a T2 plan runs and records it on the run', async () => {
    fx = await pipelineFixture({ runtime });
    const spec = makeGitBlue(join(fx.root, 'blue'));
    const req = nightlyCronRequest(spec);
    const run = await fx.runner.run({ ...req, plan: { ...req.plan, steps: [...req.plan.steps, { tool: 'config_update_t2', args: { path: 'config/app.env', content: 'MODE=nightly\n' } }] } });
    expect(run.error).toBeNull();
    expect(run.state).toBe('PROMOTED');
    expect(run.snapshotId).not.toBeNull();
    const pre = run.evidence['preconditions'] as { checks: { name: string; ok: boolean }[] };
    expect(pre.checks.find((c) => c.name === 'snapshot')?.ok).toBe(true);
    expect(gitIn(join(fx.root, 'blue'), 'show', 'main:config/app.env')).toBe('MODE=nightly');
  });

  it('simulate() is a dry run: diff and report, nothing promoted, no Green left', async () => {
    fx = await pipelineFixture({ runtime });
    const spec = makeGitBlue(join(fx.root, 'blue'));
    const blue = createBlueTarget(spec);
    const d0 = await blue.digest();
    const report = await fx.runner.simulate(csvReportRequest(spec));
    expect(report.ok).toBe(true);
    expect(report.exec?.diff?.files.find((f) => f.path === 'report.txt')?.patch).toContain('+total 31 1680');
    expect(await blue.digest()).toBe(d0);
    expect(readdirSync(join(fx.root, 'work', 'workspaces'))).toEqual([]);
  });

  it('rejects an invalid request with what is accepted', async () => {
    fx = await pipelineFixture({ runtime });
    await expect(fx.runner.run({ plan: { intent: '', steps: [] }, target: { kind: 'git-branch', repo: '', branch: 'main' }, verify: { checks: [], policyWords: [] } })).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      message: expect.stringContaining('accepted'),
    });
  });

  it('rolls Blue back to an earlier version', async () => {
    fx = await pipelineFixture({ runtime });
    const spec = makeGitBlue(join(fx.root, 'blue'));
    const blue = createBlueTarget(spec);
    const v1 = await blue.golden();
    const run = await fx.runner.run(nightlyCronRequest(spec));
    expect(run.state).toBe('PROMOTED');
    await fx.runner.rollback(spec, v1);
    expect(await blue.golden()).toBe(v1);
    expect((await fx.events()).at(-1)?.type).toBe('pipeline.rolled-back');
  });
});
