import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** One changed file of Green against the golden base. */
export interface GreenFileDiff {
  readonly path: string;
  /** A added, M modified, D deleted, T type changed. */
  readonly status: string;
  /** The unified diff of the file (binary files say so). */
  readonly patch: string;
}

export interface GreenDiff {
  readonly files: readonly GreenFileDiff[];
  readonly insertions: number;
  readonly deletions: number;
  /** The patch text was cut at MAX_DIFF_CHARS. */
  readonly truncated: boolean;
}

export const MAX_DIFF_CHARS = 2_000_000;

interface Run {
  readonly ok: boolean;
  readonly stdout: string;
  readonly stderr: string;
}

function gitIn(gitDir: string, workTree: string, args: readonly string[]): Promise<Run> {
  const env: Record<string, string> = {
    PATH: process.env['PATH'] ?? '/usr/bin:/bin',
    HOME: gitDir,
    LANG: 'C',
    GIT_DIR: gitDir,
    ...(args[0] === 'init' ? {} : { GIT_WORK_TREE: workTree }),
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_AUTHOR_NAME: 'cortical',
    GIT_AUTHOR_EMAIL: 'cortical@localhost',
    GIT_COMMITTER_NAME: 'cortical',
    GIT_COMMITTER_EMAIL: 'cortical@localhost',
    GIT_AUTHOR_DATE: '2000-01-01T00:00:00Z',
    GIT_COMMITTER_DATE: '2000-01-01T00:00:00Z',
  };
  return new Promise((resolve) => {
    execFile(
      'git',
      ['-c', 'core.hooksPath=/dev/null', '-c', 'core.autocrlf=false', '-c', 'core.fsmonitor=false', ...args],
      { cwd: args[0] === 'init' ? gitDir : workTree, env, maxBuffer: 64 * 1024 * 1024, timeout: 120_000 },
      (err, stdout, stderr) => resolve({ ok: err === null, stdout, stderr: stderr || (err?.message ?? '') }),
    );
  });
}

async function must(gitDir: string, workTree: string, args: readonly string[]): Promise<string> {
  const r = await gitIn(gitDir, workTree, args);
  if (!r.ok) throw new Error(`git ${args[0] ?? ''} failed: ${r.stderr.trim()}`);
  return r.stdout;
}

/**
 * A record of Green as it was before SIMULATE (the golden base as checked out), kept in a private
 * git directory outside Green so that neither Green's own repository (if any) nor its files
 * change. `diff()` then lists every file that differs, untracked ones included; files that Green's
 * `.gitignore` ignores and any `.git` directory are left out.
 */
export class GreenBaseline {
  private constructor(
    private readonly gitDir: string,
    private readonly greenDir: string,
    private readonly base: string,
  ) {}

  static async take(greenDir: string): Promise<GreenBaseline> {
    const gitDir = await mkdtemp(join(tmpdir(), 'cortical-green-base-'));
    try {
      await must(gitDir, greenDir, ['init', '-q', '--bare']);
      await must(gitDir, greenDir, ['add', '-A', '--', '.', ':(exclude).cstack']);
      const tree = (await must(gitDir, greenDir, ['write-tree'])).trim();
      const base = (await must(gitDir, greenDir, ['commit-tree', tree, '-m', 'golden'])).trim();
      return new GreenBaseline(gitDir, greenDir, base);
    } catch (e) {
      await rm(gitDir, { recursive: true, force: true });
      throw e;
    }
  }

  async diff(): Promise<GreenDiff> {
    await must(this.gitDir, this.greenDir, ['add', '-A', '--', '.', ':(exclude).cstack']);
    const numstat = await must(this.gitDir, this.greenDir, ['diff', '--cached', '--numstat', '--no-renames', this.base]);
    const names = await must(this.gitDir, this.greenDir, ['diff', '--cached', '--name-status', '--no-renames', '-z', this.base]);
    const patch = await must(this.gitDir, this.greenDir, ['diff', '--cached', '--no-renames', '--no-color', this.base]);
    let insertions = 0;
    let deletions = 0;
    for (const line of numstat.split('\n')) {
      const [a, d] = line.split('\t');
      if (a !== undefined && /^\d+$/.test(a)) insertions += Number(a);
      if (d !== undefined && /^\d+$/.test(d)) deletions += Number(d);
    }
    const parts = names.split('\0');
    const statuses: { path: string; status: string }[] = [];
    for (let i = 0; i + 1 < parts.length; i += 2) statuses.push({ status: parts[i] ?? '?', path: parts[i + 1] ?? '' });
    const patches = splitPatch(patch);
    let used = 0;
    let truncated = false;
    const files = statuses.map(({ path, status }) => {
      let text = patches.get(path) ?? '';
      if (used + text.length > MAX_DIFF_CHARS) {
        text = text.slice(0, Math.max(0, MAX_DIFF_CHARS - used));
        truncated = true;
      }
      used += text.length;
      return { path, status, patch: text };
    });
    return { files, insertions, deletions, truncated };
  }

  async dispose(): Promise<void> {
    await rm(this.gitDir, { recursive: true, force: true });
  }
}

/** Splits `git diff` output into per-file chunks keyed by the path (b/ side, a/ side for deletions). */
function splitPatch(patch: string): Map<string, string> {
  const out = new Map<string, string>();
  const chunks = patch.split(/^(?=diff --git )/m).filter((c) => c.startsWith('diff --git '));
  for (const chunk of chunks) {
    const header = chunk.slice(0, chunk.indexOf('\n'));
    const m = /^diff --git a\/(.*) b\/(.*)$/.exec(header);
    if (m === null) continue;
    const path = m[2] ?? m[1] ?? '';
    out.set(path, chunk);
    if (m[1] !== undefined && m[1] !== path) out.set(m[1], chunk);
  }
  return out;
}
