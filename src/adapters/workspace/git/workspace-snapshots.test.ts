import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GitWorkspaces } from './git-workspace.js';
import { gitSync as run, hashTree } from './test-repo.js';
import { GitWorkspaceSnapshots } from './workspace-snapshots.js';

describe('GitWorkspaceSnapshots', () => {
  let root: string;
  let repo: string;
  let workDir: string;
  let snaps: GitWorkspaceSnapshots;
  let refsBefore: string;

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'cortical-snap-'));
    repo = join(root, 'repo');
    workDir = join(root, 'work');
    mkdirSync(repo);
    run(repo, 'init', '-q', '-b', 'main');
    writeFileSync(join(repo, '.gitignore'), 'node_modules/\n*.log\n');
    writeFileSync(join(repo, 'a.txt'), 'a\n');
    writeFileSync(join(repo, 'b.txt'), 'b\n');
    mkdirSync(join(repo, 'src'));
    writeFileSync(join(repo, 'src', 'main.ts'), 'export {};\n');
    run(repo, 'add', '.');
    run(repo, 'commit', '-q', '-m', 'first');
    run(repo, 'branch', 'feature');
    writeFileSync(join(repo, 'user-wip.txt'), 'the user is working here\n');
    refsBefore = run(repo, 'for-each-ref', '--format=%(refname) %(objectname)', 'refs/heads', 'refs/tags');
    snaps = new GitWorkspaceSnapshots(workDir);
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  const prepare = async (taskId: string, withRepo: boolean): Promise<string> =>
    (await new GitWorkspaces(workDir).prepare({ taskId, prompt: 'p', repo: withRepo ? { path: repo, baseRef: null } : null })).path;

  /** Modifies, adds (text, binary, executable, symlink, untracked dir) and deletes files. */
  const changeSome = (ws: string): void => {
    writeFileSync(join(ws, 'a.txt'), 'a changed\n');
    if (existsSync(join(ws, 'b.txt'))) unlinkSync(join(ws, 'b.txt'));
    writeFileSync(join(ws, 'bin.dat'), Buffer.from([0, 1, 2, 255, 254, 0, 10, 13]));
    mkdirSync(join(ws, 'new', 'deep'), { recursive: true });
    writeFileSync(join(ws, 'new', 'deep', 'x.txt'), 'x\n');
    writeFileSync(join(ws, 'run.sh'), '#!/bin/sh\necho hi\n');
    chmodSync(join(ws, 'run.sh'), 0o755);
    symlinkSync('a.txt', join(ws, 'link'));
  };

  const changeMore = (ws: string): void => {
    writeFileSync(join(ws, 'a.txt'), 'changed again\n');
    writeFileSync(join(ws, 'b.txt'), 'b is back but different\n');
    rmSync(join(ws, 'new'), { recursive: true });
    writeFileSync(join(ws, 'bin.dat'), Buffer.from([9, 9, 9]));
    chmodSync(join(ws, 'run.sh'), 0o644);
    unlinkSync(join(ws, 'link'));
    mkdirSync(join(ws, 'later'));
    writeFileSync(join(ws, 'later', 'created-after.txt'), 'gone after revert\n');
    writeFileSync(join(ws, '.cstack', 'MEMORY.md'), 'memory written after the snapshot\n');
    writeFileSync(join(ws, '.cstack', 'NOTES.md'), 'new stack file\n');
  };

  it('reverts a task clone exactly, keeps HEAD, the branch, .cstack and ignored files', async () => {
    const ws = await prepare('t1', true);
    changeSome(ws);
    mkdirSync(join(ws, 'node_modules'));
    writeFileSync(join(ws, 'node_modules', 'dep.js'), 'ignored\n');
    const want = hashTree(ws);
    const s = await snaps.snapshot(ws, 'before the risky part');
    expect(s.label).toBe('before the risky part');
    expect(s.trackedCommit).toBe(run(ws, 'rev-parse', 'HEAD'));
    expect(s.untrackedBytes).toBeGreaterThan(0);
    // the agent commits and changes more
    run(ws, 'add', '-A');
    run(ws, 'commit', '-q', '-m', 'agent commit');
    const agentHead = run(ws, 'rev-parse', 'HEAD');
    changeMore(ws);
    expect(hashTree(ws)).not.toBe(want);

    const r = await snaps.revert(ws, s.id);
    expect(r.removed).toBeGreaterThan(0);
    expect(hashTree(ws)).toBe(want);
    expect(existsSync(join(ws, 'later'))).toBe(false);
    expect(readFileSync(join(ws, 'node_modules', 'dep.js'), 'utf8')).toBe('ignored\n');
    expect(readFileSync(join(ws, '.cstack', 'MEMORY.md'), 'utf8')).toBe('memory written after the snapshot\n');
    expect(existsSync(join(ws, '.cstack', 'NOTES.md'))).toBe(true);
    expect(run(ws, 'rev-parse', 'HEAD')).toBe(agentHead);
    expect(run(ws, 'rev-parse', '--abbrev-ref', 'HEAD')).toBe('cortical/t1');
    // the user's repository: checkout, HEAD, branches untouched; no snapshot in the branch list
    expect(run(repo, 'rev-parse', '--abbrev-ref', 'HEAD')).toBe('main');
    expect(readFileSync(join(repo, 'user-wip.txt'), 'utf8')).toBe('the user is working here\n');
    const refsNow = run(repo, 'for-each-ref', '--format=%(refname) %(objectname)', 'refs/heads', 'refs/tags');
    expect(refsNow.split('\n').filter((l) => !l.startsWith('refs/heads/cortical/'))).toEqual(
      refsBefore.split('\n').filter((l) => !l.startsWith('refs/heads/cortical/')),
    );
    // the task's clone holds the snapshot refs; the user's repository gains nothing
    expect(run(repo, 'branch', '--format=%(refname:short)').split('\n').sort()).toEqual(['feature', 'main']);
    expect(run(repo, 'for-each-ref', '--format=%(refname)', 'refs/cortical/')).toBe('');
    expect(run(ws, 'for-each-ref', '--format=%(refname)', 'refs/cortical/snapshots/t1/')).toBe(`refs/cortical/snapshots/t1/${s.id}`);
    expect(run(ws, 'rev-parse', '--abbrev-ref', 'HEAD')).toBe('cortical/t1');
    run(repo, 'fsck', '--full', '--strict', '--no-progress');
  });

  it('restores the index when HEAD has not moved', async () => {
    const ws = await prepare('t2', true);
    writeFileSync(join(ws, 'staged.txt'), 'staged\n');
    run(ws, 'add', 'staged.txt');
    writeFileSync(join(ws, 'a.txt'), 'unstaged change\n');
    const statusBefore = run(ws, 'status', '--porcelain', '--', '.', ':(exclude).cstack');
    const s = await snaps.snapshot(ws, 'wip');
    run(ws, 'reset', '-q', '--hard');
    run(ws, 'clean', '-q', '-fd', '-e', '.cstack');
    await snaps.revert(ws, s.id);
    expect(run(ws, 'status', '--porcelain', '--', '.', ':(exclude).cstack')).toBe(statusBefore);
  });

  it('snapshots and reverts a plain directory in its private store', async () => {
    const ws = await prepare('p1', false);
    // the agent's own repository in the plain directory is neither recorded nor touched
    mkdirSync(join(ws, '.git'));
    writeFileSync(join(ws, '.git', 'HEAD'), 'ref: refs/heads/agent\n');
    writeFileSync(join(ws, 'a.txt'), 'a\n');
    writeFileSync(join(ws, 'b.txt'), 'b\n');
    changeSome(ws);
    const want = hashTree(ws);
    const s = await snaps.snapshot(ws, 'plain');
    expect(s.trackedCommit).toBeNull();
    expect(s.untrackedBytes).toBeGreaterThan(0);
    changeMore(ws);
    await snaps.revert(ws, s.id);
    expect(hashTree(ws)).toBe(want);
    expect(existsSync(join(ws, '.cstack', 'NOTES.md'))).toBe(true);
    expect(existsSync(join(ws, '.cstack', 'snapshots.git'))).toBe(true);
    expect(readFileSync(join(ws, '.git', 'HEAD'), 'utf8')).toBe('ref: refs/heads/agent\n');
    // a second snapshot/revert round trip
    writeFileSync(join(ws, 'c.txt'), 'c\n');
    const want2 = hashTree(ws);
    const s2 = await snaps.snapshot(ws, 'second');
    unlinkSync(join(ws, 'c.txt'));
    await snaps.revert(ws, s2.id);
    expect(hashTree(ws)).toBe(want2);
    await snaps.revert(ws, s.id);
    expect(hashTree(ws)).toBe(want);
  });

  it('sees a file rewritten with the same size in the second it was snapshotted (racy git), in a clone and a plain directory', async () => {
    const startOfSecond = async (): Promise<void> => {
      while (Date.now() % 1000 > 100) await new Promise((r) => setTimeout(r, 5));
    };
    const nextSecond = (): Promise<void> => new Promise((r) => setTimeout(r, 1000 - (Date.now() % 1000) + 20));
    for (const [taskId, withRepo] of [['racy-clone', true], ['racy-plain', false]] as const) {
      const ws = await prepare(taskId, withRepo);
      for (let round = 0; round < 2; round++) {
        await startOfSecond();
        writeFileSync(join(ws, 'same.txt'), 'golden\n');
        const golden = await snaps.snapshot(ws, 'golden');
        writeFileSync(join(ws, 'same.txt'), 'broken\n'); // same size, same second
        await nextSecond();
        const broken = await snaps.snapshot(ws, 'broken');
        await snaps.revert(ws, golden.id);
        expect(readFileSync(join(ws, 'same.txt'), 'utf8'), `${taskId} round ${round}`).toBe('golden\n');
        await snaps.revert(ws, broken.id);
        expect(readFileSync(join(ws, 'same.txt'), 'utf8'), `${taskId} round ${round}`).toBe('broken\n');
      }
    }
  }, 30_000);

  it('ignores commands an agent plants in the plain store and refuses a symlinked store', async () => {
    const ws = await prepare('p2', false);
    writeFileSync(join(ws, 'a.txt'), 'a\n');
    await snaps.snapshot(ws, 'first');
    const planted = join(root, 'planted');
    writeFileSync(
      join(ws, '.cstack', 'snapshots.git', 'config'),
      `[core]\n\tbare = true\n\tfsmonitor = touch ${planted}-fsmonitor\n[filter "x"]\n\tclean = touch ${planted}-filter\n\trequired = true\n`,
    );
    writeFileSync(join(ws, '.gitattributes'), '* filter=x\n');
    writeFileSync(join(ws, 'a.txt'), 'changed\n');
    const s = await snaps.snapshot(ws, 'second');
    await snaps.revert(ws, s.id);
    expect(existsSync(`${planted}-fsmonitor`)).toBe(false);
    expect(existsSync(`${planted}-filter`)).toBe(false);
    // a store replaced by a link to the user's repository is refused before any git command
    rmSync(join(ws, '.cstack', 'snapshots.git'), { recursive: true });
    symlinkSync(join(repo, '.git'), join(ws, '.cstack', 'snapshots.git'));
    const configBefore = readFileSync(join(repo, '.git', 'config'), 'utf8');
    await expect(snaps.snapshot(ws, 'x')).rejects.toThrow(/not a plain directory/);
    expect(readFileSync(join(repo, '.git', 'config'), 'utf8')).toBe(configBefore);
    expect(run(repo, 'for-each-ref', 'refs/cortical')).toBe('');
  });

  it('lists oldest first and removes', async () => {
    let t = 1_700_000_000_000;
    snaps = new GitWorkspaceSnapshots(workDir, () => (t += 1000));
    const ws = await prepare('t3', true);
    const a = await snaps.snapshot(ws, 'one\nwith a newline');
    const b = await snaps.snapshot(ws, 'two');
    const listed = await snaps.list(ws);
    expect(listed.map((x) => x.id)).toEqual([a.id, b.id]);
    expect(listed[0]).toEqual(a);
    expect(a.label).toBe('one with a newline');
    expect(await snaps.remove(ws, a.id)).toBe(true);
    expect(await snaps.remove(ws, a.id)).toBe(false);
    expect((await snaps.list(ws)).map((x) => x.id)).toEqual([b.id]);
    await expect(snaps.revert(ws, a.id)).rejects.toThrow(/not found/);
    await expect(snaps.revert(ws, '../../heads/main')).rejects.toThrow(/invalid/);
    run(repo, 'fsck', '--full', '--strict', '--no-progress');
  });

  it('refuses directories outside <workDir>/workspaces and the user checkout', async () => {
    await prepare('t4', true);
    await expect(snaps.snapshot(repo, 'x')).rejects.toThrow();
    const outside = join(root, 'elsewhere');
    mkdirSync(outside);
    symlinkSync(outside, join(workDir, 'workspaces', 'evil'));
    await expect(snaps.snapshot(join(workDir, 'workspaces', 'evil'), 'x')).rejects.toThrow(/symbolic link/);
    expect(run(repo, 'for-each-ref', 'refs/cortical')).toBe('');
  });

  it('measures revert of a workspace of ~2,000 files / ~50 MB', async () => {
    const ws = await prepare('big', true);
    const chunk = Buffer.alloc(25_000);
    for (let d = 0; d < 40; d++) {
      mkdirSync(join(ws, 'gen', `d${d}`), { recursive: true });
      for (let f = 0; f < 50; f++) {
        chunk.writeUInt32LE(d * 1000 + f, 0);
        writeFileSync(join(ws, 'gen', `d${d}`, `f${f}.bin`), chunk);
      }
    }
    const want = hashTree(ws);
    let t0 = performance.now();
    const s = await snaps.snapshot(ws, 'big');
    const snapMs = performance.now() - t0;
    // change 10% of the files, delete 100, add 200
    for (let d = 0; d < 40; d++) writeFileSync(join(ws, 'gen', `d${d}`, 'f0.bin'), 'changed');
    for (let d = 0; d < 20; d++) for (let f = 1; f < 6; f++) unlinkSync(join(ws, 'gen', `d${d}`, `f${f}.bin`));
    mkdirSync(join(ws, 'extra'));
    for (let i = 0; i < 200; i++) writeFileSync(join(ws, 'extra', `n${i}.txt`), `n${i}`);
    t0 = performance.now();
    const r = await snaps.revert(ws, s.id);
    const revertMs = performance.now() - t0;
    expect(hashTree(ws)).toBe(want);
    t0 = performance.now();
    await snaps.snapshot(ws, 'unchanged');
    const snap2Ms = performance.now() - t0;
    rmSync(join(ws, 'gen'), { recursive: true });
    t0 = performance.now();
    const full = await snaps.revert(ws, s.id);
    const fullMs = performance.now() - t0;
    expect(hashTree(ws)).toBe(want);
    console.log(
      `snapshot of 2,000 files / 50 MB: ${snapMs.toFixed(0)} ms; revert (${r.written} written, ${r.removed} removed): ${revertMs.toFixed(0)} ms; ` +
        `second snapshot: ${snap2Ms.toFixed(0)} ms; full revert (${full.written} written): ${fullMs.toFixed(0)} ms`,
    );
  }, 120_000);
});
