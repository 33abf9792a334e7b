import { afterEach, describe, expect, it } from 'vitest';
import { MemoryBus } from '../../adapters/bus/memory/memory-bus.js';
import { SqliteStore } from '../../adapters/store/sqlite/sqlite-store.js';
import { createHqHarness, type HqHarness } from './hq-test-harness.js';
import { runSchedulingPass } from './scheduler-loop.js';

let h: HqHarness;
afterEach(async () => {
  await h.close();
});
async function setup(): Promise<HqHarness> {
  h = await createHqHarness({ store: await SqliteStore.create(':memory:'), bus: new MemoryBus() });
  return h;
}

async function waitUntil(check: () => Promise<boolean>, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('runSchedulingPass', () => {
  it('places tasks on capable nodes and records why the rest was not placed', async () => {
    await setup();
    const gpu = await h.joinNode({ capabilities: ['gpu'], slots: 1 });
    const t1 = await h.submit({ prompt: 'a', requires: ['gpu'] });
    const t2 = await h.submit({ prompt: 'b', requires: ['gpu'] });
    const t3 = await h.submit({ prompt: 'c', requires: ['tpu'] });

    const r = await runSchedulingPass(h.hq.deps);
    expect(r.considered).toBe(3);
    expect(r.granted.map((t) => t.id)).toEqual([t1.id]);
    expect(r.unplaced).toBe(2);
    expect(r.unplacedRecorded).toBe(2);

    const leased = await h.store.getTask(t1.id);
    expect(leased).toMatchObject({
      state: 'leased',
      nodeId: gpu.nodeId,
      fencingToken: 1,
      attempts: 1,
      leaseExpiresAt: h.clock.nowMs() + h.hq.config.leaseTtlMs,
    });
    expect(await h.store.getTask(t2.id)).toMatchObject({ state: 'queued', reason: 'no_free_slot' });
    expect(await h.store.getTask(t3.id)).toMatchObject({ state: 'queued', reason: 'no_capable_node' });

    // An unchanged queue writes nothing the second time.
    const again = await runSchedulingPass(h.hq.deps);
    expect(again.granted).toEqual([]);
    expect(again.unplacedRecorded).toBe(0);
  });

  it("keeps a project's tasks queued with budget_exhausted once its daily budget is spent; a raised budget lets them run", async () => {
    await setup();
    const node = await h.joinNode({ capabilities: ['claude'], slots: 4 });
    const first = await h.submit({ prompt: 'a', agent: 'claude', project: 'web' });
    await runSchedulingPass(h.hq.deps);
    const leased = (await h.store.getTask(first.id))!;
    await h.store.startAttempt({ claim: { taskId: leased.id, nodeId: node.nodeId, fencingToken: leased.fencingToken }, nowMs: h.clock.nowMs(), workspacePath: '/w' });
    await h.store.reportProgress({ claim: { taskId: leased.id, nodeId: node.nodeId, fencingToken: leased.fencingToken }, nowMs: h.clock.nowMs(), iterations: [], logs: [], usage: { iterations: 1, tokensIn: 10, tokensOut: 5, usd: 4.2 } });
    await h.store.setBudget({ project: 'web', dailyUsd: 5, dailyTokens: null, actor: 'admin', nowMs: h.clock.nowMs() });

    const capped = await h.submit({ prompt: 'b', agent: 'claude', project: 'web', budgetUsd: 2 });
    const small = await h.submit({ prompt: 'c', agent: 'claude', project: 'web', budgetUsd: 0.5 });
    const other = await h.submit({ prompt: 'd', agent: 'claude', project: 'api' });
    const r = await runSchedulingPass(h.hq.deps);
    expect(r.granted.map((t) => t.id).sort()).toEqual([small.id, other.id].sort());
    expect(await h.store.getTask(capped.id)).toMatchObject({
      state: 'queued',
      reason: 'budget_exhausted',
      message: 'project web: $4.20 of $5.00 spent today; this task may spend up to $2.00',
    });

    await h.store.setBudget({ project: 'web', dailyUsd: 10, dailyTokens: null, actor: 'admin', nowMs: h.clock.nowMs() });
    expect((await runSchedulingPass(h.hq.deps)).granted.map((t) => t.id)).toEqual([capped.id]);
  });

  it('an AI agent task goes only to a node that has that agent', async () => {
    await setup();
    await h.joinNode({ capabilities: ['claude'], slots: 2 });
    const codex = await h.submit({ prompt: 'x', agent: 'codex' });
    const shell = await h.submit({ prompt: 'echo hi' });
    const r = await runSchedulingPass(h.hq.deps);
    expect(r.granted.map((t) => t.id)).toEqual([shell.id]);
    expect(await h.store.getTask(codex.id)).toMatchObject({ state: 'queued', reason: 'no_capable_node' });
  });

  it('places nothing while the kill switch is on', async () => {
    await setup();
    await h.joinNode({ slots: 4 });
    const t = await h.submit({ prompt: 'x' });
    await h.hq.killSwitch.set({ on: true, reason: 'incident', actor: 'test' });
    const r = await runSchedulingPass(h.hq.deps);
    expect(r.granted).toEqual([]);
    expect(await h.store.getTask(t.id)).toMatchObject({ state: 'queued', reason: 'killswitch' });

    await h.hq.killSwitch.set({ on: false, reason: null, actor: 'test' });
    const after = await runSchedulingPass(h.hq.deps);
    expect(after.granted.map((g) => g.id)).toEqual([t.id]);
  });

  it('does not place on cordoned nodes', async () => {
    await setup();
    const n = await h.joinNode();
    await h.hq.nodes.cordon(n.nodeId, 'op');
    const t = await h.submit({ prompt: 'x' });
    expect((await runSchedulingPass(h.hq.deps)).granted).toEqual([]);
    await h.hq.nodes.uncordon(n.nodeId, 'op');
    expect((await runSchedulingPass(h.hq.deps)).granted.map((g) => g.id)).toEqual([t.id]);
  });
});

describe('SchedulerLoop', () => {
  it('wakes on bus messages and stops when the signal aborts', async () => {
    await setup();
    const ac = new AbortController();
    const running = h.hq.start(ac.signal);
    await h.joinNode({ slots: 2 });
    const t = await h.submit({ prompt: 'x' });
    await waitUntil(async () => (await h.store.getTask(t.id))?.state === 'leased');
    ac.abort();
    await running;
  });

  it('runOnce joins the pass in flight instead of starting a second one', async () => {
    await setup();
    const a = h.hq.scheduler.runOnce();
    const b = h.hq.scheduler.runOnce();
    expect(a).toBe(b);
    await a;
  });
});
