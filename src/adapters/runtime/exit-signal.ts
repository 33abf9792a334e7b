import { constants } from 'node:os';

/**
 * Signals whose default action ends a process. An exit code 128+N for any other N (SIGCHLD,
 * SIGSTOP, SIGCONT, SIGWINCH, SIGURG …) cannot be a death by signal: it is a plain exit code
 * (Gemini CLI exits 145 for an HTTP 401, say).
 */
const NOT_FATAL = new Set(['SIGCHLD', 'SIGCONT', 'SIGSTOP', 'SIGTSTP', 'SIGTTIN', 'SIGTTOU', 'SIGURG', 'SIGWINCH']);
const FATAL_SIGNALS = new Map<number, string>(
  Object.entries(constants.signals)
    .filter(([name]) => !NOT_FATAL.has(name))
    .map(([name, n]) => [n, name]),
);

/**
 * The signal a sandbox's init reported as exit code 128+N (bubblewrap, a container's init), or
 * null when the code is a plain exit code.
 */
export function signalOfExitCode(exitCode: number | null): string | null {
  if (exitCode === null || exitCode <= 128) return null;
  return FATAL_SIGNALS.get(exitCode - 128) ?? null;
}
