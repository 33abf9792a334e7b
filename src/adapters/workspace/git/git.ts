import { execFile } from 'node:child_process';

export interface GitResult {
  readonly ok: boolean;
  readonly stdout: string;
  readonly stderr: string;
  /** stdout was cut at `maxOutputBytes` and the command ended early. */
  readonly truncated?: boolean;
}

export interface GitOptions {
  cwd?: string;
  timeoutMs?: number;
  /** Extra environment (e.g. GIT_INDEX_FILE for a temporary index). */
  env?: Readonly<Record<string, string>>;
  /** Most stdout kept (default 64 MiB); more ends the command (`ok` false, `truncated` true). */
  maxOutputBytes?: number;
}

/**
 * Variables that would redirect git to another repository, index or object store. Inherited ones
 * are dropped (a node started from inside a git hook must not act on the hook's repository);
 * callers set them explicitly through `env` when they mean to.
 */
export const LOCATING_VARS: readonly string[] = [
  'GIT_DIR',
  'GIT_WORK_TREE',
  'GIT_INDEX_FILE',
  'GIT_OBJECT_DIRECTORY',
  'GIT_ALTERNATE_OBJECT_DIRECTORIES',
  'GIT_COMMON_DIR',
  'GIT_NAMESPACE',
  'GIT_CEILING_DIRECTORIES',
  'GIT_PREFIX',
];

/**
 * `-c` settings for commands the node runs on data an agent can write (snapshots, GC): no hooks,
 * no file-system monitor command, no automatic gc or maintenance. Command-line settings win over
 * every config file.
 */
export const HARDENED_CONFIG: readonly string[] = [
  '-c', 'core.hooksPath=/dev/null',
  '-c', 'core.fsmonitor=false',
  '-c', 'gc.auto=0',
  '-c', 'maintenance.auto=false',
];

function baseEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, GIT_TERMINAL_PROMPT: '0', GIT_OPTIONAL_LOCKS: '0' };
  for (const name of LOCATING_VARS) delete env[name];
  return env;
}

/**
 * Settings of every git command the node runs: hardened (no hooks of the repository run on the
 * node, no monitor command, no automatic gc), and workspaces are trusted although, under a root
 * node, a sandbox user owns them.
 */
const NODE_GIT_CONFIG: readonly string[] = ['-c', 'safe.directory=*', ...HARDENED_CONFIG];

/** Runs git without a shell; never throws for a non-zero exit (see `ok`). */
export function git(args: readonly string[], options: GitOptions = {}): Promise<GitResult> {
  return new Promise((resolve) => {
    execFile(
      'git',
      [...NODE_GIT_CONFIG, ...args],
      {
        cwd: options.cwd,
        timeout: options.timeoutMs ?? 60_000,
        maxBuffer: options.maxOutputBytes ?? 64 * 1024 * 1024,
        env: { ...baseEnv(), ...options.env },
      },
      (err, stdout, stderr) => {
        const truncated = (err as NodeJS.ErrnoException | null)?.code === 'ERR_CHILD_PROCESS_STDIO_MAXBUFFER';
        resolve({ ok: err === null, stdout, stderr: stderr || (err?.message ?? ''), ...(truncated ? { truncated } : {}) });
      },
    );
  });
}
