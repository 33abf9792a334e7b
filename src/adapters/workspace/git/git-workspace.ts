import { clearWorkspaceFinished, markWorkspaceFinished } from './finished-marker.js';
import { existsSync } from 'node:fs';
import { appendFile, chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import type {
  GuidanceEntry,
  PublishResult,
  PreparedWorkspace,
  WorkspaceRequest,
  Workspaces,
} from '../../../core/ports/workspace.js';
import type { DiffLimits, WorkspaceDiff } from '../../../core/workspace-diff.js';
import { gitFingerprint, STACK_DIR, treeFingerprint } from './fingerprint.js';
import { captureWorkingTree, diffWorkingTrees, openWorkspaceStore } from './iteration-diff.js';
import { prepareClone, publishClone, workspaceFailed } from './task-clone.js';

export const BRANCH_PREFIX = 'cortical/';


function isWithin(a: string, b: string): boolean {
  const rb = resolve(b);
  return a === rb || a.startsWith(rb + sep);
}

function guidanceMarker(seq: number): string {
  return `<!-- cortical:guidance:${seq} -->`;
}

/**
 * Workspaces under `<workDir>/workspaces/<taskId>`: a clone on `cortical/<taskId>` when the task
 * names a repository (fetched through HQ's git URL, or from the repository's path), published
 * back to that branch only; else a plain directory. Reused when it exists (resume).
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
      resumed = await prepareClone({ repo: request.repo, remote: request.remote ?? null, branch, path });
    }
    await this.ensureStack(path, request.prompt);
    if (resumed) await clearWorkspaceFinished(path);
    const writablePaths = [homePath];
    // The node runs git in the clone: its config and hooks stay the node's, read-only in sleeves,
    // so an agent cannot plant a hook, filter or fsmonitor command that runs outside its sleeve.
    const readOnlyPaths = request.repo === null ? [] : [join(path, '.git', 'config'), join(path, '.git', 'hooks')];
    if (request.repo !== null) await mkdir(join(path, '.git', 'hooks'), { recursive: true });
    return { path, homePath, branch, resumed, writablePaths, readOnlyPaths };
  }

  async publish(ws: PreparedWorkspace, request: WorkspaceRequest, message: string): Promise<PublishResult> {
    if (request.repo === null || ws.branch === null) return { commit: null, committed: false, error: null };
    return publishClone({ path: ws.path, repo: request.repo, remote: request.remote ?? null, branch: ws.branch, message });
  }

  async writeHomeFile(homePath: string, relativePath: string, content: string): Promise<void> {
    const target = resolve(homePath, relativePath);
    if (!isWithin(target, homePath) || target === resolve(homePath)) throw new Error(`${relativePath} is not a path inside ${homePath}`);
    await mkdir(dirname(target), { recursive: true, mode: 0o755 });
    const tmp = `${target}.${process.pid}.tmp`;
    await writeFile(tmp, content, { mode: 0o644 });
    await chmod(tmp, 0o644);
    await rename(tmp, target);
  }

  markFinished(workspacePath: string, atMs: number, outcome: string): Promise<void> {
    return markWorkspaceFinished(workspacePath, atMs, outcome);
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

  async captureTree(workspacePath: string): Promise<string> {
    return captureWorkingTree(await openWorkspaceStore(this.workDir, workspacePath));
  }

  async diffTrees(workspacePath: string, before: string, after: string, limits: DiffLimits): Promise<WorkspaceDiff> {
    return diffWorkingTrees(await openWorkspaceStore(this.workDir, workspacePath), before, after, limits);
  }
}
