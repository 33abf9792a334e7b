import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { git } from './git.js';

export const STACK_DIR = '.cstack';

async function hashFile(path: string): Promise<string> {
  const st = await lstat(path).catch(() => null);
  if (st === null) return 'missing';
  if (!st.isFile()) return `${st.isDirectory() ? 'dir' : 'other'}:${st.size}`;
  const h = createHash('sha256');
  await new Promise<void>((resolve) => {
    createReadStream(path)
      .on('data', (c) => h.update(c))
      .on('end', () => resolve())
      .on('error', () => resolve());
  });
  return h.digest('hex');
}

/**
 * A git worktree's fingerprint: HEAD, `git status` and the content of every changed or
 * untracked file (so editing an already-modified file counts as a change). `.cstack/` is left out.
 */
export async function gitFingerprint(dir: string): Promise<string> {
  const head = await git(['rev-parse', '--verify', '-q', 'HEAD'], { cwd: dir });
  const status = await git(
    ['status', '--porcelain=v1', '-z', '--untracked-files=all', '--', '.', `:(exclude)${STACK_DIR}`],
    { cwd: dir },
  );
  const h = createHash('sha256');
  h.update(`head:${head.ok ? head.stdout.trim() : 'none'}\n`);
  h.update(status.stdout);
  const entries = status.stdout.split('\0').filter((e) => e.length > 3);
  for (const entry of entries) {
    const path = entry.slice(3);
    h.update(`\0${path}:${await hashFile(join(dir, path))}`);
  }
  return h.digest('hex');
}

/** A plain directory's fingerprint: names, sizes and modification times, `.cstack/` left out. */
export async function treeFingerprint(dir: string): Promise<string> {
  const h = createHash('sha256');
  const walk = async (rel: string): Promise<void> => {
    const names = (await readdir(join(dir, rel)).catch(() => [] as string[])).sort();
    for (const name of names) {
      const path = rel === '' ? name : `${rel}/${name}`;
      if (path === STACK_DIR) continue;
      const st = await lstat(join(dir, path)).catch(() => null);
      if (st === null) continue;
      h.update(`${path}\0${st.isDirectory() ? 'd' : 'f'}\0${st.size}\0${st.mtimeMs}\n`);
      if (st.isDirectory()) await walk(path);
    }
  };
  await walk('');
  return h.digest('hex');
}
