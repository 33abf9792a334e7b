import { describe, expect, it } from 'vitest';
import { addNode, addTask, claimOf, countEvents, expectCode, grant, LEASE_TTL_MS, must, type EnvGetter } from './contract-fixtures.js';

export function resleeveProjectContract(env: EnvGetter): void {
  describe('resleeve, projects, agent requirements', () => {
    it('resleeve stores the new agent and model; lists and the scheduler see them (event task.resleeved)', async () => {
      const e = env();
      const t = await addTask(e, { agent: 'claude', model: 'claude-sonnet-4-5' });
      const moved = await e.store.resleeveTask({ taskId: t.id, agent: 'codex', model: 'gpt-5', nowMs: e.clock.nowMs(), actor: 'alice' });
      expect(moved.spec).toMatchObject({ agent: 'codex', model: 'gpt-5', prompt: t.spec.prompt });
      expect(must(await e.store.getTask(t.id)).spec).toMatchObject({ agent: 'codex', model: 'gpt-5' });
      expect((await e.store.listTasks({ agent: 'codex' })).items.map((x) => x.id)).toEqual([t.id]);
      expect((await e.store.listTasks({ agent: 'claude' })).items).toEqual([]);
      const snap = await e.store.loadSchedulerSnapshot({ maxTasks: 10, nowMs: e.clock.nowMs() });
      expect(snap.tasks.find((x) => x.id === t.id)?.requires).toEqual(['codex']);
      const events = await e.store.readEvents({ afterSeq: 0, limit: 10, taskId: t.id, types: ['task.resleeved'] });
      expect(events.map((ev) => ev.data)).toEqual([
        { from: { agent: 'claude', model: 'claude-sonnet-4-5' }, to: { agent: 'codex', model: 'gpt-5' }, actor: 'alice', state: 'queued' },
      ]);
    });

    it('a leased task keeps its lease and sees the new spec on renewal; a terminal task cannot be resleeved', async () => {
      const e = env();
      const node = await addNode(e, { capabilities: ['claude'] });
      const leased = await grant(e, (await addTask(e, { agent: 'claude' })).id, node.id);
      const task = await e.store.startAttempt({ claim: claimOf(leased), nowMs: e.clock.nowMs(), workspacePath: '/w/1' });
      const moved = await e.store.resleeveTask({ taskId: task.id, agent: 'gemini', model: null, nowMs: e.clock.nowMs(), actor: 'bob' });
      expect(moved).toMatchObject({ state: 'running', nodeId: task.nodeId, fencingToken: task.fencingToken });
      const renewal = await e.store.renewLease({ claim: claimOf(task), nowMs: e.clock.nowMs(), leaseTtlMs: LEASE_TTL_MS });
      expect(renewal.task.spec).toMatchObject({ agent: 'gemini', model: null });
      await e.store.completeAttempt({ claim: claimOf(task), nowMs: e.clock.nowMs(), outcome: 'succeeded', reason: 'agent_done', message: null });
      await expectCode(e.store.resleeveTask({ taskId: task.id, agent: 'codex', model: null, nowMs: e.clock.nowMs(), actor: 'bob' }), 'INVALID_TRANSITION');
      await expectCode(e.store.resleeveTask({ taskId: 'task_missing', agent: 'codex', model: null, nowMs: e.clock.nowMs(), actor: 'bob' }), 'TASK_NOT_FOUND');
      expect(await countEvents(e.store, 'task.resleeved', task.id)).toBe(1);
    });

    it('a task needs a node that advertises its agent (shell and script run anywhere); checked again at commit', async () => {
      const e = env();
      const node = await addNode(e, { capabilities: ['shell', 'claude'] });
      const shell = await addTask(e);
      const claude = await addTask(e, { agent: 'claude', requires: ['gpu'] });
      const snap = await e.store.loadSchedulerSnapshot({ maxTasks: 10, nowMs: e.clock.nowMs() });
      expect(snap.tasks.map((x) => [x.id, x.requires])).toEqual([
        [shell.id, []],
        [claude.id, ['gpu', 'claude']],
      ]);
      const codex = await addTask(e, { agent: 'claude' });
      await e.store.resleeveTask({ taskId: codex.id, agent: 'codex', model: null, nowMs: e.clock.nowMs(), actor: 'u' });
      const r = await e.store.commitPlan({ plan: { placements: [{ taskId: codex.id, nodeId: node.id }], unplaced: [] }, nowMs: e.clock.nowMs(), leaseTtlMs: LEASE_TTL_MS });
      expect(r.granted).toEqual([]);
      expect(r.rejected).toEqual([expect.objectContaining({ taskId: codex.id, why: 'node_incapable' })]);
    });

    it('lists filter by project; tasks without one are in default; the projects of tasks', async () => {
      const e = env();
      const web = await addTask(e, { project: 'web' });
      const plain = await addTask(e);
      await addTask(e, { project: 'api' });
      expect((await e.store.listTasks({ project: 'web' })).items.map((x) => x.id)).toEqual([web.id]);
      expect((await e.store.listTasks({ project: 'default' })).items.map((x) => x.id)).toEqual([plain.id]);
      expect((await e.store.listTasks({ project: 'web', states: ['queued'], limit: 1 })).items).toHaveLength(1);
      expect((await e.store.listTasks({ project: 'none' })).items).toEqual([]);
      expect(await e.store.listTaskProjects({ limit: 10 })).toEqual(['api', 'default', 'web']);
      expect(await e.store.listTaskProjects({ limit: 1 })).toEqual(['api']);
    });
  });
}
