import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MemoryBus } from '../../adapters/bus/memory/memory-bus.js';
import { SqliteStore } from '../../adapters/store/sqlite/sqlite-store.js';
import { createHqHarness, type HqHarness } from '../../services/hq/hq-test-harness.js';
import { call, type CallOptions } from './api-test-client.js';
import { createApiApp } from './create-api-app.js';

let h: HqHarness;
let app: ReturnType<typeof createApiApp>;

beforeEach(async () => {
  h = await createHqHarness({ store: await SqliteStore.create(':memory:'), bus: new MemoryBus() });
  app = createApiApp(h.hq);
});
afterEach(async () => {
  await h.close();
});

const ids = (r: { body: { items: { id: string }[] } }): string[] => r.body.items.map((t) => t.id);
const api = (method: string, path: string, opts: CallOptions = {}) => call(app, method, path, { token: h.adminToken, ...opts });

describe('tasks by project', () => {
  it('lists filter by project; a malformed project is a clear 400', async () => {
    const web = (await api('POST', '/api/v1/tasks', { body: { prompt: 'a', project: 'web' } })).body as { id: string };
    const plain = (await api('POST', '/api/v1/tasks', { body: { prompt: 'b' } })).body as { id: string; spec: { project: string } };
    expect(plain.spec.project).toBe('default');
    expect(ids(await api('GET', '/api/v1/tasks?project=web'))).toEqual([web.id]);
    expect(ids(await api('GET', '/api/v1/tasks?project=default'))).toEqual([plain.id]);
    const projects = (await api('GET', '/api/v1/projects')).body as { items: { project: string; dailyUsd: unknown; today: unknown }[]; total: number };
    expect(projects.items).toEqual([
      { project: 'default', dailyUsd: null, dailyTokens: null, today: { usd: 0, tokens: 0 } },
      { project: 'web', dailyUsd: null, dailyTokens: null, today: { usd: 0, tokens: 0 } },
    ]);
    const bad = await api('GET', '/api/v1/tasks?project=Web%20Site');
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toMatch(/project: lowercase letters/);
  });

  it('an older stored task without project, model or fallbacks reads with the defaults', async () => {
    const submitted = await h.submit({ prompt: 'old' });
    const { project: _p, model: _m, fallbacks: _f, ...older } = submitted.spec;
    await h.store.createTask({ id: 'task_older', spec: older, nowMs: h.clock.nowMs(), actor: 'test' });
    const r = await api('GET', '/api/v1/tasks/task_older');
    expect(r.status).toBe(200);
    expect(r.body.spec).toMatchObject({ project: 'default', model: null, fallbacks: [] });
    expect(ids(await api('GET', '/api/v1/tasks?project=default'))).toContain('task_older');
  });

  it('fallbacks: at most 5, each a valid agent', async () => {
    const six = Array.from({ length: 6 }, () => ({ agent: 'codex' }));
    expect((await api('POST', '/api/v1/tasks', { body: { prompt: 'a', fallbacks: six } })).status).toBe(400);
    expect((await api('POST', '/api/v1/tasks', { body: { prompt: 'a', fallbacks: [{ agent: 'Codex' }] } })).status).toBe(400);
    const ok = await api('POST', '/api/v1/tasks', { body: { prompt: 'a', agent: 'claude', model: 'claude-sonnet-4-5', fallbacks: [{ agent: 'codex', model: 'gpt-5' }] } });
    expect(ok.body.spec).toMatchObject({ agent: 'claude', model: 'claude-sonnet-4-5', fallbacks: [{ agent: 'codex', model: 'gpt-5' }] });
  });
});

describe('guidance delivery modes', () => {
  it('the guidance DTO says how each guidance was delivered (null until then); the older seq report means next_iteration', async () => {
    const node = await h.joinNode({ capabilities: ['claude'], slots: 1 });
    const t = (await api('POST', '/api/v1/tasks', { body: { prompt: 'x', agent: 'claude' } })).body as { id: string };
    await h.hq.scheduler.runOnce();
    const fencingToken = (await h.store.getTask(t.id))!.fencingToken;
    const nodeCall = (path: string, body: unknown) => call(app, 'POST', `/api/v1/leases/${t.id}/${path}`, { token: node.accessToken, body });
    expect((await nodeCall('start', { fencingToken, workspacePath: '/w' })).status).toBe(200);
    for (const text of ['one', 'two', 'three']) await api('POST', `/api/v1/tasks/${t.id}/guide`, { body: { text } });
    const before = await api('GET', `/api/v1/tasks/${t.id}/guidance`);
    expect((before.body.items as { deliveryMode: unknown }[]).map((g) => g.deliveryMode)).toEqual([null, null, null]);

    const progress = await nodeCall('progress', { fencingToken, guidanceDeliveries: [{ seq: 1, mode: 'live' }, { seq: 2, mode: 'interrupt_resume' }] });
    expect(progress.status).toBe(200);
    expect((await nodeCall('progress', { fencingToken, guidanceDeliveredSeq: 3 })).status).toBe(200);
    const after = await api('GET', `/api/v1/tasks/${t.id}/guidance`);
    expect((after.body.items as { text: string; deliveryMode: unknown }[]).map((g) => [g.text, g.deliveryMode])).toEqual([
      ['one', 'live'],
      ['two', 'interrupt_resume'],
      ['three', 'next_iteration'],
    ]);
    const bad = await nodeCall('progress', { fencingToken, guidanceDeliveries: [{ seq: 1, mode: 'shout' }] });
    expect(bad.status).toBe(400);
  });
});
