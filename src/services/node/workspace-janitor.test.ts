import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../core/clock.js';
import { silentLogger, type Logger } from '../../core/ports/logger.js';
import type { GcReport, GcRequest, WorkspaceGc } from '../../core/ports/workspace-gc.js';
import { planGc } from '../../core/workspace-retention.js';
import { WorkspaceJanitor } from './workspace-janitor.js';

/** A WorkspaceGc double: plans with the real policy over a fixed list and records requests. */
class FakeGc implements WorkspaceGc {
  readonly requests: GcRequest[] = [];
  removed = new Set<string>();
  gate: Promise<void> = Promise.resolve();
  active = 0;
  maxActive = 0;

  constructor(private readonly sizes: Record<string, number>) {}

  async collect(request: GcRequest): Promise<GcReport> {
    this.requests.push(request);
    this.active += 1;
    this.maxActive = Math.max(this.maxActive, this.active);
    await this.gate;
    this.active -= 1;
    const held = new Set(request.heldTaskIds());
    const plan = planGc({
      workspaces: Object.entries(this.sizes)
        .filter(([id]) => !this.removed.has(id))
        .map(([taskId, sizeBytes]) => ({ taskId, path: `/w/${taskId}`, sizeBytes, lastUsedAt: 0, finishedAt: held.has(taskId) ? null : 0 })),
      nowMs: request.nowMs,
      keepDays: request.policy.keepDays,
      maxTotalBytes: request.policy.maxTotalBytes,
    });
    const removed = request.dryRun ? [] : plan.remove.map((r) => ({ ...r, kind: 'plain' as const, branchDeleted: null, snapshotRefsDeleted: 0 }));
    for (const r of removed) this.removed.add(r.taskId);
    return { dryRun: request.dryRun, root: '/w', scanned: 0, skipped: [], plan, removed, failed: [], freedBytes: plan.freedBytes };
  }
}

const capture = (): { logger: Logger; lines: string[] } => {
  const lines: string[] = [];
  const logger: Logger = {
    debug: () => undefined,
    info: (_o, m) => void lines.push(`info ${m}`),
    warn: (_o, m) => void lines.push(`warn ${m}`),
    error: (_o, m) => void lines.push(`error ${m}`),
    child: () => logger,
  };
  return { logger, lines };
};

describe('WorkspaceJanitor', () => {
  const policy = { keepDays: null, maxTotalBytes: 100, idleGraceMs: 1000 };

  it('dry run plans without removing, then a real run removes the same', async () => {
    const gc = new FakeGc({ a: 80, b: 80, held: 50 });
    const j = new WorkspaceJanitor({ gc, clock: new FakeClock(), logger: silentLogger, policy, heldTaskIds: () => ['held'] });
    const dry = await j.runOnce({ dryRun: true });
    expect(dry.removed).toEqual([]);
    expect(gc.removed.size).toBe(0);
    const wet = await j.runOnce({ dryRun: false });
    expect(wet.plan).toEqual(dry.plan);
    expect([...gc.removed].sort()).toEqual(['a', 'b']);
    expect(j.lastReport).toBe(wet);
    expect(gc.requests.map((r) => [r.dryRun, r.deleteBranches, r.heldTaskIds()])).toEqual([
      [true, false, ['held']],
      [false, false, ['held']],
    ]);
  });

  it('never runs two collections at once', async () => {
    const gc = new FakeGc({ a: 10 });
    let open!: () => void;
    gc.gate = new Promise((r) => (open = r));
    const j = new WorkspaceJanitor({ gc, clock: new FakeClock(), logger: silentLogger, policy, heldTaskIds: () => [] });
    const runs = [j.runOnce({ dryRun: false }), j.runOnce({ dryRun: true }), j.runOnce({ dryRun: false })];
    open();
    await Promise.all(runs);
    expect(gc.maxActive).toBe(1);
    expect(gc.requests).toHaveLength(3);
  });

  it('runs every interval until stopped, survives failures and logs over-quota', async () => {
    const { logger, lines } = capture();
    let calls = 0;
    const gc: WorkspaceGc = {
      collect: async (req) => {
        calls += 1;
        if (calls === 1) throw new Error('disk on fire');
        return new FakeGc({ held: 500 }).collect(req);
      },
    };
    const stop = new AbortController();
    const j = new WorkspaceJanitor({ gc, clock: new FakeClock(), logger, policy, heldTaskIds: () => ['held'], intervalMs: 5, firstRunDelayMs: 0 });
    const done = j.start(stop.signal);
    while (calls < 3) await new Promise((r) => setTimeout(r, 5));
    stop.abort();
    await done;
    expect(lines).toContain('warn workspace gc failed');
    expect(lines).toContain('warn workspaces over quota; the rest are in use');
  });

  it('is off without limits', async () => {
    const gc = new FakeGc({});
    const j = new WorkspaceJanitor({ gc, clock: new FakeClock(), logger: silentLogger, policy: { keepDays: null, maxTotalBytes: null, idleGraceMs: 0 }, heldTaskIds: () => [] });
    await j.start(new AbortController().signal);
    expect(gc.requests).toHaveLength(0);
  });
});
