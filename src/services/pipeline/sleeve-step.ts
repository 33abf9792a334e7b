import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Runtime } from '../../core/ports/runtime.js';
import type { SandboxSpec, SleeveEndReason } from '../../core/sandbox.js';

/** Characters of output kept per step (the end of it). */
export const OUTPUT_TAIL_CHARS = 8_000;
/** Grace between SIGTERM and SIGKILL when a step is stopped. */
export const STOP_GRACE_MS = 2_000;

export interface SleeveStepResult {
  readonly exitCode: number | null;
  readonly signal: string | null;
  readonly reason: SleeveEndReason | 'timeout' | 'aborted';
  readonly detail: string | null;
  readonly outputTail: string;
  readonly durationMs: number;
}

export interface SleeveStepSpec {
  readonly runtime: Runtime;
  readonly command: string;
  readonly args: readonly string[];
  readonly cwd: string;
  readonly env: Readonly<Record<string, string>>;
  readonly stdin?: string | undefined;
  readonly sandbox?: SandboxSpec | undefined;
  readonly timeoutMs: number;
  readonly signal?: AbortSignal | undefined;
}

/** The environment every pipeline sleeve gets: nothing of the host's but PATH. */
export function pipelineEnv(greenDir: string, extra: Readonly<Record<string, string>> = {}): Record<string, string> {
  return { PATH: process.env['PATH'] ?? '/usr/local/bin:/usr/bin:/bin', HOME: greenDir, LANG: 'C.UTF-8', TZ: 'UTC', ...extra };
}

/**
 * Runs one command in a sleeve to its end: a stuck one is stopped at `timeoutMs` (reason
 * `timeout`), an aborted run stops it too (reason `aborted`). Keeps the tail of stdout+stderr.
 */
export async function runSleeveStep(spec: SleeveStepSpec): Promise<SleeveStepResult> {
  const started = Date.now();
  // Green's `.git` stays read-only in the sleeve: HQ runs git on Green afterwards (commit, diff,
  // clone for VERIFY), so a step must not plant config (filters, fsmonitor) or hooks there.
  const dotGit = join(spec.cwd, '.git');
  const sleeve = await spec.runtime.spawn({
    command: spec.command,
    args: spec.args,
    cwd: spec.cwd,
    env: spec.env,
    stdin: spec.stdin,
    sandbox: spec.sandbox,
    readOnlyPaths: existsSync(dotGit) ? [dotGit] : [],
  });
  let tail = '';
  const reading = (async () => {
    for await (const l of sleeve.lines) {
      tail += `${l.stream === 'stderr' ? '! ' : ''}${l.text}\n`;
      if (tail.length > OUTPUT_TAIL_CHARS * 2) tail = tail.slice(-OUTPUT_TAIL_CHARS);
    }
  })();
  let ended: 'timeout' | 'aborted' | null = null;
  const timer = setTimeout(() => {
    ended ??= 'timeout';
    void sleeve.stop(STOP_GRACE_MS);
  }, spec.timeoutMs);
  const onAbort = (): void => {
    ended ??= 'aborted';
    void sleeve.stop(STOP_GRACE_MS);
  };
  if (spec.signal?.aborted === true) onAbort();
  spec.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const exit = await sleeve.exited;
    await reading;
    return {
      exitCode: exit.exitCode,
      signal: exit.signal,
      reason: ended ?? exit.reason ?? exit.endedBy,
      detail: ended === 'timeout' ? `stopped after ${spec.timeoutMs} ms` : (exit.detail ?? null),
      outputTail: tail.slice(-OUTPUT_TAIL_CHARS),
      durationMs: Date.now() - started,
    };
  } finally {
    clearTimeout(timer);
    spec.signal?.removeEventListener('abort', onAbort);
  }
}
