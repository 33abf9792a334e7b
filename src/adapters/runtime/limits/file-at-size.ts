import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * A regular file under one of `roots` whose size is exactly `bytes`, or null. Used after a
 * failed sleeve to tell a file-size-limit death apart when the writer got EFBIG instead of
 * SIGXFSZ (Node.js ignores SIGXFSZ): a write cut at the limit leaves a file of exactly that size.
 * Looks at no more than `maxEntries` entries.
 */
export async function fileAtSize(roots: readonly string[], bytes: number, maxEntries = 20_000): Promise<string | null> {
  const stack = [...roots];
  let seen = 0;
  while (stack.length > 0 && seen < maxEntries) {
    const path = stack.pop()!;
    seen += 1;
    let st;
    try {
      st = await lstat(path);
    } catch {
      continue;
    }
    if (st.isFile() && st.size === bytes) return path;
    if (!st.isDirectory()) continue;
    try {
      for (const n of await readdir(path)) stack.push(join(path, n));
    } catch {
      // unreadable: skip
    }
  }
  return null;
}
