import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Bytes used under `root` (allocated blocks of regular files, directories and links; hard links
 * counted once). Stops early once `stopAbove` is exceeded. Entries that vanish meanwhile are
 * skipped. No filesystem quota is assumed: the runtime calls this periodically.
 */
export async function diskUsage(root: string, stopAbove = Number.POSITIVE_INFINITY): Promise<number> {
  const seen = new Set<string>();
  let total = 0;
  const stack = [root];
  while (stack.length > 0 && total <= stopAbove) {
    const path = stack.pop()!;
    let st;
    try {
      st = await lstat(path);
    } catch {
      continue;
    }
    if (st.nlink > 1 && !st.isDirectory()) {
      const key = `${st.dev}:${st.ino}`;
      if (seen.has(key)) continue;
      seen.add(key);
    }
    total += st.blocks * 512;
    if (!st.isDirectory()) continue;
    let names: string[];
    try {
      names = await readdir(path);
    } catch {
      continue;
    }
    for (const n of names) stack.push(join(path, n));
  }
  return total;
}
