import { copyFile, lstat, mkdir, mkdtemp, realpath, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { STACK_DIR } from './fingerprint.js';
import { git, HARDENED_CONFIG, type GitOptions, type GitResult } from './git.js';
import { TASK_ID_RE } from './safe-fs.js';

/** Snapshot refs live here, outside refs/heads and refs/tags: no branch list shows them. */
export const SNAPSHOT_REF_ROOT = 'refs/cortical/snapshots/';
/** A plain directory's private snapshot repository, inside its stack. */
export const PLAIN_STORE = `${STACK_DIR}/snapshots.git`;
/** Paths a snapshot never records (the stores themselves). */
export const SNAPSHOT_EXCLUDES = [`:(exclude)${STACK_DIR}/snapshots`, `:(exclude)${PLAIN_STORE}`];

const IDENTITY = {
  GIT_AUTHOR_NAME: 'cortical',
  GIT_AUTHOR_EMAIL: 'cortical@localhost',
  GIT_COMMITTER_NAME: 'cortical',
  GIT_COMMITTER_EMAIL: 'cortical@localhost',
};

/**
 * The private store's whole config, written before every use: the store lives in the agent's
 * working tree, so whatever an agent put there (a filter or fsmonitor command) is replaced.
 */
const STORE_CONFIG = '[core]\n\trepositoryformatversion = 0\n\tfilemode = true\n\tbare = true\n[gc]\n\tauto = 0\n';

export interface SnapshotStore {
  readonly mode: 'worktree' | 'plain';
  readonly taskId: string;
  /** Real path of the workspace (top of its working tree). */
  readonly dir: string;
  /** Where snapshot refs of this workspace live. */
  readonly refPrefix: string;
  /** The index that describes the working tree now (the worktree's own, or the store's). */
  readonly indexFile: string | null;
  /** git on the workspace's working tree; `env` adds variables (GIT_INDEX_FILE …). */
  run(args: readonly string[], env?: Readonly<Record<string, string>>, options?: Pick<GitOptions, 'maxOutputBytes'>): Promise<GitResult>;
}

/** Runs git, throwing with its stderr on failure. */
export async function must(p: Promise<GitResult>, what: string): Promise<string> {
  const r = await p;
  if (!r.ok) throw new Error(`${what} failed: ${r.stderr.trim()}`);
  return r.stdout;
}

/**
 * Opens a workspace's snapshot store. A task's clone (the workspace is the top of its own
 * repository) or a linked git worktree keeps its snapshots as refs in that repository; a plain
 * directory (or one that already has a private store) uses the private `.cstack/snapshots.git`
 * (created on first use), whose work tree is the workspace and which never reads or writes the
 * directory's own `.git`.
 */
export async function openSnapshotStore(realDir: string): Promise<SnapshotStore> {
  const taskId = basename(realDir);
  if (!TASK_ID_RE.test(taskId)) throw new Error(`${realDir} does not name a task workspace`);
  const refPrefix = `${SNAPSHOT_REF_ROOT}${taskId}/`;
  const storeDir = join(realDir, PLAIN_STORE);
  const hasStore = (await lstat(storeDir).catch(() => null))?.isDirectory() ?? false;
  const dotGit = await lstat(join(realDir, '.git')).catch(() => null);
  if (!hasStore && dotGit !== null && (dotGit.isFile() || dotGit.isDirectory())) {
    const r = await git(
      [...HARDENED_CONFIG, 'rev-parse', '--path-format=absolute', '--show-toplevel', '--git-dir', '--git-common-dir', '--git-path', 'index'],
      { cwd: realDir },
    );
    const [top, gitDir, common, index] = r.stdout.trim().split('\n');
    const linked = dotGit.isFile() ? gitDir !== common : gitDir === join(realDir, '.git');
    if (r.ok && top !== undefined && resolve(top) === realDir && gitDir !== undefined && linked && index !== undefined) {
      return {
        mode: 'worktree',
        taskId,
        dir: realDir,
        refPrefix,
        indexFile: index,
        run: (args, env, options) => git([...HARDENED_CONFIG, ...args], { ...options, cwd: realDir, env: { ...IDENTITY, ...env } }),
      };
    }
  }
  // The store must be a real directory at its place (no symlinked `.cstack` or store: `git init`
  // must never run on another repository), must not borrow another repository's refs
  // (`commondir`), and gets its fixed config back.
  const stack = join(realDir, STACK_DIR);
  await mkdir(stack, { recursive: true });
  if ((await realpath(stack)) !== stack) throw new Error(`${stack} is not a plain directory of the workspace`);
  const st = await lstat(storeDir).catch(() => null);
  if (st !== null && !st.isDirectory()) throw new Error(`${storeDir} is not a plain directory of the workspace`);
  if (st === null) await must(git(['init', '--bare', '-q', storeDir]), 'creating the snapshot store');
  await rm(join(storeDir, 'commondir'), { force: true });
  await writeFile(join(storeDir, 'config'), STORE_CONFIG);
  const base = { GIT_DIR: storeDir, GIT_WORK_TREE: realDir };
  return {
    mode: 'plain',
    taskId,
    dir: realDir,
    refPrefix,
    indexFile: join(storeDir, 'index'),
    run: (args, env, options) => git([...HARDENED_CONFIG, ...args], { ...options, cwd: realDir, env: { ...IDENTITY, ...base, ...env } }),
  };
}

/**
 * Copies a git index file keeping its modification time (cut to the whole second, never later).
 * Git trusts an entry's cached stat data unless the file's mtime is not older than the index
 * file's own mtime ("racily clean"); a plain copy would carry a newer mtime and make git trust
 * entries it must re-read, so a file rewritten in the same second with the same size as when it
 * was indexed would look unchanged (git compares whole seconds when built without nanosecond
 * support, as Debian's is).
 */
export async function copyIndexFile(from: string, to: string): Promise<void> {
  const before = await stat(from);
  await copyFile(from, to);
  await utimes(to, before.atime, Math.floor(before.mtimeMs / 1000));
}

/** A temporary index file (a copy of `from` when it exists, see copyIndexFile), removed by `done`. */
export async function tempIndex(from: string | null): Promise<{ file: string; done: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'cortical-snapshot-'));
  const file = join(dir, 'index');
  if (from !== null && (await lstat(from).catch(() => null))?.isFile()) await copyIndexFile(from, file);
  return { file, done: () => rm(dir, { recursive: true, force: true }) };
}

