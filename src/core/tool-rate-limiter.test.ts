import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_SAFETY_POLICY } from './safety-policy.js';
import { RATE_WINDOW_MS, ToolRateLimiter } from './tool-rate-limiter.js';

const T0 = 1_800_000_000_000;

describe('ToolRateLimiter: rate_limit_per_min', () => {
  it('allows N calls in a sliding minute, then refuses until the oldest leaves the window', () => {
    const rl = new ToolRateLimiter([{ name: 'run_command', rateLimitPerMin: 3, cooldownSec: 0 }]);
    expect(rl.take('run_command', T0)).toEqual({ ok: true });
    expect(rl.take('run_command', T0 + 10_000)).toEqual({ ok: true });
    expect(rl.take('run_command', T0 + 20_000)).toEqual({ ok: true });
    expect(rl.check('run_command', T0 + 30_000)).toEqual({ ok: false, reason: 'run_command is limited to 3 calls per minute', retryAfterMs: 30_000 });
    // Refused calls are not recorded: the window is unchanged.
    expect(rl.take('run_command', T0 + 59_999)).toMatchObject({ ok: false, retryAfterMs: 1 });
    expect(rl.take('run_command', T0 + 60_000)).toEqual({ ok: true });
    expect(rl.check('run_command', T0 + 60_001)).toMatchObject({ ok: false, retryAfterMs: 9_999 });
    expect(rl.check('run_command', T0 + 70_000)).toEqual({ ok: true });
  });

  it('a limit of one per minute', () => {
    const rl = new ToolRateLimiter([{ name: 'factory_reset_t3', rateLimitPerMin: 1, cooldownSec: 0 }]);
    rl.record('factory_reset_t3', T0);
    expect(rl.check('factory_reset_t3', T0 + 1)).toEqual({ ok: false, reason: 'factory_reset_t3 is limited to 1 call per minute', retryAfterMs: RATE_WINDOW_MS - 1 });
    expect(rl.check('factory_reset_t3', T0 + RATE_WINDOW_MS)).toEqual({ ok: true });
  });

  it('tools are limited separately; unlimited and unknown tools always pass', () => {
    const rl = new ToolRateLimiter([{ name: 'a', rateLimitPerMin: 1, cooldownSec: 0 }, { name: 'b', rateLimitPerMin: 1, cooldownSec: 0 }, { name: 'free', rateLimitPerMin: 0, cooldownSec: 0 }]);
    expect(rl.take('a', T0).ok).toBe(true);
    expect(rl.take('b', T0).ok).toBe(true);
    expect(rl.take('a', T0).ok).toBe(false);
    for (let i = 0; i < 100; i++) expect(rl.take('free', T0).ok).toBe(true);
    expect(rl.take('unknown', T0).ok).toBe(true);
    expect(rl.keptFor('free')).toBe(0);
    expect(rl.keptFor('unknown')).toBe(0);
  });
});

describe('ToolRateLimiter: cooldown_sec', () => {
  it('refuses a call within the cooldown of the last one', () => {
    const rl = new ToolRateLimiter([{ name: 'db_migrate_t2', rateLimitPerMin: 0, cooldownSec: 30 }]);
    expect(rl.take('db_migrate_t2', T0)).toEqual({ ok: true });
    expect(rl.check('db_migrate_t2', T0 + 12_000)).toEqual({ ok: false, reason: 'db_migrate_t2 is cooling down: 30 s between calls, last call 12000 ms ago', retryAfterMs: 18_000 });
    expect(rl.check('db_migrate_t2', T0 + 30_000)).toEqual({ ok: true });
  });

  it('cooldown and rate limit together', () => {
    const rl = new ToolRateLimiter([{ name: 'deploy', rateLimitPerMin: 2, cooldownSec: 10 }]);
    expect(rl.take('deploy', T0).ok).toBe(true);
    expect(rl.take('deploy', T0 + 5_000)).toMatchObject({ ok: false, reason: 'deploy is cooling down: 10 s between calls, last call 5000 ms ago', retryAfterMs: 5_000 });
    expect(rl.take('deploy', T0 + 10_000).ok).toBe(true);
    expect(rl.take('deploy', T0 + 30_000)).toEqual({ ok: false, reason: 'deploy is limited to 2 calls per minute', retryAfterMs: 30_000 });
    expect(rl.take('deploy', T0 + 60_000).ok).toBe(true);
  });

  it('takes its rules from a policy', () => {
    const rl = new ToolRateLimiter(DEFAULT_SAFETY_POLICY.tools);
    // factory_reset_t3: once a minute, an hour's cooldown.
    expect(rl.take('factory_reset_t3', T0).ok).toBe(true);
    expect(rl.take('factory_reset_t3', T0 + 120_000)).toMatchObject({ ok: false, retryAfterMs: 3_480_000 });
    expect(rl.take('read_file', T0).ok && rl.take('read_file', T0).ok).toBe(true);
  });
});

describe('ToolRateLimiter: properties', () => {
  const arbCalls = fc.array(fc.integer({ min: 0, max: 5_000 }), { maxLength: 300 });

  it('never lets more than the limit through in any 60 s window; keeps at most `limit` times', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 10 }), fc.integer({ min: 0, max: 3 }), arbCalls, (limit, cooldownSec, gaps) => {
      const rl = new ToolRateLimiter([{ name: 't', rateLimitPerMin: limit, cooldownSec }]);
      const admitted: number[] = [];
      let now = T0;
      for (const gap of gaps) {
        now += gap;
        const d = rl.take('t', now);
        if (d.ok) admitted.push(now);
        else {
          expect(d.retryAfterMs).toBeGreaterThan(0);
          // Waiting exactly retryAfterMs is enough (checked without taking).
          expect(rl.check('t', now + d.retryAfterMs).ok).toBe(true);
        }
        expect(rl.keptFor('t')).toBeLessThanOrEqual(limit);
      }
      for (let i = 0; i + limit < admitted.length; i++) expect(admitted[i + limit]! - admitted[i]!).toBeGreaterThanOrEqual(RATE_WINDOW_MS);
      for (let i = 1; i < admitted.length; i++) expect(admitted[i]! - admitted[i - 1]!).toBeGreaterThanOrEqual(cooldownSec * 1000);
    }), { numRuns: 200 });
  });
});
