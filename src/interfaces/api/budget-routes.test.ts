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

const api = (method: string, path: string, opts: CallOptions = {}) => call(app, method, path, { token: h.adminToken, ...opts });

describe('budget and usage routes', () => {
  it("set, show and clear a project's and the fleet's daily budget", async () => {
    const set = await api('PUT', '/api/v1/projects/web/budget', { body: { dailyUsd: 5 } });
    expect(set).toMatchObject({ status: 200, body: { project: 'web', dailyUsd: 5, dailyTokens: null, today: { usd: 0, tokens: 0 } } });
    const fleet = await api('PUT', '/api/v1/fleet/budget', { body: { dailyTokens: 1000000 } });
    expect(fleet.body).toMatchObject({ dailyUsd: null, dailyTokens: 1000000 });
    expect((await api('GET', '/api/v1/fleet/budget')).body).toMatchObject({ dailyTokens: 1000000 });
    const list = await api('GET', '/api/v1/projects');
    expect(list.body).toMatchObject({ items: [{ project: 'web', dailyUsd: 5 }], total: 1, nextOffset: null });
    await api('PUT', '/api/v1/projects/web/budget', { body: { dailyUsd: null, dailyTokens: null } });
    expect((await api('GET', '/api/v1/projects')).body.items).toEqual([]);
  });

  it('bad input is a clear 400; a viewer may read but not set budgets', async () => {
    const neg = await api('PUT', '/api/v1/projects/web/budget', { body: { dailyUsd: -1 } });
    expect(neg.status).toBe(400);
    expect(JSON.stringify(neg.body)).toMatch(/dailyUsd: a positive number/);
    expect((await api('PUT', '/api/v1/projects/Bad%20Name/budget', { body: { dailyUsd: 1 } })).status).toBe(400);
    expect((await api('GET', '/api/v1/usage?by=team')).status).toBe(400);
    const viewer = (await api('POST', '/api/v1/tokens', { body: { role: 'viewer' } })).body.token as string;
    expect((await call(app, 'GET', '/api/v1/projects', { token: viewer })).status).toBe(200);
    expect((await call(app, 'PUT', '/api/v1/projects/web/budget', { token: viewer, body: { dailyUsd: 1 } })).status).toBe(403);
  });

  it('usage by project and node from progress reports, paginated', async () => {
    const node = await h.joinNode({ capabilities: [], slots: 2 });
    for (const project of ['web', 'api']) {
      const t = await h.submit({ prompt: 'x', project });
      await h.hq.scheduler.runOnce();
      const leased = (await h.store.getTask(t.id))!;
      const claim = { taskId: t.id, nodeId: node.nodeId, fencingToken: leased.fencingToken };
      await h.store.startAttempt({ claim, nowMs: h.clock.nowMs(), workspacePath: '/w' });
      await h.store.reportProgress({ claim, nowMs: h.clock.nowMs(), iterations: [], logs: [], usage: { iterations: 1, tokensIn: 100, tokensOut: 10, usd: project === 'web' ? 2 : 1 } });
    }
    const byProject = await api('GET', '/api/v1/usage?by=project&days=7&limit=1');
    expect(byProject.body).toEqual({ items: [{ key: 'web', tokensIn: 100, tokensOut: 10, usd: 2 }], nextOffset: 1 });
    const byNode = await api('GET', '/api/v1/usage?by=node');
    expect(byNode.body.items).toEqual([{ key: node.nodeId, tokensIn: 200, tokensOut: 20, usd: 3 }]);
    const projects = (await api('GET', '/api/v1/projects')).body.items as { project: string; today: { usd: number } }[];
    expect(projects.map((p) => [p.project, p.today.usd])).toEqual([
      ['api', 1],
      ['web', 2],
    ]);
  });
});
