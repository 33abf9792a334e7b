import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { digestTree } from './tree-digest.js';

const tmp = mkdtempSync(join(tmpdir(), 'cortical-tree-digest-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
let n = 0;
function makeTree(files: Record<string, string>): string {
  const dir = join(tmp, `t${n++}`);
  mkdirSync(dir);
  for (const [p, c] of Object.entries(files)) {
    mkdirSync(join(dir, p, '..'), { recursive: true });
    writeFileSync(join(dir, p), c);
  }
  return dir;
}

describe('digestTree', () => {
  it('lists files sorted with their sha256 and size, records symlinks by link text, honours exclude', async () => {
    const dir = makeTree({ 'b.txt': 'bee', 'a/z.txt': 'zed', '.git/HEAD': 'ref' });
    symlinkSync('b.txt', join(dir, 'l'));
    const r = await digestTree(dir, { exclude: ['.git'] });
    expect(r.files.map((f) => f.path)).toEqual(['a/z.txt', 'b.txt', 'l']);
    expect(r.files[1]).toEqual({ path: 'b.txt', sha256: createHash('sha256').update('bee').digest('hex'), bytes: 3 });
    expect(r.files[2]!.bytes).toBe(5);
    expect((await digestTree(dir)).files.some((f) => f.path === '.git/HEAD')).toBe(true);
  });

  it('changes with any content, mode, name or link change', async () => {
    const dir = makeTree({ 'x.sh': 'echo\n' });
    const d0 = (await digestTree(dir)).digest;
    expect((await digestTree(dir)).digest).toBe(d0);
    chmodSync(join(dir, 'x.sh'), 0o755);
    const d1 = (await digestTree(dir)).digest;
    expect(d1).not.toBe(d0);
    writeFileSync(join(dir, 'x.sh'), 'echo!\n');
    expect((await digestTree(dir)).digest).not.toBe(d1);
    // A symlink is not a file with its link text as content.
    const a = makeTree({ f: 'target' });
    const b = makeTree({});
    symlinkSync('target', join(b, 'f'));
    expect((await digestTree(a)).digest).not.toBe((await digestTree(b)).digest);
  });

  it('is a function of the files alone (property)', async () => {
    const name = fc.stringMatching(/^[a-z]{1,6}$/);
    await fc.assert(
      fc.asyncProperty(fc.dictionary(name, fc.string({ maxLength: 20 }), { minKeys: 1, maxKeys: 6 }), fc.dictionary(name, fc.string(), { maxKeys: 3 }), async (files, extra) => {
        const one = makeTree(files);
        const two = makeTree(Object.fromEntries(Object.entries(files).reverse()));
        expect((await digestTree(one)).digest).toBe((await digestTree(two)).digest);
        const changed = { ...files, ...extra };
        const same = Object.entries(changed).every(([k, v]) => files[k] === v) && Object.keys(changed).length === Object.keys(files).length;
        expect((await digestTree(makeTree(changed))).digest === (await digestTree(one)).digest).toBe(same);
      }),
      { numRuns: 25 },
    );
  });
});
