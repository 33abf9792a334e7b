import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { CapabilityTier, Plan } from '../../core/plan-steps.js';
import { DEFAULT_SANDBOX } from '../../core/sandbox.js';
import { ProcessRuntime } from '../../adapters/runtime/process/process-runtime.js';
import { BubblewrapRuntime } from '../../adapters/runtime/bubblewrap/bubblewrap-runtime.js';
import { GitWorkspaceSnapshots } from '../../adapters/workspace/git/workspace-snapshots.js';
import { executePlan, type ExecPlanCheck } from './plan-executor.js';
import fc from 'fast-check';
import { relative } from 'node:path';
import { cronScheduleProblems, resolveInGreen } from './plan-tools.js';

const TIERS: Record<string, CapabilityTier> = {
  read_file: 'T0', codegen_t0: 'T0', write_file: 'T1', apply_patch_t1: 'T1', run_command: 'T1', service_run_t1: 'T1',
  container_build_t1: 'T1', cron_entry_t1: 'T1', config_update_t2: 'T2', db_migrate_t2: 'T2', factory_reset_t3: 'T3',
};
const check = (plan: Plan): ExecPlanCheck => ({
  needsSnapshot: plan.steps.some((s) => TIERS[s.tool] === 'T2' || TIERS[s.tool] === 'T3'),
  steps: plan.steps.map((s, index) => ({ index, tool: s.tool, tier: TIERS[s.tool] ?? 'T3', allowed: true })),
});
const plan = (...steps: [string, Record<string, string>][]): Plan => ({ intent: 't', steps: steps.map(([tool, args]) => ({ tool, args })) });

