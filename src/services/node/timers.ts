/** Small timer helpers for the node's loops (real timers, cancellable by an AbortSignal). */
import type { StopSignal } from '../../core/runnable.js';

/** Resolves after `ms`, or at once when `signal` aborts (never rejects). */
export function sleep(ms: number, signal?: StopSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, Math.max(0, ms));
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** Exponential back-off: base, 2·base, 4·base … capped at `maxMs`. */
export class Backoff {
  private failures = 0;
  constructor(
    private readonly baseMs = 500,
    private readonly maxMs = 30_000,
  ) {}
  nextDelayMs(): number {
    const delay = Math.min(this.maxMs, this.baseMs * 2 ** Math.min(this.failures, 20));
    this.failures += 1;
    return delay;
  }
  reset(): void {
    this.failures = 0;
  }
}

/** A one-shot timer that can be paused (time spent paused does not count). */
export class PausableTimer {
  private remainingMs: number;
  private startedAt = 0;
  private handle: ReturnType<typeof setTimeout> | null = null;
  private fired = false;

  constructor(
    ms: number,
    private readonly onFire: () => void,
    private readonly now: () => number,
  ) {
    this.remainingMs = Math.max(0, ms);
    this.resume();
  }

  pause(): void {
    if (this.handle === null) return;
    clearTimeout(this.handle);
    this.handle = null;
    this.remainingMs = Math.max(0, this.remainingMs - (this.now() - this.startedAt));
  }

  resume(): void {
    if (this.handle !== null || this.fired) return;
    this.startedAt = this.now();
    this.handle = setTimeout(() => {
      this.handle = null;
      this.fired = true;
      this.onFire();
    }, this.remainingMs);
  }

  cancel(): void {
    if (this.handle !== null) clearTimeout(this.handle);
    this.handle = null;
    this.fired = true;
  }
}

/** A level-triggered wake-up: `wait()` resolves on the next `notify()` (or abort). */
export class Signal {
  private waiters: (() => void)[] = [];
  notify(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }
  wait(signal?: AbortSignal, timeoutMs?: number): Promise<void> {
    return new Promise((resolve) => {
      if (signal?.aborted) return resolve();
      let timer: ReturnType<typeof setTimeout> | null = null;
      const done = (): void => {
        if (timer !== null) clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      this.waiters.push(done);
      signal?.addEventListener('abort', done, { once: true });
      if (timeoutMs !== undefined) timer = setTimeout(done, timeoutMs);
    });
  }
}
