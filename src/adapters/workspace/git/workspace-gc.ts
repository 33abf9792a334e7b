import { lstat, readdir } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import type {
  FailedRemoval,
  GcReport,
  GcRequest,
  RemovedWorkspace,
  ScannedWorkspace,
  SkippedEntry,
  WorkspaceGc,
} from '../../../core/ports/workspace-gc.js';
import { DAY_MS, finishedAtOf, planGc, type PlannedRemoval } from '../../../core/workspace-retention.js';
import { STACK_DIR } from './fingerprint.js';
import { readFinishedMarker } from './finished-marker.js';
import { git, HARDENED_CONFIG } from './git.js';
import { assertChildDirectory, diskUsage, realDirectory, removeChildDirectory, TASK_ID_RE } from './safe-fs.js';
import { SNAPSHOT_REF_ROOT } from './snapshot-store.js';

/** Only branches under this prefix are ever deleted, and only `<prefix><taskId>` of a removed worktree. */
export const GC_BRANCH_PREFIX = 'refs/heads/cortical/';
export const DEFAULT_IDLE_GRACE_MS = DAY_MS;

interface Scan {
  readonly root: string;
  /** Real paths of `<workDir>/workspaces` and `<workDir>/homes` (null when absent). */
  readonly realRoot: string | null;
  readonly realHomes: string | null;
  readonly workspaces: readonly (ScannedWorkspace & { readonly gitDir: string | null })[];
  readonly skipped: readonly SkippedEntry[];
}

type Classified =
  | { readonly kind: 'plain' }
  | { readonly kind: 'worktree'; readonly gitDir: string; readonly repoPath: string; readonly branch: string | null }
  | { readonly kind: 'skip'; readonly reason: SkippedEntry['reason'] };

const isDir = async (p: string): Promise<boolean> => (await lstat(p).catch(() => null))?.isDirectory() ?? false;

