/**
 * Blue as a git branch, plus the git plumbing every pipeline part shares (system git through
 * `execFile`, hardened: no hooks, no fsmonitor, no automatic gc, no signing).
 *
 * Promotion moves only the ref `refs/heads/<branch>` (compare-and-swap through
 * `git update-ref <ref> <new> <old>`). When the repository is non-bare and the branch is checked
 * out, its working tree is NOT updated: deployers read the ref (or the commit it names), never a
 * working tree.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { CorticalError } from '../../core/errors.js';
import type { BlueTarget } from './blue-target.js';

export interface RunGitResult {
  readonly ok: boolean;
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Settings of every git command here; command-line settings win over every config file. */
const HARDENED: readonly string[] = [
  '-c', 'safe.directory=*',
  '-c', 'core.hooksPath=/dev/null',
  '-c', 'core.fsmonitor=false',
  '-c', 'gc.auto=0',
  '-c', 'maintenance.auto=false',
  '-c', 'commit.gpgsign=false',
  '-c', 'core.autocrlf=false',
  '-c', 'protocol.file.allow=always',
];

/** Variables that would send git to another repository, index or object store. */
const LOCATING = ['GIT_DIR', 'GIT_WORK_TREE', 'GIT_INDEX_FILE', 'GIT_OBJECT_DIRECTORY', 'GIT_ALTERNATE_OBJECT_DIRECTORIES', 'GIT_COMMON_DIR', 'GIT_NAMESPACE', 'GIT_CEILING_DIRECTORIES', 'GIT_PREFIX'];

/** The identity of every commit the pipeline makes (fixed, so commits are reproducible). */
export const PIPELINE_GIT_IDENTITY = { name: 'Cortical Pipeline', email: 'pipeline@cortical.invalid' } as const;

/** Runs git without a shell; never throws for a non-zero exit (see `ok`). */
export function runGit(args: readonly string[], opts: { cwd?: string; env?: Record<string, string>; timeoutMs?: number } = {}): Promise<RunGitResult> {
  const env: NodeJS.ProcessEnv = { ...process.env, GIT_TERMINAL_PROMPT: '0', GIT_OPTIONAL_LOCKS: '0', LC_ALL: 'C' };
  for (const name of LOCATING) delete env[name];
  return new Promise((done) => {
    execFile(
      'git',
      [...HARDENED, ...args],
      { cwd: opts.cwd, env: { ...env, ...opts.env }, timeout: opts.timeoutMs ?? 120_000, maxBuffer: 256 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const code = err === null ? 0 : typeof err.code === 'number' ? err.code : null;
        done({ ok: err === null, code, stdout, stderr: stderr || (err?.message ?? '') });
      },
    );
  });
}

/** Runs git and returns its trimmed stdout; a failure is a CorticalError INTERNAL. */
export async function mustGit(args: readonly string[], opts: { cwd?: string; env?: Record<string, string> } = {}): Promise<string> {
  const r = await runGit(args, opts);
  if (!r.ok) throw new CorticalError('INTERNAL', `git ${args.join(' ')} failed: ${r.stderr.trim()}`, { cwd: opts.cwd });
  return r.stdout.trim();
}

function commitEnv(date: string): Record<string, string> {
  return {
    GIT_AUTHOR_NAME: PIPELINE_GIT_IDENTITY.name,
    GIT_AUTHOR_EMAIL: PIPELINE_GIT_IDENTITY.email,
    GIT_COMMITTER_NAME: PIPELINE_GIT_IDENTITY.name,
    GIT_COMMITTER_EMAIL: PIPELINE_GIT_IDENTITY.email,
    GIT_AUTHOR_DATE: date,
    GIT_COMMITTER_DATE: date,
  };
}

/** The date of every commit made on an empty repository (the epoch, as git accepts it). */
export const EPOCH_GIT_DATE = '@0 +0000';

/**
 * `git add -A` and a commit with the pipeline's fixed identity, dated like HEAD's commit (or the
 * epoch when there is none), so the same changes on the same base give the same sha on every
 * run. Returns the new HEAD sha, or HEAD's sha unchanged when nothing changed.
 */
export async function commitGreen(greenDir: string, message: string): Promise<string> {
  const dir = resolve(greenDir);
  if (message.trim() === '') throw new CorticalError('VALIDATION_FAILED', 'commitGreen: the commit message must not be empty');
  await mustGit(['add', '-A'], { cwd: dir });
  const head = await runGit(['rev-parse', '--verify', '-q', 'HEAD^{commit}'], { cwd: dir });
  if (head.ok) {
    const same = await runGit(['diff', '--cached', '--quiet', 'HEAD', '--'], { cwd: dir });
    if (same.ok) return head.stdout.trim();
  }
  const date = head.ok ? `@${await mustGit(['log', '-1', '--format=%ct', 'HEAD'], { cwd: dir })} +0000` : EPOCH_GIT_DATE;
  await mustGit(['commit', '-q', '--no-verify', '--allow-empty', '-m', message], { cwd: dir, env: commitEnv(date) });
  return mustGit(['rev-parse', 'HEAD'], { cwd: dir });
}

