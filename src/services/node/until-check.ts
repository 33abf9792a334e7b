import type { SleeveOptions } from '../../core/ports/agent-driver.js';
import type { Runtime } from '../../core/ports/runtime.js';
import type { PreparedWorkspace } from '../../core/ports/workspace.js';
import type { ProgressOutbox } from './progress-outbox.js';

/**
 * Runs the task's `until` command (`/bin/sh -c UNTIL` in the workspace) after an iteration.
 * true = exit 0. Its output goes to the log, prefixed `[until]`; it is stopped after `timeoutMs`
 * (with `graceMs` between SIGTERM and SIGKILL), and at once (no grace) when `signal` aborts.
 */
export async function runUntilCheck(input: {
  runtime: Runtime;
  baseEnv: Readonly<Record<string, string>>;
  command: string;
  ws: PreparedWorkspace;
  iteration: number;
  outbox: ProgressOutbox;
  timeoutMs: number;
  graceMs: number;
  sleeve?: SleeveOptions;
  signal?: AbortSignal;
}): Promise<boolean> {
  const { outbox, iteration } = input;
  let sleeve;
  try {
    sleeve = await input.runtime.spawn({
      command: '/bin/sh',
      args: ['-c', input.command],
      cwd: input.ws.path,
      env: { ...input.baseEnv, HOME: input.ws.homePath },
      ...(input.sleeve ? input.sleeve : {}),
    });
  } catch (e) {
    outbox.log(iteration, 'system', `until check could not start: ${(e as Error).message}`);
    return false;
  }
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    void sleeve.stop(input.graceMs);
  }, input.timeoutMs);
  const signal = input.signal;
  const abort = (): void => void sleeve.stop(0);
  if (signal?.aborted) abort();
  else signal?.addEventListener('abort', abort, { once: true });
  try {
    for await (const line of sleeve.lines) outbox.log(iteration, line.stream, `[until] ${line.text}`);
    const exit = await sleeve.exited;
    if (signal?.aborted) {
      outbox.log(iteration, 'system', 'until check stopped: the iteration was aborted');
      return false;
    }
    if (timedOut) outbox.log(iteration, 'system', `until check timed out after ${input.timeoutMs} ms`);
    const passed = !timedOut && exit.exitCode === 0;
    outbox.log(iteration, 'system', `until check ${passed ? 'passed' : `failed (exit ${exit.exitCode ?? exit.signal})`}`);
    return passed;
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', abort);
  }
}
