import { describe, expect, it } from 'vitest';
import { decideRetry, MAX_BACKOFF_MS, type RetryDecision } from './retry-policy.js';
import type { ReasonCode } from './task.js';

const NOW = 1_700_000_000_000;
const SPEC = { maxAttempts: 5, retryBackoffMs: 1_000 };
const requeue = (delayMs: number, reason: ReasonCode): RetryDecision => ({ action: 'requeue', notBefore: NOW + delayMs, reason });
const FAIL: RetryDecision = { action: 'fail', reason: 'max_attempts' };

describe('decideRetry', () => {
  const rows: [string, { maxAttempts: number; retryBackoffMs: number }, number, ReasonCode, RetryDecision][] = [
    // back-off doubles with each attempt, starting at the base
    ['1st attempt lost: base delay', SPEC, 1, 'lease_expired', requeue(1_000, 'lease_expired')],
    ['2nd attempt lost: 2x', SPEC, 2, 'lease_expired', requeue(2_000, 'lease_expired')],
    ['3rd attempt lost: 4x', SPEC, 3, 'node_lost', requeue(4_000, 'node_lost')],
    ['4th attempt lost: 8x', SPEC, 4, 'node_lost', requeue(8_000, 'node_lost')],
    ['no attempt started yet: base delay', SPEC, 0, 'lease_expired', requeue(1_000, 'lease_expired')],
    // cap
    ['delay capped', { maxAttempts: 100, retryBackoffMs: 60_000 }, 4, 'lease_expired', requeue(MAX_BACKOFF_MS, 'lease_expired')],
    ['huge exponent stays capped', { maxAttempts: 10_000, retryBackoffMs: 1_000 }, 5_000, 'node_lost', requeue(MAX_BACKOFF_MS, 'node_lost')],
    ['exactly the cap', { maxAttempts: 100, retryBackoffMs: 75_000 }, 3, 'lease_expired', requeue(MAX_BACKOFF_MS, 'lease_expired')],
    ['just under the cap', { maxAttempts: 100, retryBackoffMs: 74_000 }, 3, 'lease_expired', requeue(296_000, 'lease_expired')],
    ['zero base: no delay', { maxAttempts: 3, retryBackoffMs: 0 }, 2, 'lease_expired', requeue(0, 'lease_expired')],
    // max attempts
    ['attempts used up', SPEC, 5, 'lease_expired', FAIL],
    ['attempts over the limit', SPEC, 9, 'node_lost', FAIL],
    ['single attempt allowed, used', { maxAttempts: 1, retryBackoffMs: 1_000 }, 1, 'lease_expired', FAIL],
    // not the task's fault: no back-off, not counted
    ['killswitch requeues at once', SPEC, 2, 'killswitch', requeue(0, 'killswitch')],
    ['node_released requeues at once', SPEC, 3, 'node_released', requeue(0, 'node_released')],
    ['killswitch ignores max attempts', SPEC, 5, 'killswitch', requeue(0, 'killswitch')],
    ['node_released ignores max attempts', SPEC, 50, 'node_released', requeue(0, 'node_released')],
  ];
  it.each(rows)('%s', (_name, spec, attempts, reason, expected) => {
    expect(decideRetry(spec, attempts, reason, NOW)).toEqual(expected);
  });

  it('the delay never shrinks as attempts grow and never passes the cap', () => {
    const spec = { maxAttempts: 1_000, retryBackoffMs: 700 };
    let previous = 0;
    for (let attempts = 1; attempts < 40; attempts++) {
      const d = decideRetry(spec, attempts, 'lease_expired', NOW);
      if (d.action !== 'requeue') throw new Error('expected requeue');
      const delay = d.notBefore - NOW;
      expect(delay).toBeGreaterThanOrEqual(previous);
      expect(delay).toBeLessThanOrEqual(MAX_BACKOFF_MS);
      previous = delay;
    }
    expect(previous).toBe(MAX_BACKOFF_MS);
  });
});
