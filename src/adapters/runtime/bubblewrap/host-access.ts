import { chmodSync, lchownSync, lstatSync, readdirSync, statSync } from 'node:fs';
import { lchown, lstat, readdir } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { dirname, join, resolve, sep } from 'node:path';

/** The host identity a sandbox runs as (never root when the node is root). */
export interface HostIdentity {
  readonly uid: number;
  readonly gid: number;
}

/**
 * Refuses to hand over a tree that is not clearly a workspace: the root or a top-level directory
 * (/tmp, /home, /work …), a tree holding the system temp or home directory or this process's
 * working directory, or one holding a hidden path (the node's credential, HQ's data).
 */
export function assertHandOverSafe(path: string, hiddenPaths: readonly string[]): void {
  const p = resolve(path);
  const within = (a: string, b: string): boolean => a === b || a.startsWith(b.endsWith(sep) ? b : b + sep);
  const refuse = (why: string): never => {
    throw new Error(`refusing to hand ${p} over to the sandbox user: ${why}`);
  };
  if (p.split(sep).filter((s) => s !== '').length < 2) refuse('it is a top-level directory');
  for (const shared of [resolve(tmpdir()), resolve(homedir()), resolve(process.cwd())]) {
    if (within(shared, p)) refuse(`it contains ${shared}`);
  }
  for (const h of hiddenPaths) {
    if (within(resolve(h), p)) refuse(`it contains the hidden path ${h}`);
  }
}

/**
 * Gives `who` ownership of everything under `root` that it does not own yet (the workspace and
 * writable paths of a sleeve whose node runs as root). Symbolic links are changed, not followed.
 * Repeat calls only touch new entries. Call `assertHandOverSafe` first.
 */
export async function chownTree(root: string, who: HostIdentity): Promise<void> {
  const stack = [resolve(root)];
  while (stack.length > 0) {
    const path = stack.pop()!;
    let st;
    try {
      st = await lstat(path);
    } catch {
      continue;
    }
    if (st.uid !== who.uid || st.gid !== who.gid) await lchown(path, who.uid, who.gid).catch(() => undefined);
    if (!st.isDirectory()) continue;
    try {
      for (const n of await readdir(path)) stack.push(join(path, n));
    } catch {
      // unreadable: skip
    }
  }
}

/**
 * `chownTree` done synchronously for small trees (a claim of a warm sleeve must not wait on the
 * thread pool once per file): walks at most `maxEntries` entries without yielding, and returns
 * false, having changed nothing it could not finish, when the tree is bigger (then use
 * `chownTree`, which does not block the event loop for long).
 */
export function chownSmallTreeSync(root: string, who: HostIdentity, maxEntries = 256): boolean {
  const stack = [resolve(root)];
  const todo: string[] = [];
  let seen = 0;
  while (stack.length > 0) {
    const path = stack.pop()!;
    if (++seen > maxEntries) return false;
    let st;
    try {
      st = lstatSync(path);
    } catch {
      continue;
    }
    if (st.uid !== who.uid || st.gid !== who.gid) todo.push(path);
    if (!st.isDirectory()) continue;
    try {
      for (const n of readdirSync(path)) stack.push(join(path, n));
    } catch {
      // unreadable: skip
    }
  }
  for (const p of todo) {
    try {
      lchownSync(p, who.uid, who.gid);
    } catch {
      // gone meanwhile
    }
  }
  return true;
}

/**
 * Makes every directory above `path` searchable by `who` (adds the search bit for others where
 * `who` has none), so that bwrap, running as `who`, can reach a bind source. Search without read
 * reveals no names; what lies below keeps its own permissions. Synchronous: a handful of stat
 * calls, done on every sleeve start.
 */
export function ensureSearchable(path: string, who: HostIdentity): void {
  const dirs: string[] = [];
  for (let d = dirname(resolve(path)); ; d = dirname(d)) {
    dirs.push(d);
    if (d === dirname(d)) break;
  }
  for (const d of dirs.reverse()) {
    let st;
    try {
      st = statSync(d);
    } catch {
      return;
    }
    const bit = st.uid === who.uid ? 0o100 : st.gid === who.gid ? 0o010 : 0o001;
    if ((st.mode & bit) === 0) {
      try {
        chmodSync(d, (st.mode & 0o7777) | 0o001);
      } catch {
        // left as it is: bwrap then reports the path it cannot reach
      }
    }
  }
}
