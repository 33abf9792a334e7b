import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DIFF_LIMITS, type WorkspaceDiff } from '../../../core/workspace-diff.js';
import { GitWorkspaces } from './git-workspace.js';
import { gitSync as run, hashTree } from './test-repo.js';

/** Everything about a git checkout that the diff must leave alone. */
function gitState(dir: string): string {
  const index = join(run(dir, 'rev-parse', '--path-format=absolute', '--git-path', 'index'));
  return JSON.stringify({
    head: run(dir, 'rev-parse', 'HEAD'),
    symbolic: run(dir, 'symbolic-ref', '-q', 'HEAD'),
    refs: run(dir, 'for-each-ref', '--format=%(refname) %(objectname)'),
    status: run(dir, 'status', '--porcelain=v1', '--untracked-files=all'),
    index: existsSync(index) ? createHash('sha256').update(readFileSync(index)).digest('hex') : 'none',
  });
}

const BINARY = Buffer.from([0, 1, 2, 255, 254, 0, 10, 13, 0, 7]);

/** One change of every kind (a tracked file is renamed with most of its content kept). */
function changeAll(ws: string): void {
  writeFileSync(join(ws, 'a.txt'), 'a\nchanged line\nthird\n');
  unlinkSync(join(ws, 'b.txt'));
  renameSync(join(ws, 'long.txt'), join(ws, 'moved.txt'));
  writeFileSync(join(ws, 'bin.dat'), BINARY);
  mkdirSync(join(ws, 'new dir'), { recursive: true });
  writeFileSync(join(ws, 'new dir', 'ü file.txt'), 'one\ntwo\n');
  writeFileSync(join(ws, '.cstack', 'MEMORY.md'), 'the stack is not part of the diff\n');
}

const LONG = Array.from({ length: 20 }, (_v, i) => `line ${i}`).join('\n') + '\n';

function expectAllKinds(diff: WorkspaceDiff): void {
  const byPath = new Map(diff.files.map((f) => [f.path, f]));
  expect(byPath.get('a.txt')).toEqual({ path: 'a.txt', status: 'modified', additions: 2, deletions: 1 });
  expect(byPath.get('b.txt')).toEqual({ path: 'b.txt', status: 'deleted', additions: 0, deletions: 1 });
  expect(byPath.get('moved.txt')).toEqual({ path: 'moved.txt', status: 'renamed', additions: 0, deletions: 0 });
  expect(byPath.get('bin.dat')).toEqual({ path: 'bin.dat', status: 'added', additions: 0, deletions: 0 });
  expect(byPath.get('new dir/ü file.txt')).toEqual({ path: 'new dir/ü file.txt', status: 'added', additions: 2, deletions: 0 });
  expect(diff.files.map((f) => f.path).some((p) => p.startsWith('.cstack'))).toBe(false);
  expect(diff.files).toHaveLength(5);
  expect(diff.truncated).toBe(false);
  expect(diff.patch).toContain('+changed line');
  expect(diff.patch).toContain('-b\n');
  expect(diff.patch).toMatch(/rename from long\.txt\nrename to moved\.txt/);
  expect(diff.patch).toMatch(/Binary files \/dev\/null and b\/bin\.dat differ/);
  expect(diff.patch).not.toContain('GIT binary patch');
  expect(diff.patch).not.toContain('stack is not part');
}

