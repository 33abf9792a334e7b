import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isCorticalError } from '../../../core/errors.js';
import { GitWorkspaces } from './git-workspace.js';

const run = (cwd: string, ...args: string[]): string =>
  execFileSync('git', args, {
    cwd,
    encoding: 'utf8',
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: 't',
      GIT_AUTHOR_EMAIL: 't@example.com',
      GIT_COMMITTER_NAME: 't',
      GIT_COMMITTER_EMAIL: 't@example.com',
    },
  }).trim();

describe('GitWorkspaces', () => {
  let root: string;
  let repo: string;
  let workDir: string;
  let ws: GitWorkspaces;

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'cortical-ws-'));
    repo = join(root, 'repo');
    workDir = join(root, 'work');
    mkdirSync(repo);
    run(repo, 'init', '-q', '-b', 'main');
    writeFileSync(join(repo, 'README.md'), 'hello\n');
    run(repo, 'add', '.');
    run(repo, 'commit', '-q', '-m', 'first');
    run(repo, 'branch', 'feature');
    writeFileSync(join(repo, 'README.md'), 'hello again\n');
    run(repo, 'commit', '-q', '-am', 'second');
    ws = new GitWorkspaces(workDir);
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('makes a clone of its own on cortical/<taskId> and leaves the user repository alone', async () => {
    writeFileSync(join(repo, 'uncommitted.txt'), 'user work\n');
    const headBefore = run(repo, 'rev-parse', 'HEAD');
    const statusBefore = run(repo, 'status', '--porcelain');
    const refsBefore = run(repo, 'for-each-ref');
    const p = await ws.prepare({ taskId: 't1', prompt: 'do it', repo: { path: repo, baseRef: null } });
    expect(p.path).toBe(join(workDir, 'workspaces', 't1'));
    expect(p.branch).toBe('cortical/t1');
    expect(p.resumed).toBe(false);
    // The sleeve writes its workspace and HOME only: the clone's config and hooks stay the node's.
    expect(p.writablePaths).toEqual([p.homePath]);
    expect(p.readOnlyPaths).toEqual([join(p.path, '.git', 'config'), join(p.path, '.git', 'hooks')]);
    expect(run(p.path, 'rev-parse', '--abbrev-ref', 'HEAD')).toBe('cortical/t1');
    expect(run(p.path, 'rev-parse', 'HEAD')).toBe(headBefore);
    // A clone of its own: no alternates, no hard links into the user's objects, no worktree.
    expect(existsSync(join(p.path, '.git', 'objects', 'info', 'alternates'))).toBe(false);
    expect(run(repo, 'worktree', 'list', '--porcelain').split('\n').filter((l) => l.startsWith('worktree ')).length).toBe(1);
    expect(run(repo, 'rev-parse', '--abbrev-ref', 'HEAD')).toBe('main');
    expect(run(repo, 'rev-parse', 'HEAD')).toBe(headBefore);
    expect(run(repo, 'status', '--porcelain')).toBe(statusBefore);
    expect(run(repo, 'for-each-ref')).toBe(refsBefore);
    expect(readFileSync(join(p.path, '.cstack', 'CURRENT.md'), 'utf8')).toContain('do it');
    expect(existsSync(join(p.path, '.cstack', 'PLAN.md'))).toBe(true);
    expect(existsSync(join(p.path, '.cstack', 'MEMORY.md'))).toBe(true);
    expect(run(p.path, 'status', '--porcelain')).toBe(''); // .cstack/ is excluded
    expect(existsSync(p.homePath)).toBe(true);
    run(repo, 'fsck', '--strict');
  });

  it('publishes checkpoints to cortical/<taskId> only, and a new clone resumes from the published branch', async () => {
    const featureHead = run(repo, 'rev-parse', 'feature');
    const main = run(repo, 'rev-parse', 'main');
    const request = { taskId: 't2', prompt: 'x', repo: { path: repo, baseRef: 'feature' } };
    const p = await ws.prepare(request);
    expect(run(p.path, 'rev-parse', 'HEAD')).toBe(featureHead);
    writeFileSync(join(p.path, '.cstack', 'PLAN.md'), 'my plan\n');
    writeFileSync(join(p.path, 'work.txt'), 'w\n');
    run(p.path, 'add', 'work.txt');
    run(p.path, 'commit', '-q', '-m', 'agent work');
    writeFileSync(join(p.path, 'left-over.txt'), 'uncommitted\n');
    const pub = await ws.publish(p, request, 'cortical: checkpoint after iteration 1');
    expect(pub).toMatchObject({ committed: true, error: null });
    expect(run(repo, 'rev-parse', 'cortical/t2')).toBe(pub.commit);
    expect(run(repo, 'show', 'cortical/t2:left-over.txt')).toBe('uncommitted');
    expect(run(repo, 'ls-tree', '-r', '--name-only', 'cortical/t2')).not.toContain('.cstack');
    expect(run(repo, 'log', '-1', '--format=%s', 'cortical/t2')).toBe('cortical: checkpoint after iteration 1');
    // nothing new: no commit, same branch head
    expect(await ws.publish(p, request, 'again')).toMatchObject({ committed: false, commit: pub.commit, error: null });

    const again = await ws.prepare(request);
    expect(again.resumed).toBe(true);
    expect(readFileSync(join(p.path, '.cstack', 'PLAN.md'), 'utf8')).toBe('my plan\n');
    // The workspace is gone (another node, or GC): a fresh clone continues the published branch.
    rmSync(p.path, { recursive: true, force: true });
    const third = await ws.prepare(request);
    expect(third.resumed).toBe(false);
    expect(readFileSync(join(third.path, 'work.txt'), 'utf8')).toBe('w\n');
    expect(readFileSync(join(third.path, 'left-over.txt'), 'utf8')).toBe('uncommitted\n');
    expect(run(repo, 'rev-parse', 'feature')).toBe(featureHead);
    expect(run(repo, 'rev-parse', 'main')).toBe(main);
    expect(run(repo, 'branch', '--format=%(refname:short)').split('\n').sort()).toEqual(['cortical/t2', 'feature', 'main']);
    run(repo, 'fsck', '--strict');
  });

  it('writeHomeFile replaces a file atomically inside HOME and refuses paths outside it', async () => {
    const p = await ws.prepare({ taskId: 't4', prompt: 'x', repo: null });
    await ws.writeHomeFile(p.homePath, '.cortical/task-token', 'one\n');
    await ws.writeHomeFile(p.homePath, '.cortical/task-token', 'two\n');
    expect(readFileSync(join(p.homePath, '.cortical', 'task-token'), 'utf8')).toBe('two\n');
    await expect(ws.writeHomeFile(p.homePath, '../escape', 'x')).rejects.toThrow(/not a path inside/);
    expect(existsSync(join(p.homePath, '..', 'escape'))).toBe(false);
  });

  it.each([
    ['a missing path', () => join(root, 'nope'), null],
    ['a directory that is not a repository', () => workDirPlain(root), null],
    ['a relative path', () => 'relative/repo', null],
    ['an unknown base ref', () => repo, 'no-such-branch'],
  ])('fails with workspace_failed for %s', async (_name, path, baseRef) => {
    const err: unknown = await ws
      .prepare({ taskId: 't3', prompt: 'x', repo: { path: path(), baseRef } })
      .catch((e: unknown) => e);
    expect(isCorticalError(err)).toBe(true);
    expect(isCorticalError(err) && err.details.reason).toBe('workspace_failed');
  });

  it('makes a plain directory without a repository', async () => {
    const p = await ws.prepare({ taskId: 't4', prompt: 'plain', repo: null });
    expect(p.branch).toBeNull();
    expect(existsSync(join(p.path, '.cstack', 'CURRENT.md'))).toBe(true);
    expect((await ws.prepare({ taskId: 't4', prompt: 'plain', repo: null })).resumed).toBe(true);
  });

  it('records each guidance once in CURRENT.md', async () => {
    const p = await ws.prepare({ taskId: 't5', prompt: 'the prompt', repo: null });
    await ws.recordGuidance(p.path, [{ seq: 2, text: 'second' }, { seq: 1, text: 'first' }]);
    await ws.recordGuidance(p.path, [{ seq: 2, text: 'second' }, { seq: 3, text: 'third' }]);
    const current = readFileSync(join(p.path, '.cstack', 'CURRENT.md'), 'utf8');
    expect(current.indexOf('the prompt')).toBeLessThan(current.indexOf('first'));
    expect(current.indexOf('first')).toBeLessThan(current.indexOf('second'));
    expect(current.match(/second/g)).toHaveLength(1);
    expect(current).toContain('third');
  });

  it.each([
    ['git worktree', true],
    ['plain directory', false],
  ])('fingerprint of a %s sees content changes but not .cstack', async (_name, withRepo) => {
    const p = await ws.prepare({ taskId: 't6', prompt: 'x', repo: withRepo ? { path: repo, baseRef: null } : null });
    const f0 = await ws.fingerprint(p.path);
    expect(await ws.fingerprint(p.path)).toBe(f0);
    writeFileSync(join(p.path, '.cstack', 'MEMORY.md'), 'remembered\n');
    expect(await ws.fingerprint(p.path)).toBe(f0);
    writeFileSync(join(p.path, 'new.txt'), 'a\n');
    const f1 = await ws.fingerprint(p.path);
    expect(f1).not.toBe(f0);
    writeFileSync(join(p.path, 'new.txt'), 'ab\n');
    expect(await ws.fingerprint(p.path)).not.toBe(f1);
  });
});

function workDirPlain(root: string): string {
  const d = join(root, 'plain');
  mkdirSync(d, { recursive: true });
  return d;
}
