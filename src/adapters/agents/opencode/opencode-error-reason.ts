/**
 * The reason of an OpenCode `error` event from its structured fields: the HTTP status of an
 * `APIError`, the error's name (`ProviderAuthError`), then the provider's error body
 * (`error.type` / `error.code` of an OpenAI-style body).
 */
import type { AgentErrorReason } from '../../../core/ports/agent-driver.js';
import type { ErrorLine } from './opencode-stream-schema.js';

const RATE_LIMIT_CODES = new Set(['rate_limit_exceeded', 'rate_limit_error', 'rate_limit', 'too_many_requests']);
const AUTH_CODES = new Set(['invalid_api_key', 'authentication_error', 'permission_error', 'unauthorized', 'invalid_authentication']);

/** `type` and `code` of an OpenAI-style error body (`{"error": {...}}`), when the body is one. */
function bodyCodes(body: string | undefined): string[] {
  if (body === undefined || body === '') return [];
  try {
    const json: unknown = JSON.parse(body);
    const err = typeof json === 'object' && json !== null ? (json as { error?: unknown }).error : undefined;
    if (typeof err !== 'object' || err === null) return [];
    const { type, code } = err as { type?: unknown; code?: unknown };
    return [type, code].filter((v): v is string => typeof v === 'string').map((v) => v.toLowerCase());
  } catch {
    return [];
  }
}

export function opencodeErrorReason(error: ErrorLine['error']): AgentErrorReason {
  const status = error.data?.statusCode;
  if (status === 429) return 'rate_limited';
  if (status === 401 || status === 403) return 'auth_failed';
  if (error.name === 'ProviderAuthError') return 'auth_failed';
  const codes = bodyCodes(error.data?.responseBody);
  if (codes.some((c) => RATE_LIMIT_CODES.has(c))) return 'rate_limited';
  if (codes.some((c) => AUTH_CODES.has(c))) return 'auth_failed';
  return 'agent_error';
}

/** The wait a rate limit asks for (`retry-after-ms`, `retry-after` in seconds), if any. */
export function opencodeRetryAfterMs(error: ErrorLine['error']): number | undefined {
  const headers = error.data?.responseHeaders ?? {};
  const lower = new Map(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  const ms = Number.parseFloat(lower.get('retry-after-ms') ?? '');
  if (Number.isFinite(ms) && ms >= 0) return Math.round(ms);
  const s = Number.parseFloat(lower.get('retry-after') ?? '');
  if (Number.isFinite(s) && s >= 0) return Math.round(s * 1000);
  return undefined;
}
