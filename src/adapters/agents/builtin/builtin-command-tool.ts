/**
 * The built-in agent's run_command: `/bin/sh -c COMMAND` in its own process group, output
 * (stdout and stderr interleaved) collected up to a bound, killed with the group at the time limit.
 */
import { spawn } from 'node:child_process';
import type { ToolOutcome } from './builtin-file-tools.js';

export interface CommandOptions {
  readonly cwd: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly timeoutMs: number;
  /** Characters of output kept (the rest is dropped from the middle by the caller's truncation). */
  readonly maxChars: number;
}

export function runCommandTool(command: string, opts: CommandOptions): Promise<ToolOutcome> {
  return new Promise((resolve) => {
    const child = spawn('/bin/sh', ['-c', command], { cwd: opts.cwd, env: { ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let head = '';
    let tail = '';
    let dropped = 0;
    const keep = Math.max(1000, opts.maxChars);
    const take = (chunk: Buffer): void => {
      const t = chunk.toString('utf8');
      if (head.length < keep) {
        head += t;
        return;
      }
      tail += t;
      if (tail.length > keep) {
        dropped += tail.length - keep;
        tail = tail.slice(tail.length - keep);
      }
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    let timedOut = false;
    const kill = (signal: NodeJS.Signals): void => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, signal);
      } catch {
        // already gone
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      kill('SIGTERM');
      setTimeout(() => kill('SIGKILL'), 2000).unref();
    }, opts.timeoutMs);
    child.once('error', (e) => {
      clearTimeout(timer);
      resolve({ ok: false, output: `cannot run the command: ${e.message}`, changes: [] });
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      const output = `${head}${dropped > 0 ? `\n… ${dropped} characters dropped …\n` : ''}${tail}`;
      const status = timedOut ? `timed out after ${opts.timeoutMs} ms` : code !== null ? `exit code ${code}` : `killed by ${signal ?? 'a signal'}`;
      resolve({ ok: !timedOut && code === 0, output: `${status}\n${output}`.trimEnd(), changes: [] });
    });
  });
}
