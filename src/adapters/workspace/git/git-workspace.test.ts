import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync, existsSync, realpathSync } from 'node:fs';
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

  it('makes a worktree on cortical/<taskId> and leaves the user checkout alone', async () => {
    writeFileSync(join(repo, 'uncommitted.txt'), 'user work\n');
    const headBefore = run(repo, 'rev-parse', 'HEAD');
    const statusBefore = run(repo, 'status', '--porcelain');
    const p = await ws.prepare({ taskId: 't1', prompt: 'do it', repo: { path: repo, baseRef: null } });
    expect(p.path).toBe(join(workDir, 'workspaces', 't1'));
    expect(p.branch).toBe('cortical/t1');
    expect(p.resumed).toBe(false);
    // The sleeve may write the shared git dir (objects, refs) and its HOME, never hooks or config.
    const gitDir = realpathSync(join(repo, '.git'));
    expect(p.writablePaths).toEqual([p.homePath, gitDir]);
    expect(p.readOnlyPaths).toEqual([join(gitDir, 'hooks'), join(gitDir, 'config')]);
    expect(run(p.path, 'rev-parse', '--abbrev-ref', 'HEAD')).toBe('cortical/t1');
    expect(run(p.path, 'rev-parse', 'HEAD')).toBe(headBefore);
    expect(run(repo, 'rev-parse', '--abbrev-ref', 'HEAD')).toBe('main');
    expect(run(repo, 'rev-parse', 'HEAD')).toBe(headBefore);
    expect(run(repo, 'status', '--porcelain')).toBe(statusBefore);
    expect(run(repo, 'branch', '--format=%(refname:short)').split('\n').sort()).toEqual(['cortical/t1', 'feature', 'main']);
    expect(readFileSync(join(p.path, '.cstack', 'CURRENT.md'), 'utf8')).toContain('do it');
    expect(existsSync(join(p.path, '.cstack', 'PLAN.md'))).toBe(true);
    expect(existsSync(join(p.path, '.cstack', 'MEMORY.md'))).toBe(true);
    expect(existsSync(p.homePath)).toBe(true);
    run(repo, 'fsck', '--strict');
  });

  it('starts from baseRef and reuses the workspace (resume) and the branch', async () => {
    const featureHead = run(repo, 'rev-parse', 'feature');
    const p = await ws.prepare({ taskId: 't2', prompt: 'x', repo: { path: repo, baseRef: 'feature' } });
    expect(run(p.path, 'rev-parse', 'HEAD')).toBe(featureHead);
    writeFileSync(join(p.path, '.cstack', 'PLAN.md'), 'my plan\n');
    writeFileSync(join(p.path, 'work.txt'), 'w\n');
    run(p.path, 'add', 'work.txt');
    run(p.path, 'commit', '-q', '-m', 'agent work');
    const again = await ws.prepare({ taskId: 't2', prompt: 'x', repo: { path: repo, baseRef: 'feature' } });
    expect(again.resumed).toBe(true);
    expect(readFileSync(join(p.path, '.cstack', 'PLAN.md'), 'utf8')).toBe('my plan\n');
    // the worktree is gone but the branch stays: the branch is checked out again
    run(repo, 'worktree', 'remove', '--force', p.path);
    const third = await ws.prepare({ taskId: 't2', prompt: 'x', repo: { path: repo, baseRef: 'feature' } });
    expect(third.resumed).toBe(false);
    expect(readFileSync(join(third.path, 'work.txt'), 'utf8')).toBe('w\n');
    expect(run(repo, 'rev-parse', 'feature')).toBe(featureHead);
    run(repo, 'fsck', '--strict');
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
