import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { commitGreen, createBlueTarget, type BlueTarget } from './blue-target.js';
import { runGit } from './git-branch-target.js';

describe('release-dir Blue target', () => {
  let tmp: string;
  let root: string;
  let blue: BlueTarget;

  beforeEach(() => {
    tmp = mkdtempSync(join(tmpdir(), 'cortical-blue-rel-'));
    root = join(tmp, 'blue');
    const r1 = join(root, 'releases', 'r1');
    mkdirSync(join(r1, 'bin'), { recursive: true });
    writeFileSync(join(r1, 'app.txt'), 'v1\n');
    writeFileSync(join(r1, 'bin', 'run'), '#!/bin/sh\necho hi\n', { mode: 0o755 });
    symlinkSync('app.txt', join(r1, 'link'));
    symlinkSync('releases/r1', join(root, 'current'));
    blue = createBlueTarget({ kind: 'release-dir', root });
  });
  afterEach(() => rmSync(tmp, { recursive: true, force: true }));

  const greenWith = async (name: string, content: string): Promise<{ dir: string; sha: string }> => {
    const dir = join(tmp, name);
    await blue.checkoutGreen(await blue.golden(), dir);
    writeFileSync(join(dir, 'app.txt'), content);
    return { dir, sha: await commitGreen(dir, 'change') };
  };

  it('checks Green out as a git repository holding exactly the golden release, deterministically', async () => {
    expect(await blue.golden()).toBe('r1');
    const a = join(tmp, 'a');
    const b = join(tmp, 'b');
    await blue.checkoutGreen('r1', a);
    await blue.checkoutGreen('r1', b);
    const headA = (await runGit(['rev-parse', 'HEAD'], { cwd: a })).stdout.trim();
    expect((await runGit(['rev-parse', 'HEAD'], { cwd: b })).stdout.trim()).toBe(headA);
    expect((await runGit(['status', '--porcelain'], { cwd: a })).stdout).toBe('');
    expect((await runGit(['ls-files', '-s'], { cwd: a })).stdout).toMatch(/^100755 [0-9a-f]+ 0\tbin\/run$/m);
    expect(readlinkSync(join(a, 'link'))).toBe('app.txt');
    await expect(blue.checkoutGreen('nope', join(tmp, 'c'))).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(blue.checkoutGreen('r1', a)).rejects.toMatchObject({ code: 'CONFLICT' });
  });

  it('promotes committed files only into a content-addressed release, flips current, rolls back', async () => {
    const d0 = await blue.digest();
    expect(await blue.digest()).toBe(d0);
    const { dir } = await greenWith('green', 'v2\n');
    writeFileSync(join(dir, 'untracked.txt'), 'never committed');
    expect(await blue.digest()).toBe(d0);
    const id = await blue.promote({ golden: 'r1', greenDir: dir });
    expect(id).toMatch(/^[0-9a-f]{32}$/);
    expect(await blue.golden()).toBe(id);
    expect(readlinkSync(join(root, 'current'))).toBe(`releases/${id}`);
    expect(readFileSync(join(root, 'current', 'app.txt'), 'utf8')).toBe('v2\n');
    expect(existsSync(join(root, 'current', 'untracked.txt'))).toBe(false);
    expect(statSync(join(root, 'current', 'bin', 'run')).mode & 0o111).not.toBe(0);
    expect(lstatSync(join(root, 'current', 'link')).isSymbolicLink()).toBe(true);
    expect(readFileSync(join(root, 'releases', 'r1', 'app.txt'), 'utf8')).toBe('v1\n');
    const d1 = await blue.digest();
    expect(d1).not.toBe(d0);
    // Same content promoted again (after a rollback): the same id, the release reused.
    await blue.rollbackTo('r1');
    expect(await blue.golden()).toBe('r1');
    expect(await blue.digest()).not.toBe(d0); // the list of releases changed
    const again = await greenWith('green2', 'v2\n');
    expect(await blue.promote({ golden: 'r1', greenDir: again.dir })).toBe(id);
    expect(readdirSync(join(root, 'releases')).sort()).toEqual([id, 'r1'].sort());
    expect(await blue.digest()).toBe(d1);
    expect(readdirSync(root).sort()).toEqual(['current', 'releases']);
    await expect(blue.rollbackTo('missing')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(blue.rollbackTo('../blue')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('digest sees any byte change in the current release', async () => {
    const d0 = await blue.digest();
    writeFileSync(join(root, 'releases', 'r1', 'app.txt'), 'v1!\n');
    expect(await blue.digest()).not.toBe(d0);
  });

  it('refuses to promote when Blue moved, leaving Blue byte-unchanged', async () => {
    const { dir } = await greenWith('green', 'v2\n');
    mkdirSync(join(root, 'releases', 'r2'));
    writeFileSync(join(root, 'releases', 'r2', 'app.txt'), 'hotfix\n');
    await blue.rollbackTo('r2');
    const before = await blue.digest();
    await expect(blue.promote({ golden: 'r1', greenDir: dir })).rejects.toMatchObject({ code: 'CONFLICT' });
    expect(await blue.golden()).toBe('r2');
    expect(await blue.digest()).toBe(before);
  });

  it('flips atomically: current is always a valid link while promotions and rollbacks run', async () => {
    const { dir } = await greenWith('green', 'v2\n');
    let checks = 0;
    let bad = 0;
    let running = true;
    const watcher = (async () => {
      while (running) {
        try {
          readFileSync(join(root, 'current', 'app.txt'));
        } catch {
          bad++;
        }
        checks++;
        await new Promise((r) => setImmediate(r));
      }
    })();
    for (let i = 0; i < 10; i++) {
      const golden = await blue.golden();
      await blue.promote({ golden, greenDir: dir });
      await blue.rollbackTo('r1');
    }
    running = false;
    await watcher;
    expect(checks).toBeGreaterThan(10);
    expect(bad).toBe(0);
  });

  it('reports a missing current link', async () => {
    rmSync(join(root, 'current'));
    await expect(blue.golden()).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(() => createBlueTarget({ kind: 'release-dir', root: '' })).toThrow(/root/);
  });
});
