import { existsSync, lstatSync, lutimesSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DAY_MS } from '../../../core/workspace-retention.js';
import { clearWorkspaceFinished, markWorkspaceFinished, readFinishedMarker } from './finished-marker.js';
import { GitWorkspaces } from './git-workspace.js';
import { gitSync as run } from './test-repo.js';
import { gcWorkDir, GitWorkspaceGc } from './workspace-gc.js';
import { GitWorkspaceSnapshots } from './workspace-snapshots.js';

const MB = 1024 * 1024;
const NOW = Date.now();

describe('workspace GC', () => {
  let root: string;
  let repo: string;
  let workDir: string;
  let ws: GitWorkspaces;

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'cortical-gc-'));
    repo = join(root, 'repo');
    workDir = join(root, 'work');
    mkdirSync(repo);
    run(repo, 'init', '-q', '-b', 'main');
    writeFileSync(join(repo, 'README.md'), 'hello\n');
    run(repo, 'add', '.');
    run(repo, 'commit', '-q', '-m', 'first');
    run(repo, 'branch', 'feature');
    run(repo, 'tag', 'v1');
    writeFileSync(join(repo, 'README.md'), 'user edit, not committed\n');
    writeFileSync(join(repo, 'user-untracked.txt'), 'mine\n');
    ws = new GitWorkspaces(workDir);
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  /**
   * A task workspace with `mb` MB of agent output (committed on its branch), finished `daysAgo`
   * (null = active): a linked worktree of the user's repository (the layout of earlier versions,
   * which GC still collects), a task clone published to `cortical/<taskId>`, or a plain directory.
   */
  const task = async (taskId: string, mb: number, daysAgo: number | null, withRepo: boolean | 'clone' = true): Promise<string> => {
    let p: { path: string; homePath: string };
    if (withRepo === true) {
      run(repo, 'worktree', 'add', '-q', '-b', `cortical/${taskId}`, join(workDir, 'workspaces', taskId));
      p = await ws.prepare({ taskId, prompt: 'p', repo: null }); // HOME and the cortical stack
    } else p = await ws.prepare({ taskId, prompt: 'p', repo: withRepo === 'clone' ? { path: repo, baseRef: null } : null });
    writeFileSync(join(p.path, 'out.bin'), Buffer.alloc(mb * MB, taskId));
    if (withRepo === 'clone') {
      writeFileSync(join(p.path, 'agent.txt'), `${taskId}\n`);
      const request = { taskId, prompt: 'p', repo: { path: repo, baseRef: null } };
      const prepared = await ws.prepare(request);
      expect((await ws.publish(prepared, request, `agent ${taskId}`)).error).toBeNull();
    } else if (withRepo) {
      writeFileSync(join(p.path, 'agent.txt'), `${taskId}\n`);
      run(p.path, 'add', 'agent.txt');
      run(p.path, 'commit', '-q', '-m', `agent ${taskId}`);
    }
    if (daysAgo !== null) {
      const at = NOW - daysAgo * DAY_MS;
      await markWorkspaceFinished(p.path, at, 'succeeded');
      ageTree(p.path, at);
      ageTree(p.homePath, at);
    }
    return p.path;
  };
  /** Sets the mtime of everything under `dir` (symlinks themselves, not their targets). */
  const ageTree = (dir: string, at: number): void => {
    const t = new Date(at);
    const walk = (p: string): void => {
      const st = lstatSync(p);
      if (st.isDirectory()) for (const n of readdirSync(p)) walk(join(p, n));
      lutimesSync(p, t, t);
    };
    walk(dir);
  };
  const refs = (): string[] => run(repo, 'for-each-ref', '--format=%(refname) %(objectname)').split('\n').filter((l) => l !== '');
  const userState = (): string[] => [
    run(repo, 'rev-parse', 'HEAD'),
    run(repo, 'symbolic-ref', 'HEAD'),
    run(repo, 'status', '--porcelain'),
    readFileSync(join(repo, 'README.md'), 'utf8'),
  ];

  it('frees the oldest finished workspaces over quota and leaves the repository intact', async () => {
    const old = await task('old', 3, 9);
    symlinkSync(join(repo, '.git', 'objects'), join(old, 'objects-link'));
    symlinkSync(repo, join(old, 'repo-link'));
    ageTree(old, NOW - 9 * DAY_MS);
    const mid = await task('mid', 3, 5);
    const recent = await task('recent', 3, 1);
    const plain = await task('plainold', 3, 8, false);
    const active = await task('active', 3, null);
    const refsBefore = refs();
    const userBefore = userState();

    const report = await gcWorkDir({ workDir, keepDays: null, maxTotalBytes: 8 * MB, dryRun: false, deleteBranches: false });
    expect(report.plan.remove.map((r) => r.taskId)).toEqual(['old', 'plainold', 'mid']);
    expect(report.removed.map((r) => `${r.taskId}:${r.kind}:${r.why}`)).toEqual(['old:worktree:over_quota', 'plainold:plain:over_quota', 'mid:worktree:over_quota']);
    expect(report.failed).toEqual([]);
    expect(report.freedBytes).toBeGreaterThanOrEqual(9 * MB);
    expect(report.plan.totalBytesAfter).toBeLessThanOrEqual(8 * MB);
    for (const gone of [old, mid, plain]) expect(existsSync(gone)).toBe(false);
    expect(existsSync(join(workDir, 'homes', 'old'))).toBe(false);
    expect(existsSync(recent)).toBe(true);
    expect(existsSync(active)).toBe(true);
    expect(existsSync(join(workDir, 'homes', 'active'))).toBe(true);

    // every branch and tag intact (the removed worktrees' branches kept by default), checkout untouched
    expect(refs()).toEqual(refsBefore);
    expect(userState()).toEqual(userBefore);
    expect(run(repo, 'worktree', 'list', '--porcelain').split('\n').filter((l) => l.startsWith('worktree ')).length).toBe(3);
    run(repo, 'fsck', '--full', '--strict', '--no-progress');
    // a removed task can be resumed from its branch
    const again = await ws.prepare({ taskId: 'old', prompt: 'p', repo: { path: repo, baseRef: null } });
    expect(readFileSync(join(again.path, 'agent.txt'), 'utf8')).toBe('old\n');
  });

  it('frees the oldest finished task clones over quota; the user repository keeps every branch and passes fsck', async () => {
    const tasks = [
      ['c1', 40],
      ['c2', 30],
      ['c3', 20],
      ['c4', 10],
      ['c5', 5],
    ] as const;
    for (const [id, days] of tasks) await task(id, 2, days, 'clone');
    const live = await task('c6', 2, null, 'clone');
    const refsBefore = refs();
    expect(refsBefore.filter((l) => l.startsWith('refs/heads/cortical/')).length).toBe(6);
    const userBefore = userState();
    const report = await gcWorkDir({ workDir, keepDays: null, maxTotalBytes: 7 * MB, dryRun: false, deleteBranches: false });
    expect(report.failed).toEqual([]);
    expect(report.removed.map((r) => `${r.taskId}:${r.kind}`)).toEqual(['c1:plain', 'c2:plain', 'c3:plain']);
    for (const id of ['c1', 'c2', 'c3']) expect(existsSync(join(workDir, 'workspaces', id))).toBe(false);
    for (const id of ['c4', 'c5']) expect(existsSync(join(workDir, 'workspaces', id))).toBe(true);
    expect(existsSync(live)).toBe(true);
    // the results stay on their branches in the user's repository
    expect(refs()).toEqual(refsBefore);
    expect(userState()).toEqual(userBefore);
    expect(run(repo, 'show', 'cortical/c1:agent.txt')).toBe('c1');
    run(repo, 'fsck', '--full', '--strict', '--no-progress');
  });

  it('deletes only the removed tasks cortical/* branches when asked, and their snapshot refs', async () => {
    const old = await task('old', 1, 30);
    await new GitWorkspaceSnapshots(workDir).snapshot(old, 'snap');
    await task('keep', 1, 1);
    const refsBefore = refs();
    const userBefore = userState();
    const report = await gcWorkDir({ workDir, keepDays: 7, maxTotalBytes: null, dryRun: false, deleteBranches: true });
    expect(report.removed.map((r) => [r.taskId, r.why, r.branchDeleted, r.snapshotRefsDeleted])).toEqual([['old', 'expired', 'cortical/old', 1]]);
    const gone = (l: string): boolean => l.startsWith('refs/heads/cortical/old ') || l.startsWith('refs/cortical/snapshots/old/');
    expect(refs()).toEqual(refsBefore.filter((l) => !gone(l)));
    expect(refs().some((l) => l.startsWith('refs/heads/cortical/keep '))).toBe(true);
    expect(userState()).toEqual(userBefore);
    run(repo, 'fsck', '--full', '--strict', '--no-progress');
  });

  it('never follows a symlink out of workspaces', async () => {
    const outside = join(root, 'precious');
    mkdirSync(outside);
    writeFileSync(join(outside, 'keep.txt'), 'precious\n');
    mkdirSync(join(workDir, 'workspaces'), { recursive: true });
    symlinkSync(outside, join(workDir, 'workspaces', 'escape'));
    symlinkSync(repo, join(workDir, 'workspaces', 'repo-link'));
    const p = await task('withlink', 1, 30, false);
    symlinkSync(outside, join(p, 'link-to-outside'));
    symlinkSync(join(repo, '.git'), join(p, 'git-link'));
    ageTree(p, NOW - 30 * DAY_MS);
    const report = await gcWorkDir({ workDir, keepDays: 0, maxTotalBytes: 0, dryRun: false });
    expect(report.removed.map((r) => r.taskId)).toEqual(['withlink']);
    expect(report.skipped).toEqual([
      { name: 'escape', reason: 'symlink' },
      { name: 'repo-link', reason: 'symlink' },
    ]);
    expect(readFileSync(join(outside, 'keep.txt'), 'utf8')).toBe('precious\n');
    expect(existsSync(join(workDir, 'workspaces', 'escape'))).toBe(true);
    run(repo, 'fsck', '--full', '--strict', '--no-progress');
  });

  it('refuses a workspaces directory that is itself a symlink', async () => {
    mkdirSync(workDir);
    symlinkSync(repo, join(workDir, 'workspaces'));
    await expect(gcWorkDir({ workDir, keepDays: 0, maxTotalBytes: 0, dryRun: false })).rejects.toThrow(/symbolic link/);
    expect(existsSync(join(repo, 'README.md'))).toBe(true);
  });

  it('never removes an active, held or recently used workspace', async () => {
    await task('held', 2, 30);
    await task('nomarker', 2, null);
    const reused = await task('reused', 2, 30);
    writeFileSync(join(reused, 'written-after-finish.txt'), 'a new attempt\n');
    const gc = new GitWorkspaceGc(workDir);
    const report = await gc.collect({
      policy: { keepDays: 0, maxTotalBytes: 0, idleGraceMs: DAY_MS },
      heldTaskIds: () => ['held'],
      nowMs: NOW,
      dryRun: false,
      deleteBranches: true,
    });
    expect(report.removed).toEqual([]);
    expect(report.plan.keep.map((k) => `${k.taskId}:${k.why}`).sort()).toEqual(['held:active', 'nomarker:active', 'reused:active']);
    expect(report.plan.overQuota).toBe(true);
    // past the idle grace, a workspace without a marker counts as finished
    const later = await gc.collect({ policy: { keepDays: 0, maxTotalBytes: null, idleGraceMs: DAY_MS }, heldTaskIds: () => ['held'], nowMs: NOW + 2 * DAY_MS, dryRun: true, deleteBranches: false });
    expect(later.plan.remove.map((r) => r.taskId).sort()).toEqual(['nomarker', 'reused']);
  });

  it('skips a task held again between plan and removal', async () => {
    await task('a', 1, 30);
    let calls = 0;
    const report = await new GitWorkspaceGc(workDir).collect({
      policy: { keepDays: 1, maxTotalBytes: null, idleGraceMs: DAY_MS },
      heldTaskIds: () => (calls++ === 0 ? [] : ['a']),
      nowMs: NOW,
      dryRun: false,
      deleteBranches: false,
    });
    expect(report.removed).toEqual([]);
    expect(report.failed.map((f) => [f.taskId, f.error])).toEqual([['a', 'the task is held again']]);
    expect(existsSync(join(workDir, 'workspaces', 'a'))).toBe(true);
  });

  it('dry run removes nothing and reports the same plan', async () => {
    await task('a', 2, 9);
    await task('b', 2, 3);
    await task('c', 2, null);
    const opts = { workDir, keepDays: 7, maxTotalBytes: 3 * MB, nowMs: NOW };
    const dry = await gcWorkDir({ ...opts, dryRun: true });
    expect(dry.removed).toEqual([]);
    for (const id of ['a', 'b', 'c']) expect(existsSync(join(workDir, 'workspaces', id))).toBe(true);
    const wet = await gcWorkDir({ ...opts, dryRun: false });
    expect(wet.plan).toEqual(dry.plan);
    expect(wet.removed.map((r) => r.taskId)).toEqual(['a', 'b']);
    expect(dry.freedBytes).toBe(wet.freedBytes);
  });

  it('skips entries that are not workspaces', async () => {
    mkdirSync(join(workDir, 'workspaces', 'no-stack'), { recursive: true });
    mkdirSync(join(workDir, 'workspaces', '.hidden'));
    writeFileSync(join(workDir, 'workspaces', 'file'), 'x');
    const report = await gcWorkDir({ workDir, keepDays: 0, maxTotalBytes: 0, dryRun: false });
    expect(report.skipped).toEqual([
      { name: '.hidden', reason: 'bad_name' },
      { name: 'file', reason: 'not_a_directory' },
      { name: 'no-stack', reason: 'no_stack' },
    ]);
    expect(existsSync(join(workDir, 'workspaces', 'no-stack'))).toBe(true);
    expect(await gcWorkDir({ workDir: join(root, 'nothing-here'), keepDays: 0, maxTotalBytes: 0, dryRun: false })).toMatchObject({ scanned: 0 });
  });

  it('reads and clears the FINISHED marker', async () => {
    const p = await task('m', 0, null, false);
    expect(await readFinishedMarker(p)).toBeNull();
    await markWorkspaceFinished(p, 1_700_000_000_000, 'failed');
    expect(await readFinishedMarker(p)).toBe(1_700_000_000_000);
    await clearWorkspaceFinished(p);
    expect(await readFinishedMarker(p)).toBeNull();
  });
});
