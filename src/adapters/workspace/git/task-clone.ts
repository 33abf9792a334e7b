import { existsSync } from 'node:fs';
import { appendFile, mkdir, readdir, readFile, rm, stat } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import { CorticalError } from '../../../core/errors.js';
import type { GitRemote, PublishResult } from '../../../core/ports/workspace.js';
import type { RepoSource } from '../../../core/task.js';
import { STACK_DIR } from './fingerprint.js';
import { git } from './git.js';

/** Identity of checkpoint commits, and of agents' commits unless they set their own. */
export const AGENT_NAME = 'Cortical agent';
export const AGENT_EMAIL = 'agent@cortical.invalid';

export function workspaceFailed(message: string, details: Record<string, unknown> = {}): CorticalError {
  return new CorticalError('VALIDATION_FAILED', message, { reason: 'workspace_failed', ...details });
}

/** `-c http.extraHeader=…` for each header: credentials travel per command, never into a config file. */
function headerArgs(remote: GitRemote | null): string[] {
  if (remote === null) return [];
  return Object.entries(remote.headers).flatMap(([k, v]) => ['-c', `http.extraHeader=${k}: ${v}`]);
}

function firstLine(text: string): string {
  return text.trim().split('\n').filter((l) => l.trim() !== '').slice(-1)[0] ?? '';
}

/** The fetch source: HQ's URL, else the repository's path (checked to be a repository). */
async function sourceOf(repo: RepoSource, remote: GitRemote | null): Promise<string> {
  if (remote !== null) return remote.url;
  if (!isAbsolute(repo.path)) throw workspaceFailed(`repository path must be absolute: ${repo.path}`, { repo: repo.path });
  const st = await stat(repo.path).catch(() => null);
  if (st === null || !st.isDirectory()) throw workspaceFailed(`repository ${repo.path} does not exist or is not a directory`, { repo: repo.path });
  const top = await git(['-C', repo.path, 'rev-parse', '--git-dir']);
  if (!top.ok) throw workspaceFailed(`${repo.path} is not a git repository`, { repo: repo.path });
  return repo.path;
}

/**
 * Makes `path` a clone of the task's repository on branch `branch`: the branch as published
 * by an earlier attempt (possibly on another node) when it exists, else a new branch at the
 * base ref. Reuses an existing clone (resume). Returns whether it was reused.
 */
export async function prepareClone(input: {
  repo: RepoSource;
  remote: GitRemote | null;
  branch: string;
  path: string;
}): Promise<boolean> {
  const { repo, remote, branch, path } = input;
  if (existsSync(path)) {
    const inside = await git(['-C', path, 'rev-parse', '--show-toplevel']);
    if (inside.ok && resolve(inside.stdout.trim()) === path && existsSync(join(path, '.git'))) return true;
    const left = await readdir(path).catch(() => ['?']);
    if (left.length > 0) throw workspaceFailed(`${path} exists but is not a clone of the task's repository`, { path });
    await rm(path, { recursive: true, force: true });
  }
  const base = repo.baseRef;
  if (base !== null && (base.startsWith('-') || base.trim() === '')) throw workspaceFailed(`invalid base ref '${base}'`, { baseRef: base });
  const source = await sourceOf(repo, remote);
  await mkdir(resolve(path, '..'), { recursive: true });
  // --no-local: a full copy, never hard links into the user's object store (a sleeve owns it).
  const cloned = await git([...headerArgs(remote), 'clone', '--quiet', '--no-local', '--no-checkout', source, path], { timeoutMs: 600_000 });
  if (!cloned.ok) {
    await rm(path, { recursive: true, force: true });
    throw workspaceFailed(`cannot clone the task's repository: ${firstLine(cloned.stderr)}`, { repo: repo.path });
  }
  const g = (...args: string[]): ReturnType<typeof git> => git(['-C', path, ...args]);
  const published = await g('rev-parse', '--verify', '--quiet', `refs/remotes/origin/${branch}^{commit}`);
  let start: string;
  if (published.ok) start = published.stdout.trim();
  else {
    const candidates = base === null ? ['HEAD'] : [`refs/remotes/origin/${base}`, `refs/tags/${base}`, base];
    let found: string | null = null;
    for (const c of candidates) {
      const r = await g('rev-parse', '--verify', '--quiet', `${c}^{commit}`);
      if (r.ok) {
        found = r.stdout.trim();
        break;
      }
    }
    if (found === null) {
      await rm(path, { recursive: true, force: true });
      throw workspaceFailed(`base ref '${base ?? 'HEAD'}' not found in ${repo.path}`, { baseRef: base });
    }
    start = found;
  }
  const checkout = await g('checkout', '--quiet', '-B', branch, start);
  if (!checkout.ok) {
    await rm(path, { recursive: true, force: true });
    throw workspaceFailed(`cannot check out ${branch}: ${firstLine(checkout.stderr)}`, { path });
  }
  await g('config', 'user.name', AGENT_NAME);
  await g('config', 'user.email', AGENT_EMAIL);
  await g('config', `branch.${branch}.remote`, 'origin');
  await g('config', `branch.${branch}.merge`, `refs/heads/${branch}`);
  // The cortical stack is the task's scratch space, not part of its result.
  const exclude = join(path, '.git', 'info', 'exclude');
  await mkdir(join(path, '.git', 'info'), { recursive: true });
  const current = await readFile(exclude, 'utf8').catch(() => '');
  if (!current.split('\n').includes(`/${STACK_DIR}/`)) await appendFile(exclude, `\n/${STACK_DIR}/\n`);
  return false;
}

/**
 * Commits what is left uncommitted (a checkpoint) and pushes HEAD to `refs/heads/<branch>` of
 * the repository: through HQ's git URL, or straight to the repository's path. Forced: the task
 * owns its branch and an agent may rewrite its own history.
 */
export async function publishClone(input: {
  path: string;
  repo: RepoSource;
  remote: GitRemote | null;
  branch: string;
  message: string;
}): Promise<PublishResult> {
  const { path, remote, branch } = input;
  const g = (...args: string[]): ReturnType<typeof git> => git(['-C', path, ...args], { timeoutMs: 600_000 });
  let committed = false;
  const added = await g('add', '--all');
  if (!added.ok) return { commit: null, committed, error: `git add failed: ${firstLine(added.stderr)}` };
  const clean = await g('diff', '--cached', '--quiet');
  if (!clean.ok) {
    const c = await g('-c', `user.name=${AGENT_NAME}`, '-c', `user.email=${AGENT_EMAIL}`, 'commit', '--quiet', '--no-verify', '-m', input.message);
    if (!c.ok) return { commit: null, committed, error: `checkpoint commit failed: ${firstLine(c.stderr)}` };
    committed = true;
  }
  const head = await g('rev-parse', '--verify', '--quiet', 'HEAD^{commit}');
  if (!head.ok) return { commit: null, committed, error: null };
  const dest = remote !== null ? remote.url : input.repo.path;
  const pushed = await git([...headerArgs(remote), '-C', path, 'push', '--quiet', '--no-verify', dest, `+HEAD:refs/heads/${branch}`], { timeoutMs: 600_000 });
  if (!pushed.ok) return { commit: head.stdout.trim(), committed, error: `push of ${branch} failed: ${firstLine(pushed.stderr)}` };
  return { commit: head.stdout.trim(), committed, error: null };
}
