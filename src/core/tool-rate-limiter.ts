/**
 * Per-tool rate limits of a safety policy: at most `rate_limit_per_min` calls in any sliding
 * minute, and at least `cooldown_sec` between two calls. The caller gives the time on every call
 * (`nowMs`), so the limiter is pure and deterministic. Memory is bounded: per tool only the last
 * `rate_limit_per_min` call times are kept (one when only a cooldown applies); tools the limiter
 * was not built with are not tracked.
 */
import type { ToolRule } from './safety-policy.js';

export const RATE_WINDOW_MS = 60_000;

export type RateDecision = { readonly ok: true } | { readonly ok: false; readonly reason: string; readonly retryAfterMs: number };

export type RateRule = Pick<ToolRule, 'name' | 'rateLimitPerMin' | 'cooldownSec'>;

interface Track {
  readonly limitPerMin: number;
  readonly cooldownMs: number;
  /** Call times, oldest first; at most `capacity`. */
  readonly times: number[];
  readonly capacity: number;
}

export class ToolRateLimiter {
  private readonly tracks = new Map<string, Track>();

  constructor(rules: readonly RateRule[]) {
    for (const r of rules) {
      const limitPerMin = Math.max(0, Math.floor(r.rateLimitPerMin));
      const cooldownMs = Math.max(0, Math.floor(r.cooldownSec * 1000));
      if (limitPerMin === 0 && cooldownMs === 0) continue;
      this.tracks.set(r.name, { limitPerMin, cooldownMs, times: [], capacity: Math.max(1, limitPerMin) });
    }
  }

  /** Whether `tool` may be called at `nowMs`; when not, why and how long until it may (both limits considered). */
  check(tool: string, nowMs: number): RateDecision {
    const t = this.tracks.get(tool);
    if (t === undefined || t.times.length === 0) return { ok: true };
    const last = t.times[t.times.length - 1]!;
    let wait: { reason: string; retryAfterMs: number } | null = null;
    if (t.cooldownMs > 0 && nowMs - last < t.cooldownMs) {
      wait = { reason: `${tool} is cooling down: ${t.cooldownMs / 1000} s between calls, last call ${Math.max(0, nowMs - last)} ms ago`, retryAfterMs: last + t.cooldownMs - nowMs };
    }
    if (t.limitPerMin > 0) {
      const inWindow = t.times.filter((at) => at > nowMs - RATE_WINDOW_MS);
      if (inWindow.length >= t.limitPerMin) {
        // The call that frees a place is the oldest of the last `limit` calls.
        const retryAfterMs = inWindow[inWindow.length - t.limitPerMin]! + RATE_WINDOW_MS - nowMs;
        if (wait === null || retryAfterMs > wait.retryAfterMs) wait = { reason: `${tool} is limited to ${t.limitPerMin} call${t.limitPerMin === 1 ? '' : 's'} per minute`, retryAfterMs };
      }
    }
    return wait === null ? { ok: true } : { ok: false, ...wait };
  }

  /** Notes a call of `tool` at `nowMs`. */
  record(tool: string, nowMs: number): void {
    const t = this.tracks.get(tool);
    if (t === undefined) return;
    t.times.push(nowMs);
    if (t.times.length > t.capacity) t.times.splice(0, t.times.length - t.capacity);
  }

  /** `check`, and `record` when allowed. */
  take(tool: string, nowMs: number): RateDecision {
    const d = this.check(tool, nowMs);
    if (d.ok) this.record(tool, nowMs);
    return d;
  }

  /** How many call times are kept for `tool` (for tests of the memory bound). */
  keptFor(tool: string): number {
    return this.tracks.get(tool)?.times.length ?? 0;
  }
}