const root = mkdtempSync(join(tmpdir(), 'cortical-exec-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
function green(files: Record<string, string> = { 'README.md': 'golden\n' }): string {
  n += 1;
  const dir = join(root, 'workspaces', `green-${n}`);
  mkdirSync(dir, { recursive: true });
  for (const [p, c] of Object.entries(files)) {
    mkdirSync(join(dir, p, '..'), { recursive: true });
    writeFileSync(join(dir, p), c);
  }
  return dir;
}
const runtime = new ProcessRuntime();
const run = (dir: string, p: Plan, extra: Partial<Parameters<typeof executePlan>[0]> = {}) =>
  executePlan({ runtime, greenDir: dir, plan: p, planCheck: check(p), stepTimeoutMs: 30_000, ...extra });

describe('executePlan', () => {
  it('runs file, command, cron, service and codegen tools in Green and reports the diff', async () => {
    const dir = green();
    const r = await run(dir, plan(
      ['write_file', { path: 'src/a.txt', content: 'hello\n' }],
      ['read_file', { path: 'src/a.txt' }],
      ['run_command', { command: 'cat src/a.txt > b.txt && echo done' }],
      ['cron_entry_t1', { name: 'nightly', schedule: '0 2 * * *', command: 'sh job.sh' }],
      ['service_run_t1', { command: 'node server.js' }],
      ['codegen_t0', { prompt: 'make it nice' }],
      ['config_update_t2', { path: 'config/app.json', content: '{"a":1}\n' }],
    ));
    expect(r.error).toBeNull();
    expect(r.ok).toBe(true);
    expect(r.steps.map((s) => s.ok)).toEqual([true, true, true, true, true, true, true]);
    expect(r.steps[1]?.outputTail).toContain('hello');
    expect(r.steps[2]?.outputTail).toContain('done');
    expect(readFileSync(join(dir, 'b.txt'), 'utf8')).toBe('hello\n');
    expect(readFileSync(join(dir, 'cron.d/nightly'), 'utf8')).toBe('0 2 * * * sh job.sh\n');
    expect(JSON.parse(readFileSync(join(dir, '.cortical/service.json'), 'utf8'))).toMatchObject({ command: 'node server.js', portEnv: 'PORT' });
    const paths = r.diff?.files.map((f) => f.path).sort();
    expect(paths).toEqual(['.cortical/codegen.jsonl', '.cortical/service.json', 'b.txt', 'config/app.json', 'cron.d/nightly', 'src/a.txt']);
    expect(r.diff?.files.find((f) => f.path === 'src/a.txt')?.patch).toContain('+hello');
    expect(r.toolCalls.map((c) => c.tier)).toEqual(['T1', 'T0', 'T1', 'T1', 'T1', 'T0', 'T2']);
  });

  it('applies a patch with git apply and shows modified files in the diff', async () => {
    const dir = green({ 'a.txt': 'one\ntwo\n' });
    const patch = 'diff --git a/a.txt b/a.txt\n--- a/a.txt\n+++ b/a.txt\n@@ -1,2 +1,2 @@\n one\n-two\n+three\n';
    const r = await run(dir, plan(['apply_patch_t1', { patch }]));
    expect(r.ok).toBe(true);
    expect(readFileSync(join(dir, 'a.txt'), 'utf8')).toBe('one\nthree\n');
    expect(r.diff?.files).toEqual([expect.objectContaining({ path: 'a.txt', status: 'M' })]);
    const bad = await run(dir, plan(['apply_patch_t1', { patch }]));
    expect(bad.ok).toBe(false);
    expect(bad.steps[0]?.exitCode).not.toBe(0);
  });

  it('refuses paths that escape Green (.., absolute, symlink, .git) and stops at the first failure', async () => {
    const outside = mkdtempSync(join(root, 'outside-'));
    const dir = green();
    symlinkSync(outside, join(dir, 'link'));
    for (const path of ['../x.txt', '/etc/x', 'link/x.txt', '.git/config', 'a/../../y']) {
      const r = await run(dir, plan(['write_file', { path, content: 'x' }], ['write_file', { path: 'after.txt', content: 'y' }]));
      expect(r.ok, path).toBe(false);
      expect(r.failedStep).toBe(0);
      expect(r.steps).toHaveLength(1);
      expect(r.steps[0]?.error).toMatch(/absolute|escapes|outside|\.git/);
    }
    expect(existsSync(join(dir, 'after.txt'))).toBe(false);
    expect(existsSync(join(outside, 'x.txt'))).toBe(false);
  });

  it('fails a nonzero exit (not catastrophic), a crash and a stuck process (catastrophic)', async () => {
    const dir = green();
    const exit = await run(dir, plan(['run_command', { command: 'echo oops >&2; exit 3' }]));
    expect(exit).toMatchObject({ ok: false, catastrophic: false, failedStep: 0 });
    expect(exit.steps[0]).toMatchObject({ exitCode: 3, error: 'exit code 3' });
    expect(exit.steps[0]?.outputTail).toContain('oops');
    const crash = await run(dir, plan(['run_command', { command: 'kill -SEGV $$' }]));
    expect(crash).toMatchObject({ ok: false, catastrophic: true });
    expect(crash.steps[0]?.error).toContain('SIGSEGV');
    const t0 = Date.now();
    const stuck = await run(dir, plan(['run_command', { command: 'sleep 60' }], ['write_file', { path: 'x', content: '' }]), { stepTimeoutMs: 1500 });
    expect(Date.now() - t0).toBeLessThan(30_000);
    expect(stuck).toMatchObject({ ok: false, catastrophic: true, failedStep: 0 });
    expect(stuck.steps[0]?.error).toContain('timeout');
    expect(stuck.steps).toHaveLength(1);
  });

  it('validates cron schedules and names', async () => {
    expect(cronScheduleProblems('0 2 * * *')).toEqual([]);
    expect(cronScheduleProblems('*/15 1-5 1,15 * 0-6')).toEqual([]);
    expect(cronScheduleProblems('0 2 * *')[0]).toContain('5 fields');
    expect(cronScheduleProblems('61 2 * * *')[0]).toContain('outside');
    const dir = green();
    const r = await run(dir, plan(['cron_entry_t1', { name: 'nightly', schedule: '0 25 * * *', command: 'x' }]));
    expect(r.ok).toBe(false);
    expect(r.steps[0]?.error).toContain('invalid cron schedule');
    const r2 = await run(dir, plan(['cron_entry_t1', { name: '../evil', schedule: '0 2 * * *', command: 'x' }]));
    expect(r2.steps[0]?.error).toContain('name');
  });

  it('container_build_t1 says there is no container engine unless build.sh is given', async () => {
    const dir = green();
    const r = await run(dir, plan(['container_build_t1', { context: '.' }]));
    expect(r.steps[0]?.error).toContain('no container engine');
    writeFileSync(join(dir, 'build.sh'), 'echo built > artifact.txt\n');
    const r2 = await run(dir, plan(['container_build_t1', { context: '.' }]));
    expect(r2.ok).toBe(true);
    expect(readFileSync(join(dir, 'artifact.txt'), 'utf8')).toBe('built\n');
  });

  it('snapshots Green before the first step at the snapshot tier, and factory reset uses the given reset', async () => {
    const dir = green({ 'keep.txt': 'golden\n' });
    const snapshots = new GitWorkspaceSnapshots(root);
    let resets = 0;
    const r = await run(
      dir,
      plan(['write_file', { path: 'early.txt', content: 'a' }], ['db_migrate_t2', { command: 'echo migrated > db.txt' }], ['factory_reset_t3', {}]),
      { snapshots, resetGreen: () => { resets += 1; rmSync(join(dir, 'db.txt')); return Promise.resolve(); } },
    );
    expect(r.ok).toBe(true);
    expect(r.snapshot).not.toBeNull();
    expect(resets).toBe(1);
    writeFileSync(join(dir, 'keep.txt'), 'broken\n');
    await snapshots.revert(dir, r.snapshot?.id ?? '');
    expect(readFileSync(join(dir, 'keep.txt'), 'utf8')).toBe('golden\n');
    expect(existsSync(join(dir, 'early.txt'))).toBe(true);
    const noReset = await run(dir, plan(['factory_reset_t3', {}]));
    expect(noReset.steps[0]?.error).toContain('golden');
  });
});

describe('resolveInGreen', () => {
  it('never yields a path outside Green or inside .git, whatever the path', async () => {
    const dir = green();
    const segment = fc.constantFrom('..', '.', 'a', 'b', '.git', '', '/', 'c d');
    await fc.assert(
      fc.asyncProperty(fc.array(segment, { minLength: 1, maxLength: 6 }), async (parts) => {
        const path = parts.join('/');
        let full: string;
        try {
          full = await resolveInGreen(dir, path);
        } catch {
          return;
        }
        const rel = relative(dir, full);
        expect(rel.startsWith('..') || rel === '').toBe(false);
        expect(rel.split('/')).not.toContain('.git');
      }),
      { numRuns: 300 },
    );
  });
});

const bwrap = await BubblewrapRuntime.available();
describe.skipIf(!bwrap)('executePlan in a bubblewrap sleeve', () => {
  const sandboxed = new BubblewrapRuntime({ diskCheckIntervalMs: 100, monitorIntervalMs: 50 });
  it('a write past the file size limit fails the step as file_size_limit (catastrophic)', async () => {
    const dir = green();
    const r = await executePlan({
      runtime: sandboxed, greenDir: dir, stepTimeoutMs: 60_000,
      plan: plan(['run_command', { command: 'head -c 8000000 /dev/zero > big.bin' }]),
      planCheck: check(plan(['run_command', { command: '' }])),
      sandbox: { ...DEFAULT_SANDBOX, limits: { ...DEFAULT_SANDBOX.limits, maxFileSizeMb: 2 } },
    });
    expect(r).toMatchObject({ ok: false, catastrophic: true });
    expect(r.steps[0]?.error).toContain('file_size_limit');
  });
  it("cannot write Green's .git (config, hooks): HQ runs git there afterwards", async () => {
    const dir = green();
    execFileSync('git', ['init', '-q'], { cwd: dir });
    const before = readFileSync(join(dir, '.git', 'config'), 'utf8');
    const p = plan(['run_command', { command: 'git config core.fsmonitor "touch pwned" || echo x >> .git/config || mkdir -p .git/hooks && echo "touch pwned" > .git/hooks/pre-commit' }]);
    const r = await executePlan({ runtime: sandboxed, greenDir: dir, stepTimeoutMs: 60_000, plan: p, planCheck: check(p), sandbox: DEFAULT_SANDBOX });
    expect(r.ok).toBe(false);
    expect(readFileSync(join(dir, '.git', 'config'), 'utf8')).toBe(before);
    expect(existsSync(join(dir, '.git', 'hooks', 'pre-commit'))).toBe(false);
  });
  it('has no network with mode none: an outside address cannot be reached', async () => {
    const dir = green();
    const p = plan(['run_command', { command: `node -e "fetch('http://203.0.113.1/').then(()=>process.exit(0),e=>{console.error(String(e));process.exit(7)})"` }]);
    const r = await executePlan({ runtime: sandboxed, greenDir: dir, stepTimeoutMs: 60_000, plan: p, planCheck: check(p), sandbox: DEFAULT_SANDBOX });
    expect(r.ok).toBe(false);
    expect(r.steps[0]?.exitCode).toBe(7);
  });
});