describe('iteration diff (GitWorkspaces.captureTree / diffTrees)', () => {
  let root: string;
  let repo: string;
  let workDir: string;
  let workspaces: GitWorkspaces;

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'cortical-diff-'));
    repo = join(root, 'repo');
    workDir = join(root, 'work');
    mkdirSync(repo);
    run(repo, 'init', '-q', '-b', 'main');
    writeFileSync(join(repo, '.gitignore'), 'node_modules/\n');
    writeFileSync(join(repo, 'a.txt'), 'a\nb\n');
    writeFileSync(join(repo, 'b.txt'), 'b\n');
    writeFileSync(join(repo, 'long.txt'), LONG);
    run(repo, 'add', '.');
    run(repo, 'commit', '-q', '-m', 'first');
    writeFileSync(join(repo, 'user-wip.txt'), 'the user is working here\n');
    run(repo, 'add', 'user-wip.txt'); // staged in the user's index
    workspaces = new GitWorkspaces(workDir);
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  const prepare = async (taskId: string, withRepo: boolean): Promise<string> =>
    (await workspaces.prepare({ taskId, prompt: 'p', repo: withRepo ? { path: repo, baseRef: null } : null })).path;

  const diffAround = async (ws: string, change: () => void, limits = DIFF_LIMITS): Promise<WorkspaceDiff> => {
    const before = await workspaces.captureTree(ws);
    change();
    const after = await workspaces.captureTree(ws);
    return workspaces.diffTrees(ws, before, after, limits);
  };

  it("a task clone: every kind of change, untracked files included; the clone's and the user's index, HEAD and refs untouched", async () => {
    const ws = await prepare('t1', true);
    const user = gitState(repo);
    let clone = '';
    let tree = '';
    const diff = await diffAround(ws, () => {
      changeAll(ws);
      mkdirSync(join(ws, 'node_modules'));
      writeFileSync(join(ws, 'node_modules', 'dep.js'), 'ignored\n');
      clone = gitState(ws);
      tree = hashTree(ws);
    });
    expectAllKinds(diff);
    expect(diff.files.some((f) => f.path.startsWith('node_modules'))).toBe(false);
    // the agent's changes are all still untracked or unstaged: nothing was added to the clone's index
    expect(gitState(ws)).toBe(clone);
    expect(hashTree(ws)).toBe(tree);
    expect(gitState(repo)).toBe(user);
    expect(run(ws, 'for-each-ref', 'refs/cortical')).toBe('');
  });

  it('a plain directory: the same diff from its private store; the working tree is only read', async () => {
    const ws = await prepare('t2', false);
    writeFileSync(join(ws, 'a.txt'), 'a\nb\n');
    writeFileSync(join(ws, 'b.txt'), 'b\n');
    writeFileSync(join(ws, 'long.txt'), LONG);
    let tree = '';
    const diff = await diffAround(ws, () => {
      changeAll(ws);
      tree = hashTree(ws);
    });
    expectAllKinds(diff);
    expect(hashTree(ws)).toBe(tree);
    expect(existsSync(join(ws, '.git'))).toBe(false);
  });

  it("a linked git worktree: the diff is right; the worktree's and the repository's index, HEAD and refs untouched", async () => {
    mkdirSync(join(workDir, 'workspaces'), { recursive: true });
    const ws = join(workDir, 'workspaces', 't3');
    run(repo, 'worktree', 'add', '-q', '-b', 'cortical/t3', ws);
    mkdirSync(join(ws, '.cstack'));
    const user = gitState(repo);
    let wt = '';
    const diff = await diffAround(ws, () => {
      changeAll(ws);
      wt = gitState(ws);
    });
    expectAllKinds(diff);
    expect(gitState(ws)).toBe(wt);
    expect(gitState(repo)).toBe(user);
  });

  it('an unchanged workspace gives the same tree and an empty diff', async () => {
    const ws = await prepare('t4', true);
    writeFileSync(join(ws, 'untracked.txt'), 'stays\n');
    const before = await workspaces.captureTree(ws);
    writeFileSync(join(ws, '.cstack', 'PLAN.md'), 'only the stack changed\n');
    const after = await workspaces.captureTree(ws);
    expect(after).toBe(before);
    expect(await workspaces.diffTrees(ws, before, after, DIFF_LIMITS)).toEqual({ files: [], patch: '', truncated: false });
  });

  it('cuts the patch at its byte limit on a line end and the file list at its count', async () => {
    const ws = await prepare('t5', false);
    const big = Array.from({ length: 5000 }, (_v, i) => `añadido ${i} ${'x'.repeat(20)}`).join('\n') + '\n';
    const limits = { maxPatchBytes: 64 * 1024, maxFiles: 500 };
    const diff = await diffAround(ws, () => writeFileSync(join(ws, 'big.txt'), big), limits);
    expect(diff.truncated).toBe(true);
    expect(diff.files).toEqual([{ path: 'big.txt', status: 'added', additions: 5000, deletions: 0 }]);
    expect(Buffer.byteLength(diff.patch)).toBeLessThanOrEqual(64 * 1024);
    expect(Buffer.byteLength(diff.patch)).toBeGreaterThan(60 * 1024);
    expect(diff.patch.endsWith('\n')).toBe(true);
    expect(diff.patch).not.toContain('\uFFFD');

    const many = await diffAround(ws, () => {
      for (let i = 0; i < 7; i++) writeFileSync(join(ws, `f${i}.txt`), `${i}\n`);
    }, { maxPatchBytes: 64 * 1024, maxFiles: 3 });
    expect(many.files.map((f) => f.path)).toEqual(['f0.txt', 'f1.txt', 'f2.txt']);
    expect(many.truncated).toBe(true);
  });

  it('refuses ids that are not object ids and directories outside the workspaces', async () => {
    const ws = await prepare('t6', false);
    const t = await workspaces.captureTree(ws);
    await expect(workspaces.diffTrees(ws, t, '--output=/tmp/x', DIFF_LIMITS)).rejects.toThrow(/not a tree id/);
    await expect(workspaces.captureTree(repo)).rejects.toThrow(/not directly inside/);
  });
});
