import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MemoryBus } from '../../adapters/bus/memory/memory-bus.js';
import { SqliteStore } from '../../adapters/store/sqlite/sqlite-store.js';
import { createHqHarness, type HqHarness } from '../../services/hq/hq-test-harness.js';
import { call, type CallOptions } from './api-test-client.js';
import { createApiApp } from './create-api-app.js';

let h: HqHarness;
let app: ReturnType<typeof createApiApp>;
let webRoot: string;

beforeEach(async () => {
  h = await createHqHarness({ store: await SqliteStore.create(':memory:'), bus: new MemoryBus() });
  webRoot = await mkdtemp(join(tmpdir(), 'cortical-web-'));
  await mkdir(join(webRoot, 'assets'));
  await writeFile(join(webRoot, 'index.html'), '<!doctype html><title>Cortical</title><div id="root"></div>');
  await writeFile(join(webRoot, 'assets', 'app-1a2b.js'), 'console.log(1)');
  app = createApiApp(h.hq, { webRoot });
});
afterEach(async () => {
  await h.close();
  await rm(webRoot, { recursive: true, force: true });
});

interface Entry {
  seq: number;
  type: string;
  actor: string;
  taskId: string | null;
  summary: string;
}
const entries = (body: unknown): Entry[] => (body as { items: Entry[] }).items;

const api = (method: string, path: string, opts: CallOptions = {}) => call(app, method, path, { token: h.adminToken, ...opts });

/** A running task with `usd` spent so far. */
async function spend(project: string, usd: number) {
  const node = await h.joinNode({ capabilities: [], slots: 4 });
  const t = await h.submit({ prompt: `work for ${project}`, project });
  await h.hq.scheduler.runOnce();
  const leased = (await h.store.getTask(t.id))!;
  const claim = { taskId: t.id, nodeId: node.nodeId, fencingToken: leased.fencingToken };
  await h.store.startAttempt({ claim, nowMs: h.clock.nowMs(), workspacePath: '/w' });
  await h.store.reportProgress({ claim, nowMs: h.clock.nowMs(), iterations: [], logs: [], usage: { iterations: 1, tokensIn: 100, tokensOut: 10, usd } });
  return { task: t, claim };
}

