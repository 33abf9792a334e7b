import type { AgentErrorReason } from '../../../core/ports/agent-driver.js';

/**
 * Why a Gemini CLI run failed, from its structured error info:
 *
 * - the `result` line's `error.type` (the CLI's error class: `FatalAuthenticationError`,
 *   `FatalTurnLimitedError`, `TerminalQuotaError` …, often just `unknown`);
 * - the Google API error the CLI embeds in `error.message` as `[API Error: {"error":{"code":401,…}}]`
 *   (it does so for every HTTP error it does not classify itself);
 * - the exit code: for an API error the CLI exits with the HTTP status (truncated to a byte by
 *   the OS: 429 → 173, 401 → 145, 403 → 147); its own fatal errors have fixed codes
 *   (41 authentication, 53 turn limit).
 *
 * A rate limit the CLI classifies itself (a quota error) loses the JSON in the message; the exit
 * code still tells it. A sandbox may report exit codes above 128 as signals (145 → SIGCHLD):
 * the parser's last resort is the `status: N` field of the error the CLI dumps on stderr.
 */

/** The CLI's exit code for "the session reached its turn limit" (`FatalTurnLimitedError`). */
export const GEMINI_EXIT_TURN_LIMIT = 53;
/** The CLI's exit code for `FatalAuthenticationError` (no or unusable credentials). */
export const GEMINI_EXIT_AUTH = 41;

const RATE_LIMIT_TYPES = new Set(['TerminalQuotaError', 'RetryableQuotaError']);
const AUTH_TYPES = new Set(['FatalAuthenticationError', 'ValidationRequiredError']);

/** The reason an HTTP status of the model API tells, or null. */
export function geminiStatusReason(status: number): AgentErrorReason | null {
  if (status === 429) return 'rate_limited';
  if (status === 401 || status === 403) return 'auth_failed';
  return null;
}

/** The HTTP status of a Google API error embedded in a CLI message (`{"error":{"code":N,…}}`), or null. */
export function embeddedApiStatus(message: string): number | null {
  const start = message.indexOf('{"error"');
  if (start < 0) return null;
  for (let end = message.lastIndexOf('}'); end > start; end = message.lastIndexOf('}', end - 1)) {
    try {
      const parsed = JSON.parse(message.slice(start, end + 1)) as { error?: { code?: unknown } };
      const code = parsed.error?.code;
      return typeof code === 'number' ? code : null;
    } catch {
      // try a shorter candidate
    }
  }
  return null;
}

/** The reason from the `result` line alone (type, embedded API error), or null when it does not say. */
export function geminiResultReason(errorType: string | undefined, message: string): AgentErrorReason | null {
  if (errorType !== undefined && RATE_LIMIT_TYPES.has(errorType)) return 'rate_limited';
  if (errorType !== undefined && AUTH_TYPES.has(errorType)) return 'auth_failed';
  const status = embeddedApiStatus(message);
  return status === null ? null : geminiStatusReason(status);
}

/** The reason an exit code tells (API statuses mod 256, the CLI's auth exit), or null. */
export function geminiExitReason(exitCode: number | null): AgentErrorReason | null {
  if (exitCode === null) return null;
  if (exitCode === GEMINI_EXIT_AUTH) return 'auth_failed';
  for (const status of [429, 401, 403]) if (exitCode === status % 256) return geminiStatusReason(status);
  return null;
}
