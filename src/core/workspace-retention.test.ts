import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DAY_MS,
  finishedAtOf,
  MARKER_SLACK_MS,
  idleSince,
  planGc,
  type GcPlanInput,
  type RetentionCandidate,
} from './workspace-retention.js';

const NOW = 1_700_000_000_000;
const MB = 1024 * 1024;

/** A workspace finished `daysAgo` days ago (null = active), `mb` megabytes. */
const ws = (taskId: string, daysAgo: number | null, mb: number, usedDaysAgo = daysAgo ?? 0): RetentionCandidate => ({
  taskId,
  path: `/w/workspaces/${taskId}`,
  sizeBytes: mb * MB,
  finishedAt: daysAgo === null ? null : NOW - daysAgo * DAY_MS,
  lastUsedAt: NOW - usedDaysAgo * DAY_MS,
});

const removedIds = (input: Omit<GcPlanInput, 'nowMs'>): string[] =>
  planGc({ ...input, nowMs: NOW }).remove.map((r) => `${r.taskId}:${r.why}`);

describe('planGc', () => {
  const a = ws('a', 10, 100);
  const b = ws('b', 5, 100);
  const c = ws('c', 1, 100);
  const active = ws('act', null, 500, 30);
  const rows: [string, Omit<GcPlanInput, 'nowMs'>, string[]][] = [
    ['no limits: nothing', { workspaces: [a, b, c], keepDays: null, maxTotalBytes: null }, []],
    ['keepDays 7: only the 10-day one', { workspaces: [a, b, c], keepDays: 7, maxTotalBytes: null }, ['a:expired']],
    ['keepDays 5: exactly 5 days counts', { workspaces: [a, b, c], keepDays: 5, maxTotalBytes: null }, ['a:expired', 'b:expired']],
    ['keepDays 0: every finished one', { workspaces: [c, a, b, active], keepDays: 0, maxTotalBytes: null }, ['a:expired', 'b:expired', 'c:expired']],
    ['quota met: nothing', { workspaces: [a, b, c], keepDays: null, maxTotalBytes: 300 * MB }, []],
    ['quota 250 MB: the oldest one', { workspaces: [c, b, a], keepDays: null, maxTotalBytes: 250 * MB }, ['a:over_quota']],
    ['quota 100 MB: the two oldest', { workspaces: [c, b, a], keepDays: null, maxTotalBytes: 100 * MB }, ['a:over_quota', 'b:over_quota']],
    ['expired first, then quota', { workspaces: [a, b, c], keepDays: 7, maxTotalBytes: 100 * MB }, ['a:expired', 'b:over_quota']],
    ['active counts toward the total but is kept', { workspaces: [a, active, c], keepDays: null, maxTotalBytes: 550 * MB }, ['a:over_quota', 'c:over_quota']],
    ['quota 0 with an active one: all finished go', { workspaces: [active, b], keepDays: null, maxTotalBytes: 0 }, ['b:over_quota']],
    ['a recent look restarts the clock', { workspaces: [ws('old-but-used', 10, 100, 1)], keepDays: 7, maxTotalBytes: null }, []],
    ['an active one idle for a month is never expired', { workspaces: [active], keepDays: 1, maxTotalBytes: 0 }, []],
  ];
  it.each(rows)('%s', (_name, input, expected) => {
    expect(removedIds(input)).toEqual(expected);
  });

  it('reports totals and keeps', () => {
    const plan = planGc({ workspaces: [a, b, c, active], nowMs: NOW, keepDays: null, maxTotalBytes: 700 * MB });
    expect(plan.totalBytesBefore).toBe(800 * MB);
    expect(plan.freedBytes).toBe(100 * MB);
    expect(plan.totalBytesAfter).toBe(700 * MB);
    expect(plan.overQuota).toBe(false);
    expect(plan.keep.map((k) => `${k.taskId}:${k.why}`)).toEqual(['b:retained', 'c:retained', 'act:active']);
    expect(planGc({ workspaces: [active], nowMs: NOW, keepDays: null, maxTotalBytes: 1 }).overQuota).toBe(true);
  });

  it.each([[-1], [Number.NaN], [Number.POSITIVE_INFINITY]])('rejects a limit of %s', (v) => {
    expect(() => planGc({ workspaces: [], nowMs: NOW, keepDays: v, maxTotalBytes: null })).toThrow(RangeError);
    expect(() => planGc({ workspaces: [], nowMs: NOW, keepDays: null, maxTotalBytes: v })).toThrow(RangeError);
  });
});

interface Raw {
  raw: { taskId: string; sizeBytes: number; finishedAgo: number | null; usedAgo: number }[];
  keepDays: number | null;
  maxTotalBytes: number | null;
}

