import { clearWorkspaceFinished, markWorkspaceFinished } from './finished-marker.js';
import { existsSync } from 'node:fs';
import { appendFile, mkdir, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import { CorticalError } from '../../../core/errors.js';
import type {
  GuidanceEntry,
  PreparedWorkspace,
  WorkspaceRequest,
  Workspaces,
} from '../../../core/ports/workspace.js';
import { gitFingerprint, STACK_DIR, treeFingerprint } from './fingerprint.js';
import { git } from './git.js';

export const BRANCH_PREFIX = 'cortical/';

function workspaceFailed(message: string, details: Record<string, unknown> = {}): CorticalError {
  return new CorticalError('VALIDATION_FAILED', message, { reason: 'workspace_failed', ...details });
}

function guidanceMarker(seq: number): string {
  return `<!-- cortical:guidance:${seq} -->`;
}

/**
 * Workspaces under `<workDir>/workspaces/<taskId>`: a git worktree on `cortical/<taskId>` when
 * the task names a repository (made with `git worktree add`, so the user's checkout, index and
 * other branches stay as they are), else a plain directory. Reused when it exists (resume).
 */
export class GitWorkspaces implements Workspaces {
  constructor(private readonly workDir: string) {}

  async prepare(request: WorkspaceRequest): Promise<PreparedWorkspace> {
    if (!/^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/.test(request.taskId)) {
      throw workspaceFailed(`task id '${request.taskId}' cannot name a workspace`);
    }
    const path = resolve(this.workDir, 'workspaces', request.taskId);
    const homePath = resolve(this.workDir, 'homes', request.taskId);
    await mkdir(homePath, { recursive: true, mode: 0o700 });
    let branch: string | null = null;
    let resumed: boolean;
    if (request.repo === null) {
      resumed = existsSync(path);
      await mkdir(path, { recursive: true });
    } else {
      branch = `${BRANCH_PREFIX}${request.taskId}`;
      resumed = await this.prepareWorktree(request.repo.path, request.repo.baseRef, branch, path);
    }
    await this.ensureStack(path, request.prompt);
    if (resumed) await clearWorkspaceFinished(path);
    const writablePaths = [homePath];
    const readOnlyPaths: string[] = [];
    if (request.repo !== null) {
      // A worktree writes objects and refs into the repository's shared git directory; its hooks
      // and config stay read-only so an agent cannot plant code that runs outside its sleeve.
      const common = await git(['-C', path, 'rev-parse', '--path-format=absolute', '--git-common-dir']);
      if (common.ok) {
        const commonDir = common.stdout.trim();
        writablePaths.push(commonDir);
        readOnlyPaths.push(resolve(commonDir, 'hooks'), resolve(commonDir, 'config'));
      }
    }
    return { path, homePath, branch, resumed, writablePaths, readOnlyPaths };
  }

  markFinished(workspacePath: string, atMs: number, outcome: string): Promise<void> {
    return markWorkspaceFinished(workspacePath, atMs, outcome);
  }

  private async prepareWorktree(repoPath: string, baseRef: string | null, branch: string, path: string): Promise<boolean> {
    if (!isAbsolute(repoPath)) throw workspaceFailed(`repository path must be absolute: ${repoPath}`, { repo: repoPath });
    const st = await stat(repoPath).catch(() => null);
    if (st === null || !st.isDirectory()) {
      throw workspaceFailed(`repository ${repoPath} does not exist or is not a directory`, { repo: repoPath });
    }
    const top = await git(['-C', repoPath, 'rev-parse', '--git-dir']);
    if (!top.ok) throw workspaceFailed(`${repoPath} is not a git repository`, { repo: repoPath });

    if (existsSync(path)) {
      const inside = await git(['-C', path, 'rev-parse', '--show-toplevel']);
      if (inside.ok && resolve(inside.stdout.trim()) === path) return true;
      // A directory left by an interrupted attempt before the worktree existed: start over if empty.
      const left = await readdir(path).catch(() => ['?']);
      if (left.length > 0) throw workspaceFailed(`${path} exists but is not a worktree of ${repoPath}`, { path });
      await rm(path, { recursive: true, force: true });
    }
    await mkdir(resolve(path, '..'), { recursive: true });
    await git(['-C', repoPath, 'worktree', 'prune']);
    const exists = await git(['-C', repoPath, 'show-ref', '--verify', '--quiet', `refs/heads/${branch}`]);
    let added;
    if (exists.ok) {
      added = await git(['-C', repoPath, 'worktree', 'add', path, branch]);
    } else {
      const base = baseRef ?? 'HEAD';
      if (base.startsWith('-')) throw workspaceFailed(`invalid base ref '${base}'`, { baseRef: base });
      const commit = await git(['-C', repoPath, 'rev-parse', '--verify', '--quiet', `${base}^{commit}`]);
      if (!commit.ok) throw workspaceFailed(`base ref '${base}' not found in ${repoPath}`, { baseRef: base });
      added = await git(['-C', repoPath, 'worktree', 'add', '-b', branch, path, commit.stdout.trim()]);
    }
    if (!added.ok) throw workspaceFailed(`git worktree add failed: ${added.stderr.trim()}`, { repo: repoPath });
    return false;
  }

  private async ensureStack(path: string, prompt: string): Promise<void> {
    const dir = join(path, STACK_DIR);
    await mkdir(dir, { recursive: true });
    const initial: Record<string, string> = {
      'CURRENT.md': `# Current task\n\n${prompt}\n`,
      'PLAN.md': '# Plan\n\n',
      'MEMORY.md': '# Memory\n\n',
    };
    for (const [name, content] of Object.entries(initial)) {
      await writeFile(join(dir, name), content, { flag: 'wx' }).catch((e: NodeJS.ErrnoException) => {
        if (e.code !== 'EEXIST') throw workspaceFailed(`cannot write ${STACK_DIR}/${name}: ${e.message}`);
      });
    }
  }

  async recordGuidance(workspacePath: string, entries: readonly GuidanceEntry[]): Promise<void> {
    const file = join(workspacePath, STACK_DIR, 'CURRENT.md');
    const current = await readFile(file, 'utf8').catch(() => '');
    const fresh = [...entries].sort((a, b) => a.seq - b.seq).filter((g) => !current.includes(guidanceMarker(g.seq)));
    if (fresh.length === 0) return;
    const text = fresh.map((g) => `\n## Guidance ${g.seq}\n${guidanceMarker(g.seq)}\n\n${g.text}\n`).join('');
    await mkdir(join(workspacePath, STACK_DIR), { recursive: true });
    await appendFile(file, text);
  }

  async fingerprint(workspacePath: string): Promise<string> {
    const isWorktree = existsSync(join(workspacePath, '.git'));
    return isWorktree ? gitFingerprint(workspacePath) : treeFingerprint(workspacePath);
  }
}
