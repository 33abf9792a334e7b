import type { AgentErrorReason } from '../../../core/ports/agent-driver.js';

/**
 * Why a Codex turn failed. Codex's JSONL carries its HTTP errors only as a message it builds
 * itself, always with the status: `unexpected status 401 Unauthorized: …` or, once its retries
 * are spent, `exceeded retry limit, last status: 429 Too Many Requests, …`. The status decides;
 * Codex's own wording for an account's usage limit counts as a rate limit too.
 */
export function codexErrorReason(message: string): AgentErrorReason {
  const status = /\bstatus:?\s+(\d{3})\b/i.exec(message)?.[1];
  if (status === '429') return 'rate_limited';
  if (status === '401' || status === '403') return 'auth_failed';
  if (status === undefined && /\busage limit\b/i.test(message)) return 'rate_limited';
  return 'agent_error';
}
