/**
 * What a command changed in the workspace: a bounded snapshot (size and mtime of each file, `.git`
 * and `node_modules` skipped) before and after, compared. A workspace too big to snapshot gives
 * no changes rather than a slow command.
 */
import { readdir, lstat } from 'node:fs/promises';
import { join } from 'node:path';
import type { FileChangeKind } from '../../../core/ports/agent-driver.js';

const SKIP = new Set(['.git', 'node_modules']);

export type Snapshot = ReadonlyMap<string, string>;

/** Absolute file path → `size:mtime`, or null when the tree has more than `maxFiles` files. */
export async function snapshotTree(root: string, maxFiles = 20_000): Promise<Snapshot | null> {
  const files = new Map<string, string>();
  const stack = [root];
  while (stack.length > 0) {
    const dir = stack.pop()!;
    const items = await readdir(dir, { withFileTypes: true }).catch(() => []);
    for (const item of items) {
      const full = join(dir, item.name);
      if (item.isDirectory()) {
        if (!SKIP.has(item.name)) stack.push(full);
        continue;
      }
      const st = await lstat(full).catch(() => null);
      if (st === null) continue;
      files.set(full, `${st.size}:${st.mtimeMs}`);
      if (files.size > maxFiles) return null;
    }
  }
  return files;
}

/** The files created, modified or deleted between two snapshots, sorted by path. */
export function diffSnapshots(before: Snapshot, after: Snapshot): { path: string; change: FileChangeKind }[] {
  const out: { path: string; change: FileChangeKind }[] = [];
  for (const [path, sig] of after) {
    const old = before.get(path);
    if (old === undefined) out.push({ path, change: 'created' });
    else if (old !== sig) out.push({ path, change: 'modified' });
  }
  for (const path of before.keys()) if (!after.has(path)) out.push({ path, change: 'deleted' });
  return out.sort((a, b) => a.path.localeCompare(b.path));
}
