import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MemoryBus } from '../../adapters/bus/memory/memory-bus.js';
import { SqliteStore } from '../../adapters/store/sqlite/sqlite-store.js';
import { FLEET_BUDGET } from '../../core/budgets.js';
import type { Task, TaskUsage } from '../../core/task.js';
import { createHqHarness, type HqHarness } from './hq-test-harness.js';
import { runSchedulingPass } from './scheduler-loop.js';

let h: HqHarness;
let nodeId: string;
beforeEach(async () => {
  h = await createHqHarness({ store: await SqliteStore.create(':memory:'), bus: new MemoryBus() });
  h.clock.set(Date.UTC(2026, 10, 21, 12, 0));
  nodeId = (await h.joinNode({ capabilities: ['claude'], slots: 8 })).nodeId;
});
afterEach(async () => {
  await h.close();
});

/** Run a task of `project` through the real store until it has reported `usage`. */
async function spend(project: string, usage: Omit<TaskUsage, 'iterations'>): Promise<Task> {
  const t = await h.submit({ prompt: 'spend', agent: 'claude', project });
  const r = await runSchedulingPass(h.hq.deps);
  expect(r.granted.map((x) => x.id)).toContain(t.id);
  const leased = (await h.store.getTask(t.id))!;
  const claim = { taskId: t.id, nodeId, fencingToken: leased.fencingToken };
  await h.store.startAttempt({ claim, nowMs: h.clock.nowMs(), workspacePath: '/w' });
  return h.store.completeAttempt({ claim, nowMs: h.clock.nowMs(), outcome: 'succeeded', reason: 'agent_done', message: null, usage: { iterations: 1, ...usage } });
}

const budget = (project: string, dailyUsd: number | null, dailyTokens: number | null = null) =>
  h.hq.budgets.setProject(project, { dailyUsd, dailyTokens }, 'admin');

describe('admission by daily budgets (scheduling pass)', () => {
  it('the fleet budget holds back every project once spent; a new UTC day places the tasks again', async () => {
    await spend('web', { tokensIn: 100, tokensOut: 0, usd: 2 });
    await spend('api', { tokensIn: 100, tokensOut: 0, usd: 1 });
    await h.hq.budgets.setFleet({ dailyUsd: 3, dailyTokens: null }, 'admin');
    const waiting = await h.submit({ prompt: 'x', agent: 'claude', project: 'docs' });
    const r = await runSchedulingPass(h.hq.deps);
    expect(r.granted).toEqual([]);
    expect(await h.store.getTask(waiting.id)).toMatchObject({ state: 'queued', reason: 'budget_exhausted', message: 'the fleet: $3.00 of $3.00 spent today' });
    expect(await h.hq.budgets.fleet()).toMatchObject({ dailyUsd: 3, today: { usd: 3, tokens: 200 } });

    h.clock.set(Date.UTC(2026, 10, 22, 0, 0, 1));
    expect((await runSchedulingPass(h.hq.deps)).granted.map((x) => x.id)).toEqual([waiting.id]);
    expect(await h.store.getTask(waiting.id)).toMatchObject({ state: 'leased', reason: null });
  });

  it('token budgets: a project out of tokens waits, others run; clearing the budget lets it run', async () => {
    await spend('web', { tokensIn: 900, tokensOut: 100, usd: 0 });
    await budget('web', null, 1000);
    const web = await h.submit({ prompt: 'x', agent: 'claude', project: 'web' });
    const api = await h.submit({ prompt: 'y', agent: 'claude', project: 'api' });
    expect((await runSchedulingPass(h.hq.deps)).granted.map((x) => x.id)).toEqual([api.id]);
    expect(await h.store.getTask(web.id)).toMatchObject({ reason: 'budget_exhausted', message: 'project web: 1000 of 1000 tokens used today' });
    await budget('web', null, null);
    expect((await runSchedulingPass(h.hq.deps)).granted.map((x) => x.id)).toEqual([web.id]);
  });

  it("a task whose own cap is more than the project has left waits; one that fits runs", async () => {
    await spend('web', { tokensIn: 10, tokensOut: 0, usd: 4.2 });
    await budget('web', 5);
    const big = await h.submit({ prompt: 'x', agent: 'claude', project: 'web', budgetUsd: 2 });
    const fits = await h.submit({ prompt: 'y', agent: 'claude', project: 'web', budgetUsd: 0.5 });
    expect((await runSchedulingPass(h.hq.deps)).granted.map((x) => x.id)).toEqual([fits.id]);
    expect(await h.store.getTask(big.id)).toMatchObject({
      state: 'queued',
      reason: 'budget_exhausted',
      message: 'project web: $4.20 of $5.00 spent today; this task may spend up to $2.00',
    });
    const events = await h.store.readEvents({ afterSeq: 0, limit: 100, taskId: big.id, types: ['task.unplaced'] });
    expect(events.map((e) => e.data.reason)).toEqual(['budget_exhausted']);
    // an unchanged queue writes nothing on the next pass
    expect((await runSchedulingPass(h.hq.deps)).unplacedRecorded).toBe(0);
  });

  it('budget changes are events and wake the scheduler', async () => {
    const woken: string[] = [];
    h.hq.deps.bus.subscribe('tasks.queued', () => woken.push('tasks.queued'));
    await budget('web', 5);
    await h.hq.budgets.setFleet({ dailyUsd: null, dailyTokens: 10_000 }, 'ops');
    const events = await h.store.readEvents({ afterSeq: 0, limit: 100, types: ['budget.changed'] });
    expect(events.map((e) => e.data)).toEqual([
      { project: 'web', dailyUsd: 5, dailyTokens: null, actor: 'admin' },
      { fleet: true, dailyUsd: null, dailyTokens: 10_000, actor: 'ops' },
    ]);
    expect(woken.length).toBeGreaterThanOrEqual(2);
    expect((await h.store.listBudgets()).map((b) => b.project)).toEqual([FLEET_BUDGET, 'web']);
  });
});
