import { describe, expect, it } from 'vitest';
import { TASK_STATES } from '../../../core/task.js';
import { addNode, addTask, countEvents, eventTypes, expectCode, grant, makeSpec, must, type EnvGetter } from './contract-fixtures.js';

/** createTask, getTask, listTasks (filters, pagination), countTasksByState, migrate. */
export function taskContract(env: EnvGetter): void {
  describe('tasks', () => {
    it('migrate() is idempotent', async () => {
      const { store } = env();
      await store.migrate();
      await store.migrate();
      const t = await addTask(env());
      expect(await store.getTask(t.id)).not.toBeNull();
    });

    it('createTask inserts a queued task and writes task.created', async () => {
      const e = env();
      const spec = makeSpec({ priority: 5, labels: { team: 'core' }, requires: ['gpu'] });
      const now = e.clock.nowMs();
      const t = await e.store.createTask({ id: 'task_x', spec, nowMs: now, actor: 'alice' });
      expect(t).toMatchObject({
        id: 'task_x',
        state: 'queued',
        reason: null,
        desired: 'run',
        attempts: 0,
        fencingToken: 0,
        nodeId: null,
        leaseExpiresAt: null,
        notBefore: now,
        runtimeMs: 0,
        createdAt: now,
        updatedAt: now,
        startedAt: null,
        finishedAt: null,
      });
      expect(t.usage).toEqual({ iterations: 0, tokensIn: 0, tokensOut: 0, usd: 0 });
      const got = must(await e.store.getTask('task_x'));
      expect(got).toEqual(t);
      expect(got.spec).toEqual(spec);
      const events = await e.store.readEvents({ afterSeq: 0, limit: 10, taskId: 'task_x' });
      expect(events.map((x) => x.type)).toEqual(['task.created']);
      expect(events[0]).toMatchObject({ taskId: 'task_x', nodeId: null, at: now });
    });

    it('createTask with an existing id is a CONFLICT', async () => {
      const e = env();
      const t = await addTask(e);
      await expectCode(e.store.createTask({ id: t.id, spec: makeSpec(), nowMs: 1, actor: 'a' }), 'CONFLICT');
      expect(await countEvents(e.store, 'task.created')).toBe(1);
    });

    it('getTask of an unknown id is null', async () => {
      expect(await env().store.getTask('task_nope')).toBeNull();
    });

    it('listTasks pages newest first without duplicates or gaps', async () => {
      const e = env();
      const created: string[] = [];
      for (let i = 0; i < 7; i++) created.push((await addTask(e)).id);
      // Two tasks created in the same millisecond still page deterministically.
      const now = e.clock.nowMs();
      for (const id of ['task_same_a', 'task_same_b']) {
        await e.store.createTask({ id, spec: makeSpec(), nowMs: now, actor: 't' });
        created.push(id);
      }
      const seen: string[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = await e.store.listTasks({ limit: 2, cursor });
        expect(page.items.length).toBeLessThanOrEqual(2);
        seen.push(...page.items.map((t) => t.id));
        cursor = page.nextCursor ?? undefined;
        pages += 1;
      } while (cursor !== undefined && pages < 20);
      expect(seen).toHaveLength(created.length);
      expect(new Set(seen).size).toBe(created.length);
      expect(seen.slice(0, 2)).toEqual(['task_same_b', 'task_same_a']);
      expect(seen.slice(2)).toEqual(created.slice(0, 7).reverse());
      const all = await e.store.listTasks({ limit: 100 });
      expect(all.nextCursor).toBeNull();
      expect(all.items.map((t) => t.id)).toEqual(seen);
    });

    it('listTasks rejects a malformed cursor', async () => {
      await expectCode(env().store.listTasks({ cursor: 'not-a-cursor!' }), 'VALIDATION_FAILED');
    });

    it('listTasks filters by states, agent, node and labels', async () => {
      const e = env();
      const a = await addTask(e, { agent: 'shell', labels: { team: 'core', env: 'prod' } });
      const b = await addTask(e, { agent: 'script', labels: { team: 'core' } });
      const c = await addTask(e, { agent: 'shell', labels: { team: 'web' } });
      const node = await addNode(e);
      await grant(e, b.id, node.id);
      await e.store.requestControl({ taskId: c.id, desire: 'stop', nowMs: e.clock.nowMs(), actor: 't' });

      const ids = async (f: Parameters<typeof e.store.listTasks>[0]) =>
        (await e.store.listTasks(f)).items.map((t) => t.id).sort();
      expect(await ids({ states: ['queued'] })).toEqual([a.id]);
      expect(await ids({ states: ['leased', 'cancelled'] })).toEqual([b.id, c.id].sort());
      expect(await ids({ states: [] })).toEqual([]);
      expect(await ids({ agent: 'shell' })).toEqual([a.id, c.id].sort());
      expect(await ids({ nodeId: node.id })).toEqual([b.id]);
      expect(await ids({ labels: { team: 'core' } })).toEqual([a.id, b.id].sort());
      expect(await ids({ labels: { team: 'core', env: 'prod' } })).toEqual([a.id]);
      expect(await ids({ labels: { team: 'core' }, agent: 'script', states: ['leased'] })).toEqual([b.id]);
      expect(await ids({ labels: { team: 'none' } })).toEqual([]);
    });

    it('listTasks pages through a filtered list', async () => {
      const e = env();
      const wanted: string[] = [];
      for (let i = 0; i < 6; i++) {
        const t = await addTask(e, { labels: { batch: i % 2 === 0 ? 'even' : 'odd' } });
        if (i % 2 === 0) wanted.push(t.id);
      }
      const first = await e.store.listTasks({ labels: { batch: 'even' }, limit: 2 });
      const second = await e.store.listTasks({ labels: { batch: 'even' }, limit: 2, cursor: must(first.nextCursor) });
      expect([...first.items, ...second.items].map((t) => t.id)).toEqual(wanted.reverse());
      expect(second.nextCursor).toBeNull();
    });

    it('countTasksByState reports every state', async () => {
      const e = env();
      const empty = await e.store.countTasksByState();
      for (const s of TASK_STATES) expect(empty[s]).toBe(0);
      await addTask(e);
      await addTask(e);
      const c = await addTask(e);
      await e.store.requestControl({ taskId: c.id, desire: 'stop', nowMs: e.clock.nowMs(), actor: 't' });
      const counts = await e.store.countTasksByState();
      expect(counts.queued).toBe(2);
      expect(counts.cancelled).toBe(1);
      expect(counts.running).toBe(0);
      expect(Object.keys(counts).sort()).toEqual([...TASK_STATES].sort());
    });

    it('each task records its events in order', async () => {
      const e = env();
      const t = await addTask(e);
      const node = await addNode(e);
      await grant(e, t.id, node.id);
      expect(await eventTypes(e.store, t.id)).toEqual(['task.created', 'task.leased']);
    });
  });
}