/**
 * A tree of the working tree as it is now (every file that is not ignored) written with the
 * index `indexFile` (a temporary one: it is updated). `.cstack/` is recorded without the
 * snapshot stores, or left out entirely with `dropStack`.
 */
export async function workingTree(s: SnapshotStore, indexFile: string, dropStack: boolean): Promise<string> {
  const env = { GIT_INDEX_FILE: indexFile };
  // A task's clone ignores `.cstack/` (info/exclude); naming an ignored path in a pathspec
  // makes `git add` fail, so the stack is then added on its own, forced.
  const stackIgnored = (await s.run(['check-ignore', '-q', '--no-index', STACK_DIR], env)).ok;
  if (stackIgnored) {
    await must(s.run(['add', '-A', '--', '.'], env), 'git add');
    if (!dropStack) await must(s.run(['add', '-A', '-f', '--', STACK_DIR, ...SNAPSHOT_EXCLUDES], env), 'git add');
  } else {
    const excludes = dropStack ? [`:(exclude)${STACK_DIR}`] : SNAPSHOT_EXCLUDES;
    await must(s.run(['add', '-A', '--', '.', ...excludes], env), 'git add');
  }
  if (dropStack) await must(s.run(['rm', '--cached', '-r', '-q', '-f', '--ignore-unmatch', '--', STACK_DIR], env), 'git rm');
  return (await must(s.run(['write-tree'], env), 'git write-tree')).trim();
}
