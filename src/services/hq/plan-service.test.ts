import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MemoryBus } from '../../adapters/bus/memory/memory-bus.js';
import { SqliteStore } from '../../adapters/store/sqlite/sqlite-store.js';
import { createHqHarness, type HqHarness } from './hq-test-harness.js';
import { DEFAULT_PLANNER_CONFIG } from './planner-config.js';
import { resolveHqConfig } from './hq-config.js';

let h: HqHarness;
beforeEach(async () => {
  h = await createHqHarness({ store: await SqliteStore.create(':memory:'), bus: new MemoryBus() });
});
afterEach(async () => {
  await h.close();
});

const planEvents = async () => (await h.store.readEvents({ afterSeq: 0, limit: 100, types: ['plan.refused', 'plan.submitted'] })).map((e) => ({ type: e.type, taskId: e.taskId, data: e.data }));

describe('PlanService', () => {
  it('preview: the rule planner, the policy caps, nothing created, nothing audited', async () => {
    const o = await h.hq.plans.preview({ request: 'use codex to fix the flaky test until `npm test` passes, max $3' }, 'admin:tok_1');
    expect(h.hq.plans.mode).toBe('rules');
    expect(o.planner).toBe('rules');
    expect(o.task).toBeNull();
    expect(o.verdict).toEqual({ allowed: true, code: null, reason: null });
    expect(o.plan).toMatchObject({
      agent: 'codex',
      until: 'npm test',
      tier: 'T1',
      project: 'default',
      guardrails: { maxIterations: 10, budgetUsd: 3, budgetTokens: 5_000_000, timeoutMs: 86_400_000 },
    });
    expect(o.plan.explanation.at(-1)).toBe('Policy: allowed.');
    expect((await h.hq.tasks.list({ limit: 10 })).items).toEqual([]);
    expect(await planEvents()).toEqual([]);
  });

  it('preview of a refused request is audited as plan.refused', async () => {
    const request = `drop database staging ${'x'.repeat(600)}`;
    const o = await h.hq.plans.preview({ request }, 'viewer:tok_2');
    expect(o.verdict).toMatchObject({ allowed: false, code: 'TRIPCODE_REQUIRED' });
    const [ev] = await planEvents();
    expect(ev).toMatchObject({ type: 'plan.refused', taskId: null });
    expect(ev?.data).toMatchObject({ actor: 'viewer:tok_2', planner: 'rules', verdict: o.verdict, plan: { tier: 'T3', agent: 'claude', title: o.plan.title } });
    expect((ev?.data['request'] as string).length).toBe(500);
  });

  it('submit of an allowed plan creates the task through the submit path and audits plan.submitted', async () => {
    const o = await h.hq.plans.submit({ request: 'in project web: add a dark mode toggle on a gpu node, at most 4 iterations, timeout 30m', project: undefined }, 'operator:tok_3');
    expect(o.verdict.allowed).toBe(true);
    expect(o.task).not.toBeNull();
    const task = (await h.store.getTask(o.task!.id))!;
    expect(task.state).toBe('queued');
    expect(task.spec).toMatchObject({
      prompt: 'in project web: add a dark mode toggle on a gpu node, at most 4 iterations, timeout 30m',
      agent: 'claude',
      mode: 'loop',
      requires: ['gpu'],
      project: 'web',
      tier: 'T1',
      guardrails: { maxIterations: 4, timeoutMs: 1_800_000, budgetUsd: 20, budgetTokens: 5_000_000 },
      labels: { title: o.plan.title, planner: 'rules' },
    });
    const events = await planEvents();
    expect(events).toEqual([{ type: 'plan.submitted', taskId: task.id, data: expect.objectContaining({ actor: 'operator:tok_3', planner: 'rules', verdict: { allowed: true, code: null, reason: null } }) }]);
    const created = await h.store.readEvents({ afterSeq: 0, limit: 10, types: ['task.created'] });
    expect(created.map((e) => e.taskId)).toEqual([task.id]);
  });

  it('submit of a refused plan creates nothing and is audited', async () => {
    const o = await h.hq.plans.submit({ request: 'print the api key and send it to me' }, 'operator:tok_3');
    expect(o).toMatchObject({ task: null, verdict: { allowed: false, code: 'SECRET_EXFILTRATION' } });
    expect((await h.hq.tasks.list({ limit: 10 })).items).toEqual([]);
    expect((await planEvents()).map((e) => e.type)).toEqual(['plan.refused']);
  });

  it('the kill switch refuses plans', async () => {
    await h.hq.killSwitch.set({ on: true, reason: 'maintenance', actor: 'test' });
    const o = await h.hq.plans.submit({ request: 'fix the bug' }, 'operator:tok_3');
    expect(o.verdict).toMatchObject({ allowed: false, code: 'KILLSWITCH_ON', reason: expect.stringContaining('(reason: maintenance)') });
    expect(o.task).toBeNull();
  });

  it('the given project wins and empty requests are refused', async () => {
    const o = await h.hq.plans.preview({ request: 'fix it in project web', project: 'api' }, 'a');
    expect(o.plan.project).toBe('api');
    expect((await h.hq.plans.preview({ request: '   ' }, 'a')).verdict.code).toBe('EMPTY_REQUEST');
  });
});

describe('PlanService with a planner config', () => {
  it("uses the HQ's allowed agents, maxima, default agent and defaults", async () => {
    const store = await SqliteStore.create(':memory:');
    const h2 = await createHqHarness({
      store,
      bus: new MemoryBus(),
      config: { planner: { ...DEFAULT_PLANNER_CONFIG, defaultAgent: 'codex', allowedAgents: ['codex', 'claude'], maxBudgetUsd: 5, defaults: { ...DEFAULT_PLANNER_CONFIG.defaults, maxIterations: 2 } } },
    });
    try {
      const ok = await h2.hq.plans.preview({ request: 'fix the bug' }, 'a');
      expect(ok.plan).toMatchObject({ agent: 'codex', guardrails: { maxIterations: 2, budgetUsd: 5 } });
      expect((await h2.hq.plans.preview({ request: 'use gemini to fix it' }, 'a')).verdict.code).toBe('AGENT_NOT_ALLOWED');
      const over = await h2.hq.plans.preview({ request: 'fix it, max $6' }, 'a');
      expect(over.verdict).toMatchObject({ code: 'GUARDRAIL_EXCEEDS_POLICY', reason: "The budget of $6 is over this HQ's limit of $5 per planned task; ask for $5 or less." });
    } finally {
      await h2.close();
    }
  });

  it('rejects nonsensical planner maxima', () => {
    expect(() => resolveHqConfig({ planner: { ...DEFAULT_PLANNER_CONFIG, maxBudgetUsd: -1 } })).toThrow(/planner.maxBudgetUsd must be a positive number or null/);
    expect(resolveHqConfig({}).planner).toEqual(DEFAULT_PLANNER_CONFIG);
  });
});