describe('dashboard routes', () => {
  it('status carries the day\'s outcomes, spend and the burn rate of the last hour', async () => {
    h.clock.set(Date.UTC(2026, 10, 21, 10, 30));
    const { claim } = await spend('web', 2);
    await h.store.completeAttempt({ claim, nowMs: h.clock.nowMs(), outcome: 'failed', reason: 'agent_failed', message: null, usage: { iterations: 1, tokensIn: 100, tokensOut: 10, usd: 2 } });
    const s = await api('GET', '/api/v1/status');
    expect(s.status).toBe(200);
    expect(s.body.today).toEqual({ date: '2026-11-21', succeeded: 0, failed: 1, cancelled: 0, usd: 2, tokens: 110 });
    expect(s.body.burnRateUsdPerHour).toBeCloseTo(2);
    // 90 minutes later: the 10:00 hour is half inside the last 60 minutes
    h.clock.set(Date.UTC(2026, 10, 21, 11, 30));
    expect((await api('GET', '/api/v1/status')).body.burnRateUsdPerHour).toBeCloseTo(1);
    h.clock.set(Date.UTC(2026, 10, 21, 12, 30));
    expect((await api('GET', '/api/v1/status')).body.burnRateUsdPerHour).toBe(0);
  });

  it('hourly usage: one entry per hour, oldest first, zeros included; bad hours are a 400', async () => {
    h.clock.set(Date.UTC(2026, 10, 21, 10, 15));
    await spend('web', 1.5);
    h.clock.set(Date.UTC(2026, 10, 21, 12, 5));
    const r = await api('GET', '/api/v1/usage/hourly?hours=4');
    expect(r.body.items).toEqual([
      { hour: Date.UTC(2026, 10, 21, 9), usd: 0, tokens: 0 },
      { hour: Date.UTC(2026, 10, 21, 10), usd: 1.5, tokens: 110 },
      { hour: Date.UTC(2026, 10, 21, 11), usd: 0, tokens: 0 },
      { hour: Date.UTC(2026, 10, 21, 12), usd: 0, tokens: 0 },
    ]);
    expect((await api('GET', '/api/v1/usage/hourly')).body.items).toHaveLength(24);
    const bad = await api('GET', '/api/v1/usage/hourly?hours=500');
    expect(bad.status).toBe(400);
    expect(bad.text).toMatch(/hours: 1 to 168/);
  });

  it('tasks can be searched by text (q) with the other filters', async () => {
    const a = await h.submit({ prompt: 'Refactor the billing module' });
    await h.submit({ prompt: 'write release notes' });
    const r = await api('GET', '/api/v1/tasks?q=BILLING');
    expect((r.body.items as { id: string }[]).map((t) => t.id)).toEqual([a.id]);
    expect((await api('GET', '/api/v1/tasks?q=billing&state=succeeded')).body.items).toEqual([]);
    expect((await api('GET', `/api/v1/tasks?q=${'x'.repeat(201)}`)).status).toBe(400);
  });

  it('audit: actions with their actor, newest first, paged backwards, filtered by type, actor and task', async () => {
    const operator = await h.tokenFor('operator');
    const t = await h.submit({ prompt: 'audited work' });
    await call(app, 'POST', `/api/v1/tasks/${t.id}/guide`, { token: operator, body: { text: 'use the new API' } });
    await api('PUT', '/api/v1/killswitch', { body: { on: true, reason: 'runaway spend' } });
    await api('PUT', '/api/v1/killswitch', { body: { on: false } });
    // events that are not audited stay out
    await h.store.appendEvents({ events: [{ type: 'iteration.started', taskId: t.id, nodeId: null, data: { iteration: 1 } }], nowMs: h.clock.nowMs() });

    const all = await api('GET', '/api/v1/audit');
    expect(all.status).toBe(200);
    const items = entries(all.body);
    const types = items.map((e) => e.type);
    expect(types.slice(0, 4)).toEqual(['killswitch.changed', 'killswitch.changed', 'task.guided', 'task.created']);
    expect(types).not.toContain('iteration.started');
    expect(types).toContain('token.created'); // the operator's token
    const ks = items[1]!;
    expect(ks.summary).toBe('turned the kill switch ON: runaway spend');
    expect(ks.actor).toMatch(/^admin:/);
    expect(items[2]).toMatchObject({ type: 'task.guided', taskId: t.id, actor: expect.stringMatching(/^operator:/) });

    const page1 = await api('GET', '/api/v1/audit?limit=2');
    expect(page1.body.items).toHaveLength(2);
    const page2 = await api('GET', `/api/v1/audit?limit=2&before=${page1.body.nextBefore}`);
    expect(entries(page2.body).map((e) => e.seq)).toEqual(items.slice(2, 4).map((e) => e.seq));

    const byType = await api('GET', '/api/v1/audit?type=killswitch.changed');
    expect(byType.body.items).toHaveLength(2);
    expect(byType.body.nextBefore).toBeNull();
    const byActor = await api('GET', `/api/v1/audit?actor=${encodeURIComponent(items[2]!.actor)}`);
    expect(entries(byActor.body).map((e) => e.type)).toEqual(['task.guided']);
    const byTask = await api('GET', `/api/v1/audit?task=${t.id}`);
    expect(entries(byTask.body).map((e) => e.type)).toEqual(['task.guided', 'task.created']);

    const bad = await api('GET', '/api/v1/audit?type=iteration.started');
    expect(bad.status).toBe(400);
    expect(bad.text).toMatch(/not an audited event type; accepted: task\.created/);
    expect((await call(app, 'GET', '/api/v1/audit')).status).toBe(401);
  });

  it('serves the dashboard at / and its assets; API paths keep their JSON 404; no path escapes the root', async () => {
    const page = await call(app, 'GET', '/');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    expect(page.text).toContain('<div id="root">');
    expect(page.headers.get('content-security-policy')).toMatch(/default-src 'self'/);
    const asset = await call(app, 'GET', '/assets/app-1a2b.js');
    expect(asset.headers.get('content-type')).toMatch(/javascript/);
    expect(asset.headers.get('cache-control')).toMatch(/immutable/);
    // a client-side route gets the page; a missing asset does not
    expect((await call(app, 'GET', '/fleet')).text).toContain('<div id="root">');
    expect((await call(app, 'GET', '/assets/missing.js')).status).toBe(404);
    const api404 = await call(app, 'GET', '/api/v1/nope');
    expect(api404.status).toBe(404);
    expect(api404.body.error.code).toBe('NOT_FOUND');
    for (const p of ['/../../etc/passwd', '/%2e%2e/%2e%2e/etc/passwd', '/assets/..%2f..%2fetc%2fpasswd']) {
      const r = await call(app, 'GET', p);
      expect(r.text).not.toMatch(/root:/);
    }
    expect((await call(app, 'GET', '/healthz')).body.status).toBe('ok');
  });

  it('without a built dashboard, / explains how to build it', async () => {
    const bare = createApiApp(h.hq, { webRoot: join(webRoot, 'nothing-here') });
    const r = await call(bare, 'GET', '/');
    expect(r.status).toBe(200);
    expect(r.text).toMatch(/npm run build:web/);
  });
});
