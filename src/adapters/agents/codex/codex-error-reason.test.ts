import { describe, expect, it } from 'vitest';
import { codexErrorReason } from './codex-error-reason.js';

describe('codexErrorReason', () => {
  it.each([
    ['exceeded retry limit, last status: 429 Too Many Requests, request id: req_1', 'rate_limited'],
    ['unexpected status 401 Unauthorized: Incorrect API key provided, url: http://127.0.0.1:1/v1/responses', 'auth_failed'],
    ['unexpected status 403 Forbidden: nope', 'auth_failed'],
    ["You've hit your usage limit. Try again later.", 'rate_limited'],
    ['unexpected status 500 Internal Server Error: boom', 'agent_error'],
    ['We’re currently experiencing high demand, which may cause temporary errors.', 'agent_error'],
    ['stream disconnected before completion', 'agent_error'],
  ] as const)('%s → %s', (message, reason) => {
    expect(codexErrorReason(message)).toBe(reason);
  });
});
