import { describe, expect, it } from 'vitest';
import { embeddedApiStatus, geminiExitReason, geminiResultReason } from './gemini-error-reason.js';

describe('gemini error reasons', () => {
  it('reads the HTTP status of the Google API error the CLI embeds in its message', () => {
    expect(embeddedApiStatus('[API Error: {"error":{"code":401,"message":"bad {key}","status":"UNAUTHENTICATED"}}]')).toBe(401);
    expect(embeddedApiStatus('[API Error: {"error":{"code":429,"message":"x"}}]\nPlease wait and try again later.')).toBe(429);
    expect(embeddedApiStatus('[API Error: You have exhausted your daily quota on this model.]')).toBeNull();
    expect(embeddedApiStatus('{"error": broken')).toBeNull();
  });

  it('maps error types and embedded statuses to reasons, or says nothing', () => {
    expect(geminiResultReason('TerminalQuotaError', 'x')).toBe('rate_limited');
    expect(geminiResultReason('FatalAuthenticationError', 'x')).toBe('auth_failed');
    expect(geminiResultReason('unknown', '[API Error: {"error":{"code":403,"status":"PERMISSION_DENIED"}}]')).toBe('auth_failed');
    expect(geminiResultReason('unknown', '[API Error: {"error":{"code":500,"status":"INTERNAL"}}]')).toBeNull();
    expect(geminiResultReason(undefined, 'something')).toBeNull();
  });

  it('maps exit codes: API statuses truncated to a byte, and the CLI auth exit', () => {
    expect([173, 145, 147, 41, 244, 53, 1, 0, null].map(geminiExitReason)).toEqual(['rate_limited', 'auth_failed', 'auth_failed', 'auth_failed', null, null, null, null, null]);
  });
});