describe('planGc properties', () => {
  const candidate = fc.record({
    taskId: fc.string({ minLength: 1, maxLength: 6 }),
    sizeBytes: fc.nat({ max: 10_000 }),
    finishedAgo: fc.option(fc.nat({ max: 30 * DAY_MS }), { nil: null }),
    usedAgo: fc.nat({ max: 30 * DAY_MS }),
  });
  const inputArb = fc.record({
    raw: fc.uniqueArray(candidate, { selector: (c) => c.taskId, maxLength: 25 }),
    keepDays: fc.option(fc.nat({ max: 40 }), { nil: null }),
    maxTotalBytes: fc.option(fc.nat({ max: 150_000 }), { nil: null }),
  });
  const build = (i: Raw): GcPlanInput => ({
    workspaces: i.raw.map((r) => ({
      taskId: r.taskId,
      path: `/w/${r.taskId}`,
      sizeBytes: r.sizeBytes,
      finishedAt: r.finishedAgo === null ? null : NOW - r.finishedAgo,
      lastUsedAt: NOW - r.usedAgo,
    })),
    nowMs: NOW,
    keepDays: i.keepDays,
    maxTotalBytes: i.maxTotalBytes,
  });

  it('never removes an active workspace', () => {
    fc.assert(
      fc.property(inputArb, (i) => {
        const input = build(i);
        const active = new Set(input.workspaces.filter((w) => w.finishedAt === null).map((w) => w.taskId));
        const plan = planGc(input);
        expect(plan.remove.filter((r) => active.has(r.taskId))).toEqual([]);
        expect(plan.remove.length + plan.keep.length).toBe(input.workspaces.length);
      }),
    );
  });

  it('meets the quota whenever removing every finished workspace would', () => {
    fc.assert(
      fc.property(inputArb, (i) => {
        const input = build(i);
        const plan = planGc(input);
        const activeBytes = input.workspaces.filter((w) => w.finishedAt === null).reduce((s, w) => s + w.sizeBytes, 0);
        expect(plan.totalBytesAfter).toBe(plan.totalBytesBefore - plan.freedBytes);
        if (input.maxTotalBytes !== null && activeBytes <= input.maxTotalBytes) {
          expect(plan.totalBytesAfter).toBeLessThanOrEqual(input.maxTotalBytes);
          expect(plan.overQuota).toBe(false);
        }
      }),
    );
  });

  it('removes for quota oldest first, and only as much as needed', () => {
    fc.assert(
      fc.property(inputArb, (i) => {
        const input = build(i);
        const plan = planGc(input);
        const byId = new Map(input.workspaces.map((w) => [w.taskId, w]));
        const quota = plan.remove.filter((r) => r.why === 'over_quota').map((r) => byId.get(r.taskId)!);
        const keptFinished = plan.keep.filter((k) => k.why === 'retained').map((k) => byId.get(k.taskId)!);
        for (const r of quota) for (const k of keptFinished) expect(idleSince(r)).toBeLessThanOrEqual(idleSince(k));
        // Without the last over-quota removal the total would still be above the quota.
        const last = quota.at(-1);
        if (last !== undefined && input.maxTotalBytes !== null) {
          expect(plan.totalBytesAfter + last.sizeBytes).toBeGreaterThan(input.maxTotalBytes);
        }
        // Expired removals are exactly the finished ones idle keepDays or more.
        const expired = plan.remove.filter((r) => r.why === 'expired').map((r) => r.taskId).sort();
        const want = input.keepDays === null
          ? []
          : input.workspaces.filter((w) => w.finishedAt !== null && NOW - idleSince(w) >= input.keepDays! * DAY_MS).map((w) => w.taskId).sort();
        expect(expired).toEqual(want);
      }),
    );
  });
});

describe('finishedAtOf', () => {
  const grace = 60 * 60_000;
  const held = new Set(['held']);
  const rows: [string, Parameters<typeof finishedAtOf>[0], number | null][] = [
    ['held: never finished, even with a marker', { taskId: 'held', finishedMarkerAt: NOW - DAY_MS, lastUsedAt: NOW - DAY_MS }, null],
    ['marker: its time', { taskId: 'x', finishedMarkerAt: NOW - 5, lastUsedAt: NOW }, NOW - 5],
    ['marker, then a write within the slack', { taskId: 'x', finishedMarkerAt: NOW - 10 * grace, lastUsedAt: NOW - 10 * grace + MARKER_SLACK_MS }, NOW - 10 * grace],
    ['marker, then later writes: idle grace applies', { taskId: 'x', finishedMarkerAt: NOW - 10 * grace, lastUsedAt: NOW - grace + 1 }, null],
    ['marker, later writes, then idle past the grace', { taskId: 'x', finishedMarkerAt: NOW - 10 * grace, lastUsedAt: NOW - grace }, NOW - grace],
    ['no marker, idle past the grace', { taskId: 'x', finishedMarkerAt: null, lastUsedAt: NOW - grace }, NOW - grace],
    ['no marker, used recently', { taskId: 'x', finishedMarkerAt: null, lastUsedAt: NOW - grace + 1 }, null],
  ];
  it.each(rows)('%s', (_name, ev, expected) => {
    expect(finishedAtOf(ev, held, NOW, grace)).toBe(expected);
  });
});
