import { lstat, readdir, realpath, rm } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';

/** A task id that may name a workspace directory (the same rule as `GitWorkspaces.prepare`). */
export const TASK_ID_RE = /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/;

export interface DiskUsage {
  /** Allocated bytes (like `du`), each hard-linked file once; symlinks are not followed. */
  readonly bytes: number;
  /** Newest mtime of anything under the paths (the paths themselves included); 0 when none exists. */
  readonly newestMtimeMs: number;
}

const BATCH = 64;

/** Walks the trees with lstat only: a symlink counts as itself, never as what it points to. */
export async function diskUsage(paths: readonly string[]): Promise<DiskUsage> {
  const seen = new Set<string>();
  let bytes = 0;
  let newest = 0;
  const visit = async (path: string): Promise<void> => {
    const st = await lstat(path, { bigint: false }).catch(() => null);
    if (st === null) return;
    newest = Math.max(newest, st.mtimeMs);
    const key = `${st.dev}:${st.ino}`;
    if (st.nlink > 1 && !st.isDirectory()) {
      if (seen.has(key)) return;
      seen.add(key);
    }
    bytes += typeof st.blocks === 'number' && st.blocks > 0 ? st.blocks * 512 : st.size;
    if (!st.isDirectory()) return;
    const names = await readdir(path).catch(() => [] as string[]);
    for (let i = 0; i < names.length; i += BATCH) {
      await Promise.all(names.slice(i, i + BATCH).map((n) => visit(join(path, n))));
    }
  };
  for (const p of paths) await visit(p);
  return { bytes, newestMtimeMs: newest };
}

/**
 * The real path of a directory that must be a real directory (not a symlink) itself; null when
 * it does not exist. Throws when it is a symlink or not a directory.
 */
export async function realDirectory(path: string): Promise<string | null> {
  const st = await lstat(path).catch(() => null);
  if (st === null) return null;
  if (st.isSymbolicLink()) throw new Error(`${path} is a symbolic link; refusing to work in it`);
  if (!st.isDirectory()) throw new Error(`${path} is not a directory`);
  return realpath(path);
}

/**
 * Checks that `path` is a real directory (not a symlink) whose real path is a direct child of
 * the real directory `realRoot`; returns that real path. Throws otherwise.
 */
export async function assertChildDirectory(realRoot: string, path: string): Promise<string> {
  const abs = resolve(path);
  const st = await lstat(abs);
  if (st.isSymbolicLink()) throw new Error(`${abs} is a symbolic link; refusing to remove it`);
  if (!st.isDirectory()) throw new Error(`${abs} is not a directory`);
  const real = await realpath(abs);
  if (dirname(real) !== realRoot || !TASK_ID_RE.test(basename(real))) {
    throw new Error(`${abs} resolves to ${real}, which is not directly inside ${realRoot}`);
  }
  return real;
}

/**
 * Deletes a directory directly inside `realRoot` (checked first, see `assertChildDirectory`).
 * Symlinks inside are removed as links; what they point to is never touched.
 */
export async function removeChildDirectory(realRoot: string, path: string): Promise<void> {
  const real = await assertChildDirectory(realRoot, path);
  await rm(real, { recursive: true, force: true, maxRetries: 2 });
}
