import { randomBytes } from 'node:crypto';
import { lstat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { RevertResult, SnapshotInfo, Snapshots } from '../../../core/ports/snapshots.js';
import { STACK_DIR } from './fingerprint.js';
import { assertChildDirectory, realDirectory } from './safe-fs.js';
import { copyIndexFile, must, openSnapshotStore, SNAPSHOT_EXCLUDES, tempIndex, workingTree, type SnapshotStore } from './snapshot-store.js';

const ID_RE = /^[0-9A-Za-z][0-9A-Za-z-]{0,63}$/;
const META = 'cortical-snapshot: ';

interface Meta {
  readonly id: string;
  readonly createdAt: number;
  readonly label: string;
  /** HEAD and the worktree's own index (as a commit) at snapshot time. */
  readonly head: string | null;
  readonly index: string | null;
  readonly untrackedBytes: number;
}

const cleanLabel = (label: string): string =>
  label.replace(/[\p{Cc}\p{Cf}]+/gu, ' ').trim().slice(0, 200);

function newId(nowMs: number): string {
  const t = new Date(nowMs).toISOString().replace(/[-:.]/g, '');
  return `${t}-${randomBytes(3).toString('hex')}`;
}

function parseMeta(message: string): Meta | null {
  const line = message.split('\n').find((l) => l.startsWith(META));
  if (line === undefined) return null;
  try {
    return JSON.parse(line.slice(META.length)) as Meta;
  } catch {
    return null;
  }
}

const info = (m: Meta, commit: string): SnapshotInfo => ({
  id: m.id,
  createdAt: m.createdAt,
  label: m.label,
  commit,
  trackedCommit: m.head,
  untrackedBytes: m.untrackedBytes,
});

/**
 * Snapshots of task workspaces (see the Snapshots port). Works only on directories directly
 * inside `<workDir>/workspaces/`, never on a repository's main checkout. Snapshot objects are
 * written with a temporary index (GIT_INDEX_FILE), `git write-tree` and `git commit-tree`; the
 * only ref ever written is `refs/cortical/snapshots/<taskId>/<id>`.
 */
export class GitWorkspaceSnapshots implements Snapshots {
  constructor(
    private readonly workDir: string,
    private readonly now: () => number = () => Date.now(),
  ) {}

  private async open(dir: string): Promise<SnapshotStore> {
    const root = await realDirectory(resolve(this.workDir, 'workspaces'));
    if (root === null) throw new Error(`${this.workDir} has no workspaces`);
    return openSnapshotStore(await assertChildDirectory(root, dir));
  }

  async snapshot(dir: string, label: string): Promise<SnapshotInfo> {
    const s = await this.open(dir);
    const createdAt = this.now();
    const id = newId(createdAt);
    const work = await tempIndex(s.indexFile);
    try {
      const tree = await workingTree(s, work.file, false);
      let head: string | null = null;
      let index: string | null = null;
      let untrackedBytes = 0;
      const stamp = { GIT_AUTHOR_DATE: `@${Math.floor(createdAt / 1000)} +0000`, GIT_COMMITTER_DATE: `@${Math.floor(createdAt / 1000)} +0000` };
      if (s.mode === 'worktree') {
        const h = await s.run(['rev-parse', '--verify', '-q', 'HEAD^{commit}']);
        head = h.ok ? h.stdout.trim() : null;
        const own = await tempIndex(s.indexFile);
        try {
          const t = await s.run(['write-tree'], { GIT_INDEX_FILE: own.file });
          if (t.ok) {
            const parents = head === null ? [] : ['-p', head];
            index = (await must(s.run(['commit-tree', t.stdout.trim(), ...parents, '-m', 'index'], stamp), 'git commit-tree')).trim();
          }
        } finally {
          await own.done();
        }
        const others = await must(s.run(['ls-files', '-z', '--others', '--exclude-standard', '--', '.', ...SNAPSHOT_EXCLUDES]), 'git ls-files');
        for (const p of others.split('\0').filter((x) => x !== '')) {
          untrackedBytes += (await lstat(join(s.dir, p)).catch(() => null))?.size ?? 0;
        }
      } else {
        const sizes = await must(s.run(['ls-tree', '-r', '-l', '-z', tree]), 'git ls-tree');
        for (const rec of sizes.split('\0')) {
          const size = Number(rec.split(/\s+/)[3]);
          if (Number.isFinite(size)) untrackedBytes += size;
        }
      }
      const meta: Meta = { id, createdAt, label: cleanLabel(label), head, index, untrackedBytes };
      const message = `snapshot ${meta.label || id}\n\n${META}${JSON.stringify(meta)}\n`;
      const parents = [head, index].flatMap((p) => (p === null ? [] : ['-p', p]));
      const commit = (await must(s.run(['commit-tree', tree, ...parents, '-m', message], stamp), 'git commit-tree')).trim();
      await must(s.run(['update-ref', `${s.refPrefix}${id}`, commit, '']), 'git update-ref');
      if (s.mode === 'plain' && s.indexFile !== null) await copyIndexFile(work.file, s.indexFile);
      return info(meta, commit);
    } finally {
      await work.done();
    }
  }

  async list(dir: string): Promise<readonly SnapshotInfo[]> {
    const s = await this.open(dir);
    const out = await must(s.run(['for-each-ref', '--format=%(objectname)%00%(contents)%00', s.refPrefix]), 'git for-each-ref');
    const parts = out.split('\0');
    const all: SnapshotInfo[] = [];
    for (let i = 0; i + 1 < parts.length; i += 2) {
      const meta = parseMeta(parts[i + 1] ?? '');
      if (meta !== null) all.push(info(meta, (parts[i] ?? '').trim()));
    }
    return all.sort((a, b) => a.createdAt - b.createdAt || a.id.localeCompare(b.id));
  }

  private async resolveSnapshot(s: SnapshotStore, id: string): Promise<{ commit: string; meta: Meta }> {
    if (!ID_RE.test(id)) throw new Error(`invalid snapshot id '${id}'`);
    const r = await s.run(['rev-parse', '--verify', '-q', `${s.refPrefix}${id}^{commit}`]);
    if (!r.ok) throw new Error(`snapshot ${id} not found`);
    const commit = r.stdout.trim();
    const meta = parseMeta(await must(s.run(['log', '-1', '--format=%B', commit]), 'git log'));
    if (meta === null) throw new Error(`snapshot ${id} has no metadata`);
    return { commit, meta };
  }

  async revert(dir: string, id: string): Promise<RevertResult> {
    const s = await this.open(dir);
    const { commit, meta } = await this.resolveSnapshot(s, id);
    const target = await tempIndex(null);
    const current = await tempIndex(s.indexFile);
    try {
      // The snapshot's tree without `.cstack/`: the stack is left as it is now.
      const tenv = { GIT_INDEX_FILE: target.file };
      await must(s.run(['read-tree', `${commit}^{tree}`], tenv), 'git read-tree');
      await must(s.run(['rm', '--cached', '-r', '-q', '-f', '--ignore-unmatch', '--', STACK_DIR], tenv), 'git rm');
      const want = (await must(s.run(['write-tree'], tenv), 'git write-tree')).trim();
      const now = await workingTree(s, current.file, true);
      const diff = await must(s.run(['diff-tree', '-r', '--no-renames', '--name-status', '-z', now, want]), 'git diff-tree');
      const statuses = diff.split('\0').filter((_x, i) => i % 2 === 0 && _x !== '');
      const removed = statuses.filter((x) => x === 'D').length;
      // One-way merge from "now" to the snapshot: only differing paths are written; paths
      // present now but not in the snapshot are deleted; ignored files not in it are left.
      await must(s.run(['read-tree', '--reset', '-u', want], { GIT_INDEX_FILE: current.file }), 'git read-tree -u');
      if (s.mode === 'worktree') {
        const h = await s.run(['rev-parse', '--verify', '-q', 'HEAD^{commit}']);
        const headNow = h.ok ? h.stdout.trim() : null;
        const base = meta.index !== null && meta.head === headNow ? [meta.index] : headNow === null ? ['--empty'] : ['HEAD'];
        await must(s.run(['read-tree', ...base]), 'git read-tree (index)');
        await s.run(['update-index', '-q', '--refresh']);
      } else if (s.indexFile !== null) {
        await copyIndexFile(current.file, s.indexFile);
      }
      return { id, written: statuses.length - removed, removed };
    } finally {
      await target.done();
      await current.done();
    }
  }

  async remove(dir: string, id: string): Promise<boolean> {
    const s = await this.open(dir);
    if (!ID_RE.test(id)) throw new Error(`invalid snapshot id '${id}'`);
    const ref = `${s.refPrefix}${id}`;
    if (!(await s.run(['show-ref', '--verify', '--quiet', ref])).ok) return false;
    await must(s.run(['update-ref', '-d', ref]), 'git update-ref -d');
    return true;
  }
}
