import { execFile } from 'node:child_process';

export interface GitResult {
  readonly ok: boolean;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs git without a shell; never throws for a non-zero exit (see `ok`). */
export function git(args: readonly string[], options: { cwd?: string; timeoutMs?: number } = {}): Promise<GitResult> {
  return new Promise((resolve) => {
    execFile(
      'git',
      [...args],
      {
        cwd: options.cwd,
        timeout: options.timeoutMs ?? 60_000,
        maxBuffer: 64 * 1024 * 1024,
        env: { ...process.env, GIT_TERMINAL_PROMPT: '0', GIT_OPTIONAL_LOCKS: '0' },
      },
      (err, stdout, stderr) => resolve({ ok: err === null, stdout, stderr: stderr || (err?.message ?? '') }),
    );
  });
}
