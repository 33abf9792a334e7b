import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { commitGreen, createBlueTarget, type BlueTarget } from './blue-target.js';

const ID = { GIT_AUTHOR_NAME: 'd', GIT_AUTHOR_EMAIL: 'd@example.com', GIT_COMMITTER_NAME: 'd', GIT_COMMITTER_EMAIL: 'd@example.com' };
function g(cwd: string, ...args: string[]): string {
  const env: NodeJS.ProcessEnv = { ...process.env, ...ID };
  delete env.GIT_DIR;
  delete env.GIT_WORK_TREE;
  delete env.GIT_INDEX_FILE;
  return execFileSync('git', args, { cwd, encoding: 'utf8', env }).trim();
}

describe.each([false, true])('git-branch Blue target (bare repo: %s)', (bare) => {
  let tmp: string;
  let repo: string;
  let blue: BlueTarget;

  beforeEach(() => {
    tmp = mkdtempSync(join(tmpdir(), 'cortical-blue-git-'));
    const seed = join(tmp, 'seed');
    g(tmp, 'init', '-q', '-b', 'main', seed);
    writeFileSync(join(seed, 'app.txt'), 'v1\n');
    writeFileSync(join(seed, 'run.sh'), '#!/bin/sh\necho hi\n', { mode: 0o755 });
    g(seed, 'add', '-A');
    g(seed, 'commit', '-q', '-m', 'v1');
    if (bare) {
      repo = join(tmp, 'blue.git');
      g(tmp, 'clone', '-q', '--bare', seed, repo);
    } else {
      repo = seed;
    }
    blue = createBlueTarget({ kind: 'git-branch', repo, branch: 'main' });
  });
  afterEach(() => rmSync(tmp, { recursive: true, force: true }));

  const greenWith = async (name: string, golden: string, content: string): Promise<{ dir: string; sha: string }> => {
    const dir = join(tmp, name);
    await blue.checkoutGreen(golden, dir);
    writeFileSync(join(dir, 'app.txt'), content);
    writeFileSync(join(dir, 'new.txt'), 'added\n');
    return { dir, sha: await commitGreen(dir, 'green change') };
  };

  it('reads golden, checks Green out at it without a remote back to Blue', async () => {
    const golden = await blue.golden();
    expect(golden).toBe(g(repo, 'rev-parse', 'refs/heads/main'));
    const dir = join(tmp, 'green');
    await blue.checkoutGreen(golden, dir);
    expect(g(dir, 'rev-parse', 'HEAD')).toBe(golden);
    expect(g(dir, 'rev-parse', '--abbrev-ref', 'HEAD')).toBe('green');
    expect(readFileSync(join(dir, 'app.txt'), 'utf8')).toBe('v1\n');
    expect(g(dir, 'remote')).toBe('');
    await expect(blue.checkoutGreen(golden, dir)).rejects.toMatchObject({ code: 'CONFLICT' });
  });

  it('commits deterministically: the same change on the same base gives the same sha; no change keeps golden', async () => {
    const golden = await blue.golden();
    const a = await greenWith('a', golden, 'v2\n');
    const b = await greenWith('b', golden, 'v2\n');
    expect(a.sha).toMatch(/^[0-9a-f]{40}$/);
    expect(a.sha).not.toBe(golden);
    expect(b.sha).toBe(a.sha);
    const c = join(tmp, 'c');
    await blue.checkoutGreen(golden, c);
    expect(await commitGreen(c, 'nothing')).toBe(golden);
  });

  it('promotes by compare-and-swap, digests change only on change, rolls back', async () => {
    const golden = await blue.golden();
    const d0 = await blue.digest();
    expect(await blue.digest()).toBe(d0);
    const { dir, sha } = await greenWith('green', golden, 'v2\n');
    writeFileSync(join(dir, 'untracked.txt'), 'not committed');
    expect(await blue.digest()).toBe(d0);
    const worktreeBefore = bare ? '' : readFileSync(join(repo, 'app.txt'), 'utf8');
    expect(await blue.promote({ golden, greenDir: dir })).toBe(sha);
    expect(await blue.golden()).toBe(sha);
    expect(g(repo, 'show', `${sha}:app.txt`)).toBe('v2');
    const d1 = await blue.digest();
    expect(d1).not.toBe(d0);
    expect(await blue.digest()).toBe(d1);
    if (!bare) expect(readFileSync(join(repo, 'app.txt'), 'utf8')).toBe(worktreeBefore); // deployers read the ref
    await blue.rollbackTo(golden);
    expect(await blue.golden()).toBe(golden);
    expect(await blue.digest()).toBe(d0);
    await expect(blue.rollbackTo('0'.repeat(40))).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(blue.rollbackTo('main~1')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('refuses to promote when Blue moved, leaving Blue byte-unchanged', async () => {
    const golden = await blue.golden();
    const { dir } = await greenWith('green', golden, 'v2\n');
    // Someone else moves Blue.
    const other = await greenWith('other', golden, 'hotfix\n');
    const moved = await blue.promote({ golden, greenDir: other.dir });
    const before = await blue.digest();
    await expect(blue.promote({ golden, greenDir: dir })).rejects.toMatchObject({ code: 'CONFLICT' });
    expect(await blue.golden()).toBe(moved);
    expect(await blue.digest()).toBe(before);
  });

  it('reports a missing branch and rejects bad specs', async () => {
    const t = createBlueTarget({ kind: 'git-branch', repo, branch: 'nope' });
    await expect(t.golden()).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(() => createBlueTarget({ kind: 'git-branch', repo, branch: '--upload-pack=x' })).toThrow(/branch/);
    expect(() => createBlueTarget({ kind: 'git-branch', repo, branch: 'a..b' })).toThrow(/not a valid git branch/);
    expect(existsSync(repo)).toBe(true);
  });
});
