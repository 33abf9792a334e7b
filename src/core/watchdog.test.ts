import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isCorticalError } from './errors.js';
import { TASK_TIERS } from './node-command.js';
import { decideWatchdog, isHighTierWork, snapshotBeforeGap, watchdogThresholdMs } from './watchdog.js';

describe('watchdogThresholdMs', () => {
  it('is three heartbeat intervals unless set', () => {
    expect(watchdogThresholdMs(5000)).toBe(15_000);
    expect(watchdogThresholdMs(5000, null)).toBe(15_000);
    expect(watchdogThresholdMs(5000, 60_000)).toBe(60_000);
  });

  it('refuses a setting that is not a positive whole number of ms, saying what is accepted', () => {
    for (const bad of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      let caught: unknown = null;
      try {
        watchdogThresholdMs(1000, bad);
      } catch (e) {
        caught = e;
      }
      expect(isCorticalError(caught) && caught.code === 'VALIDATION_FAILED').toBe(true);
      expect((caught as Error).message).toMatch(/watchdogMissedMs must be a positive whole number of milliseconds/);
    }
  });
});

describe('decideWatchdog', () => {
  const attempts = [
    { taskId: 't0', tier: 'T0' as const },
    { taskId: 't1', tier: 'T1' as const },
    { taskId: 't2', tier: 'T2' as const },
    { taskId: 't3', tier: 'T3' as const },
    { taskId: 'none', tier: undefined },
    { taskId: 'ran', tier: 'T1' as const, ranHighTierStep: true },
  ];

  it('after a gap at the threshold, reverts T2+ work (by tier, or by a T2+ step it ran) and leaves T0/T1 alone', () => {
    const d = decideWatchdog({ lastContactAt: 1000, nowMs: 1300, thresholdMs: 300, attempts });
    expect(d).toEqual({ triggered: true, missedMs: 300, gapStartedAt: 1000, revert: ['t2', 't3', 'ran'], untouched: ['t0', 't1', 'none'] });
  });

  it('does nothing for a gap below the threshold, or before the first contact', () => {
    expect(decideWatchdog({ lastContactAt: 1000, nowMs: 1299, thresholdMs: 300, attempts })).toEqual({ triggered: false, missedMs: 299 });
    expect(decideWatchdog({ lastContactAt: null, nowMs: 10_000_000, thresholdMs: 300, attempts })).toEqual({ triggered: false, missedMs: 0 });
  });

  it('triggers exactly when the gap reaches the threshold, and reverts exactly the T2+ attempts', () => {
    const attempt = fc.record({ taskId: fc.string({ minLength: 1, maxLength: 8 }), tier: fc.constantFrom(...TASK_TIERS, undefined), ranHighTierStep: fc.boolean() });
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1e9 }), fc.integer({ min: 0, max: 1e6 }), fc.integer({ min: 1, max: 1e6 }), fc.array(attempt, { maxLength: 8 }), (last, gap, threshold, list) => {
        const d = decideWatchdog({ lastContactAt: last, nowMs: last + gap, thresholdMs: threshold, attempts: list });
        expect(d.triggered).toBe(gap >= threshold);
        expect(d.missedMs).toBe(gap);
        if (d.triggered) {
          expect(d.revert).toEqual(list.filter((a) => a.ranHighTierStep || a.tier === 'T2' || a.tier === 'T3').map((a) => a.taskId));
          expect(d.revert.length + d.untouched.length).toBe(list.length);
        }
      }),
    );
  });

  it('classifies tiers', () => {
    expect(['T0', 'T1', 'T2', 'T3', undefined].map((tier) => isHighTierWork({ tier: tier as never }))).toEqual([false, false, true, true, false]);
  });
});

describe('snapshotBeforeGap', () => {
  it('picks the latest snapshot taken at or before the gap started, never one taken during it', () => {
    const list = [
      { id: 'a', createdAt: 100 },
      { id: 'b', createdAt: 200 },
      { id: 'c', createdAt: 300 },
    ];
    expect(snapshotBeforeGap(list, 250)?.id).toBe('b');
    expect(snapshotBeforeGap(list, 300)?.id).toBe('c');
    expect(snapshotBeforeGap(list, 99)).toBeNull();
    expect(snapshotBeforeGap([], 1000)).toBeNull();
  });

  it('is the latest of the snapshots not after the gap, whatever their order', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 1000 }), { maxLength: 12 }), fc.integer({ min: 0, max: 1000 }), (times, gap) => {
        const list = times.map((t, i) => ({ id: `s${i}`, createdAt: t }));
        const got = snapshotBeforeGap(list, gap);
        const eligible = times.filter((t) => t <= gap);
        if (eligible.length === 0) expect(got).toBeNull();
        else expect(got?.createdAt).toBe(Math.max(...eligible));
      }),
    );
  });
});