/** What a workspace directory is; never follows a symlink. */
async function classify(path: string): Promise<Classified> {
  if (!(await isDir(join(path, STACK_DIR)))) return { kind: 'skip', reason: 'no_stack' };
  const dotGit = await lstat(join(path, '.git')).catch(() => null);
  if (dotGit === null || dotGit.isSymbolicLink()) return { kind: 'plain' };
  if (dotGit.isDirectory()) {
    // A repository of its own (an agent ran `git init`); refuse if other worktrees hang off it.
    const linked = await readdir(join(path, '.git', 'worktrees')).catch(() => [] as string[]);
    return linked.length > 0 ? { kind: 'skip', reason: 'has_linked_worktrees' } : { kind: 'plain' };
  }
  const r = await git([...HARDENED_CONFIG, '-C', path, 'rev-parse', '--path-format=absolute', '--git-common-dir', '--git-dir', '--show-toplevel']);
  const [common, own, top] = r.stdout.trim().split('\n');
  // A `.git` file whose repository is gone (or unreadable), or that does not make a linked
  // worktree: the directory is all there is, and it goes as a plain directory.
  if (!r.ok || common === undefined || own === undefined || top === undefined) return { kind: 'plain' };
  if (resolve(top) !== path || resolve(own) === resolve(common)) return { kind: 'plain' };
  const head = await git([...HARDENED_CONFIG, '-C', path, 'symbolic-ref', '-q', 'HEAD']);
  const bare = await git([...HARDENED_CONFIG, '--git-dir', common, 'rev-parse', '--is-bare-repository']);
  const repoPath = bare.stdout.trim() !== 'true' && basename(common) === '.git' ? dirname(common) : common;
  return { kind: 'worktree', gitDir: common, repoPath, branch: head.ok ? head.stdout.trim().replace(/^refs\/heads\//, '') : null };
}

/**
 * Garbage collection of `<workDir>/workspaces/*` (see the WorkspaceGc port). Only direct children
 * of the real `workspaces/` directory are considered, and only those that carry a `.cstack/`
 * directory; symlinks are never followed, for sizing or for deleting.
 */
export class GitWorkspaceGc implements WorkspaceGc {
  constructor(private readonly workDir: string) {}

  async scan(nowMs: number): Promise<Scan> {
    const root = resolve(this.workDir, 'workspaces');
    const realRoot = await realDirectory(root);
    const realHomes = await realDirectory(resolve(this.workDir, 'homes'));
    if (realRoot === null) return { root, realRoot, realHomes, workspaces: [], skipped: [] };
    const workspaces: (ScannedWorkspace & { gitDir: string | null })[] = [];
    const skipped: SkippedEntry[] = [];
    for (const name of (await readdir(realRoot)).sort()) {
      if (!TASK_ID_RE.test(name)) {
        skipped.push({ name, reason: 'bad_name' });
        continue;
      }
      const path = join(realRoot, name);
      const st = await lstat(path).catch(() => null);
      if (st === null) continue;
      if (st.isSymbolicLink()) {
        skipped.push({ name, reason: 'symlink' });
        continue;
      }
      if (!st.isDirectory()) {
        skipped.push({ name, reason: 'not_a_directory' });
        continue;
      }
      const c = await classify(path).catch(() => ({ kind: 'skip', reason: 'unreadable' }) as const);
      if (c.kind === 'skip') {
        skipped.push({ name, reason: c.reason });
        continue;
      }
      const homes = realHomes === null ? [] : [join(realHomes, name)];
      const usage = await diskUsage([path, ...homes]);
      workspaces.push({
        taskId: name,
        path,
        kind: c.kind,
        sizeBytes: usage.bytes,
        lastUsedAt: Math.min(usage.newestMtimeMs, nowMs),
        finishedMarkerAt: await readFinishedMarker(path),
        repoPath: c.kind === 'worktree' ? c.repoPath : null,
        branch: c.kind === 'worktree' ? c.branch : null,
        gitDir: c.kind === 'worktree' ? c.gitDir : null,
      });
    }
    return { root, realRoot, realHomes, workspaces, skipped };
  }

  async collect(request: GcRequest): Promise<GcReport> {
    const scan = await this.scan(request.nowMs);
    const held = new Set(request.heldTaskIds());
    const plan = planGc({
      workspaces: scan.workspaces.map((w) => ({
        taskId: w.taskId,
        path: w.path,
        sizeBytes: w.sizeBytes,
        lastUsedAt: w.lastUsedAt,
        finishedAt: finishedAtOf(w, held, request.nowMs, request.policy.idleGraceMs),
      })),
      nowMs: request.nowMs,
      keepDays: request.policy.keepDays,
      maxTotalBytes: request.policy.maxTotalBytes,
    });
    const base = { root: scan.root, scanned: scan.workspaces.length, skipped: scan.skipped, plan };
    if (request.dryRun) return { ...base, dryRun: true, removed: [], failed: [], freedBytes: plan.freedBytes };
    const removed: RemovedWorkspace[] = [];
    const failed: FailedRemoval[] = [];
    const byId = new Map(scan.workspaces.map((w) => [w.taskId, w]));
    for (const r of plan.remove) {
      const ws = byId.get(r.taskId);
      if (ws === undefined || scan.realRoot === null) continue;
      if (request.heldTaskIds().includes(r.taskId)) {
        failed.push({ ...r, error: 'the task is held again' });
        continue;
      }
      try {
        removed.push(await this.removeOne(scan.realRoot, scan.realHomes, ws, r, request.deleteBranches));
      } catch (e) {
        failed.push({ ...r, error: e instanceof Error ? e.message : String(e) });
      }
    }
    return { ...base, dryRun: false, removed, failed, freedBytes: removed.reduce((s, x) => s + x.sizeBytes, 0) };
  }

  private async removeOne(
    realRoot: string,
    realHomes: string | null,
    ws: ScannedWorkspace & { readonly gitDir: string | null },
    planned: PlannedRemoval,
    deleteBranches: boolean,
  ): Promise<RemovedWorkspace> {
    await assertChildDirectory(realRoot, ws.path);
    let branchDeleted: string | null = null;
    let snapshotRefsDeleted = 0;
    const gitDir = ws.kind === 'worktree' ? ws.gitDir : null;
    if (gitDir !== null) {
      const g: Git = (...args) => git([...HARDENED_CONFIG, '--git-dir', gitDir, ...args], { cwd: gitDir });
      snapshotRefsDeleted = await deleteRefsUnder(g, `${SNAPSHOT_REF_ROOT}${ws.taskId}/`);
      const removed = await g('worktree', 'remove', '--force', ws.path);
      // `worktree remove` refuses some trees (submodules, a lock); the directory then goes by hand.
      if (!removed.ok || (await lstat(ws.path).catch(() => null)) !== null) await removeChildDirectory(realRoot, ws.path);
      await g('worktree', 'prune');
      if (deleteBranches) branchDeleted = await deleteTaskBranch(g, ws.taskId);
    } else {
      await removeChildDirectory(realRoot, ws.path);
    }
    if (realHomes !== null && (await lstat(join(realHomes, ws.taskId)).catch(() => null)) !== null) {
      await removeChildDirectory(realHomes, join(realHomes, ws.taskId));
    }
    return { ...planned, kind: ws.kind, branchDeleted, snapshotRefsDeleted };
  }
}

type Git = (...args: string[]) => ReturnType<typeof git>;

/** Deletes the refs under `prefix` (which must be inside the snapshot namespace); returns how many. */
async function deleteRefsUnder(g: Git, prefix: string): Promise<number> {
  if (!prefix.startsWith(SNAPSHOT_REF_ROOT)) throw new Error(`refusing to delete refs under ${prefix}`);
  const list = await g('for-each-ref', '--format=%(refname)', prefix);
  const refs = list.stdout.split('\n').filter((r) => r.startsWith(prefix));
  let n = 0;
  for (const ref of refs) if ((await g('update-ref', '-d', ref)).ok) n += 1;
  return n;
}

/**
 * Deletes `refs/heads/cortical/<taskId>` unless another worktree has it checked out. Never any
 * other ref.
 */
async function deleteTaskBranch(g: Git, taskId: string): Promise<string | null> {
  const ref = `${GC_BRANCH_PREFIX}${taskId}`;
  if (!TASK_ID_RE.test(taskId) || !ref.startsWith(GC_BRANCH_PREFIX)) return null;
  const exists = await g('show-ref', '--verify', '--quiet', ref);
  if (!exists.ok) return null;
  const list = await g('worktree', 'list', '--porcelain');
  if (list.stdout.split('\n').some((l) => l === `branch ${ref}`)) return null;
  return (await g('update-ref', '-d', ref)).ok ? ref.slice('refs/heads/'.length) : null;
}

export interface GcWorkDirOptions {
  readonly workDir: string;
  readonly keepDays: number | null;
  readonly maxTotalBytes: number | null;
  readonly dryRun: boolean;
  readonly deleteBranches?: boolean;
  /** Default one day. */
  readonly idleGraceMs?: number;
  /** Tasks known to be in use (a local CLI does not know the node's; markers and the grace decide). */
  readonly heldTaskIds?: readonly string[];
  readonly nowMs?: number;
}

/** `cortical nodes gc`: one collection of a node's work directory, run locally. */
export function gcWorkDir(opts: GcWorkDirOptions): Promise<GcReport> {
  const held = opts.heldTaskIds ?? [];
  return new GitWorkspaceGc(opts.workDir).collect({
    policy: { keepDays: opts.keepDays, maxTotalBytes: opts.maxTotalBytes, idleGraceMs: opts.idleGraceMs ?? DEFAULT_IDLE_GRACE_MS },
    heldTaskIds: () => held,
    nowMs: opts.nowMs ?? Date.now(),
    dryRun: opts.dryRun,
    deleteBranches: opts.deleteBranches ?? false,
  });
}

/** `--max-gb N` → bytes (GiB). */
export const gibToBytes = (gb: number): number => Math.round(gb * 1024 ** 3);
