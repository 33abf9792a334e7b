/**
 * The workspace diff of an iteration, with git objects only: the working tree is recorded as a
 * tree object before and after the iteration (the snapshot mechanism: a temporary index,
 * `git add -A`, `git write-tree`, `.cstack/` left out) and the two trees are compared with
 * `git diff-tree`. No ref is written, HEAD and the workspace's own index are never touched, and
 * the working tree is only read. In a plain directory the private snapshot store holds the
 * objects, and its index (a cache of file stats) is refreshed so that the next capture hashes
 * only what changed.
 */
import { randomBytes } from 'node:crypto';
import { rename, rm } from 'node:fs/promises';
import { resolve } from 'node:path';
import { capPatch, EMPTY_DIFF, type DiffFile, type DiffFileStatus, type DiffLimits, type WorkspaceDiff } from '../../../core/workspace-diff.js';
import { assertChildDirectory, realDirectory } from './safe-fs.js';
import { copyIndexFile, must, openSnapshotStore, tempIndex, workingTree, type SnapshotStore } from './snapshot-store.js';

const TREE_RE = /^[0-9a-f]{40}(?:[0-9a-f]{24})?$/;
/** Options of every comparison: rename detection, no external diff or text conversion commands. */
const DIFF_OPTS = ['-r', '-M', '--no-ext-diff', '--no-textconv', '--no-color'];

/** The snapshot store of a workspace directly inside `<workDir>/workspaces/` (no symlinks). */
export async function openWorkspaceStore(workDir: string, dir: string): Promise<SnapshotStore> {
  const root = await realDirectory(resolve(workDir, 'workspaces'));
  if (root === null) throw new Error(`${workDir} has no workspaces`);
  return openSnapshotStore(await assertChildDirectory(root, dir));
}

/** Records the working tree (`.cstack/` left out) as a tree object; returns its id. */
export async function captureWorkingTree(s: SnapshotStore): Promise<string> {
  const work = await tempIndex(s.indexFile);
  try {
    let tree: string;
    try {
      tree = await workingTree(s, work.file, true);
    } catch {
      // an unreadable cached index: start from an empty one (every file is hashed again)
      await rm(work.file, { force: true });
      tree = await workingTree(s, work.file, true);
    }
    if (s.mode === 'plain' && s.indexFile !== null) {
      // Only a cache: replaced in one step (a concurrent snapshot never reads half of it), and
      // a failure to write it costs the next capture time, not this tree.
      const tmp = `${s.indexFile}.${randomBytes(4).toString('hex')}.tmp`;
      await copyIndexFile(work.file, tmp)
        .then(() => rename(tmp, s.indexFile!))
        .catch(() => rm(tmp, { force: true }));
    }
    return tree;
  } finally {
    await work.done();
  }
}

function statusOf(code: string): DiffFileStatus {
  switch (code[0]) {
    case 'A':
    case 'C':
      return 'added';
    case 'D':
      return 'deleted';
    case 'R':
      return 'renamed';
    default:
      return 'modified'; // M, T (type change), U, X
  }
}

/** `--name-status -z`: `S\0path\0`, or `Rnnn\0old\0new\0` for a rename or copy. */
export function parseNameStatus(out: string): { path: string; status: DiffFileStatus }[] {
  const tok = out.split('\0');
  const files: { path: string; status: DiffFileStatus }[] = [];
  for (let i = 0; i < tok.length; ) {
    const code = tok[i] ?? '';
    if (code === '') {
      i += 1;
      continue;
    }
    const twoPaths = code.startsWith('R') || code.startsWith('C');
    const path = tok[twoPaths ? i + 2 : i + 1] ?? '';
    files.push({ path, status: statusOf(code) });
    i += twoPaths ? 3 : 2;
  }
  return files;
}

/** `--numstat -z`: `add\tdel\tpath\0`, or `add\tdel\t\0old\0new\0` for a rename; `-` for binary. */
export function parseNumstat(out: string): Map<string, { additions: number; deletions: number }> {
  const tok = out.split('\0');
  const counts = new Map<string, { additions: number; deletions: number }>();
  for (let i = 0; i < tok.length; ) {
    const rec = tok[i] ?? '';
    const m = /^(-|\d+)\t(-|\d+)\t(.*)$/s.exec(rec);
    if (m === null) {
      i += 1;
      continue;
    }
    const renamed = m[3] === '';
    const path = renamed ? (tok[i + 2] ?? '') : (m[3] ?? '');
    const n = (v: string | undefined): number => (v === undefined || v === '-' ? 0 : Number(v));
    counts.set(path, { additions: n(m[1]), deletions: n(m[2]) });
    i += renamed ? 3 : 1;
  }
  return counts;
}

/** What changed from tree `before` to tree `after`, the list and the patch cut at `limits`. */
export async function diffWorkingTrees(s: SnapshotStore, before: string, after: string, limits: DiffLimits): Promise<WorkspaceDiff> {
  for (const t of [before, after]) if (!TREE_RE.test(t)) throw new Error(`'${t}' is not a tree id`);
  if (before === after) return EMPTY_DIFF;
  const [names, numstat, patch] = await Promise.all([
    must(s.run(['diff-tree', ...DIFF_OPTS, '--name-status', '-z', before, after]), 'git diff-tree --name-status'),
    must(s.run(['diff-tree', ...DIFF_OPTS, '--numstat', '-z', before, after]), 'git diff-tree --numstat'),
    s.run(['diff-tree', ...DIFF_OPTS, '-p', before, after], undefined, { maxOutputBytes: limits.maxPatchBytes + 1 }),
  ]);
  if (!patch.ok && patch.truncated !== true) throw new Error(`git diff-tree -p failed: ${patch.stderr.trim()}`);
  const counts = parseNumstat(numstat);
  const all: DiffFile[] = parseNameStatus(names).map((f) => ({ ...f, ...(counts.get(f.path) ?? { additions: 0, deletions: 0 }) }));
  const cut = capPatch(patch.stdout, limits.maxPatchBytes);
  const files = all.slice(0, Math.max(0, limits.maxFiles));
  return { files, patch: cut.patch, truncated: cut.truncated || files.length < all.length };
}
