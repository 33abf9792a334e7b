/**
 * Watchdog reverts in a progress report (`revert` iteration reports) become `workspace.reverted`
 * events on the real SQLite store: each revert once, several per attempt kept.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MemoryBus } from '../../bus/memory/memory-bus.js';
import { SqliteStore } from '../sqlite/sqlite-store.js';
import type { IterationReport } from '../../../core/ports/store.js';
import { createHqHarness, type HqHarness } from '../../../services/hq/hq-test-harness.js';

let h: HqHarness;

beforeEach(async () => {
  h = await createHqHarness({ store: await SqliteStore.create(':memory:'), bus: new MemoryBus() });
});
afterEach(() => h.close());

async function runningTask() {
  const node = await h.joinNode({ capabilities: [], slots: 1 });
  const t = await h.submit({ prompt: 'echo work' });
  await h.hq.scheduler.runOnce();
  const leased = (await h.store.getTask(t.id))!;
  const claim = { taskId: t.id, nodeId: node.nodeId, fencingToken: leased.fencingToken };
  await h.store.startAttempt({ claim, nowMs: h.clock.nowMs(), workspacePath: '/tmp/ws' });
  return { taskId: t.id, claim };
}

const revert = (at: number, snapshotId: string): IterationReport => ({
  iteration: 0,
  kind: 'revert',
  at,
  data: { reason: 'watchdog', snapshotId, missedMs: 7000, label: 'before iteration 2', snapshotCreatedAt: 100, written: 1, removed: 2 },
});

describe('reportProgress with watchdog reverts', () => {
  it('records a workspace.reverted event per revert; a report sent again counts once', async () => {
    const { taskId, claim } = await runningTask();
    const first = revert(1000, 'snap_a');
    await h.store.reportProgress({ claim, nowMs: h.clock.nowMs(), iterations: [first], logs: [] });
    await h.store.reportProgress({ claim, nowMs: h.clock.nowMs(), iterations: [first], logs: [] });
    await h.store.reportProgress({ claim, nowMs: h.clock.nowMs(), iterations: [revert(2000, 'snap_b')], logs: [] });
    const events = await h.store.readEvents({ afterSeq: 0, limit: 100, taskId, types: ['workspace.reverted'] });
    expect(events.map((e) => e.data)).toEqual([
      { reason: 'watchdog', snapshotId: 'snap_a', missedMs: 7000, label: 'before iteration 2', snapshotCreatedAt: 100, written: 1, removed: 2, attempt: 1, iteration: 0, at: 1000 },
      expect.objectContaining({ reason: 'watchdog', snapshotId: 'snap_b', at: 2000 }),
    ]);
    expect(events.every((e) => e.taskId === taskId && e.nodeId === claim.nodeId)).toBe(true);
  });
});