/**
 * Clones `source` into `dir` (which must not exist) without a working tree, without hard links
 * (nothing written in the clone can reach the source's files) and without a remote (nothing
 * pushed from the clone reaches the source), then checks out `commit` on a local branch `green`.
 */
export async function cloneAt(source: string, commit: string, dir: string): Promise<void> {
  if (existsSync(dir)) throw new CorticalError('CONFLICT', `${dir} already exists: Green needs a directory that does not exist yet`);
  await mustGit(['clone', '-q', '--no-checkout', '--no-hardlinks', '--', resolve(source), resolve(dir)]);
  await mustGit(['remote', 'remove', 'origin'], { cwd: dir });
  await mustGit(['checkout', '-q', '-B', 'green', commit], { cwd: dir });
}

const SHA = /^[0-9a-f]{40}([0-9a-f]{24})?$/;

export class GitBranchTarget implements BlueTarget {
  readonly kind = 'git-branch' as const;
  readonly description: string;
  private readonly repo: string;
  private readonly ref: string;

  constructor(spec: { repo: string; branch: string }) {
    this.repo = resolve(spec.repo);
    this.ref = `refs/heads/${spec.branch}`;
    this.description = `git branch ${spec.branch} of ${this.repo}`;
  }

  private async current(): Promise<string> {
    const r = await runGit(['rev-parse', '--verify', '-q', `${this.ref}^{commit}`], { cwd: this.repo });
    if (!r.ok) throw new CorticalError('NOT_FOUND', `${this.description}: the branch does not exist (or is not a git repository)`);
    return r.stdout.trim();
  }

  golden(): Promise<string> {
    return this.current();
  }

  async checkoutGreen(golden: string, dir: string): Promise<void> {
    if (!SHA.test(golden)) throw new CorticalError('VALIDATION_FAILED', `golden must be a full commit sha (40 or 64 lowercase hex), got "${golden}"`);
    await cloneAt(this.repo, golden, dir);
  }

  async promote(input: { golden: string; greenDir: string }): Promise<string> {
    const blue = await this.current();
    if (blue !== input.golden) throw conflict(this.description, input.golden, blue);
    const green = await mustGit(['rev-parse', '--verify', 'HEAD^{commit}'], { cwd: resolve(input.greenDir) });
    if (green !== input.golden) {
      // Only objects arrive: no ref of Blue (not even FETCH_HEAD) changes here.
      await mustGit(['fetch', '-q', '--no-tags', '--no-write-fetch-head', '--', resolve(input.greenDir), 'HEAD'], { cwd: this.repo });
      await mustGit(['cat-file', '-e', `${green}^{commit}`], { cwd: this.repo });
    }
    const cas = await runGit(['update-ref', '-m', 'cortical: promote', this.ref, green, input.golden], { cwd: this.repo });
    if (!cas.ok) throw conflict(this.description, input.golden, await this.current().catch(() => 'unknown'));
    return green;
  }

  async rollbackTo(version: string): Promise<void> {
    if (!SHA.test(version)) throw new CorticalError('NOT_FOUND', `${this.description}: "${version}" is not a commit sha`);
    const exists = await runGit(['cat-file', '-e', `${version}^{commit}`], { cwd: this.repo });
    if (!exists.ok) throw new CorticalError('NOT_FOUND', `${this.description}: no commit ${version} in the repository`);
    await mustGit(['update-ref', '-m', 'cortical: rollback', this.ref, version], { cwd: this.repo });
  }

  /**
   * sha256 over the ref's value and every entry of its tree (mode, type, object id, size, path);
   * a blob's object id is git's hash of its content.
   */
  async digest(): Promise<string> {
    const sha = await this.current();
    const tree = await mustGit(['ls-tree', '-r', '-l', '-z', '--full-tree', sha], { cwd: this.repo });
    return createHash('sha256').update(`${this.ref} ${sha}\n`).update(tree).digest('hex');
  }
}

function conflict(what: string, golden: string, blue: string): CorticalError {
  return new CorticalError('CONFLICT', `${what} moved since the pipeline started (golden ${golden}, now ${blue}): not promoted`, { golden, blue });
}
