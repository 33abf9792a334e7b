import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MemoryBus } from '../../adapters/bus/memory/memory-bus.js';
import { SqliteStore } from '../../adapters/store/sqlite/sqlite-store.js';
import { createHqHarness, type HqHarness } from '../../services/hq/hq-test-harness.js';
import { runSchedulingPass } from '../../services/hq/scheduler-loop.js';
import { call, type CallOptions } from './api-test-client.js';
import { createApiApp } from './create-api-app.js';

const resources = { cpuCount: 4, loadAvg1: 0.5, memTotalMb: 8000, memFreeMb: 4000 };

let h: HqHarness;
let app: ReturnType<typeof createApiApp>;
let admin: string;

beforeEach(async () => {
  h = await createHqHarness({ store: await SqliteStore.create(':memory:'), bus: new MemoryBus() });
  app = createApiApp(h.hq);
  admin = h.adminToken;
});
afterEach(async () => {
  await h.close();
});

const api = (method: string, path: string, opts: CallOptions = {}) => call(app, method, path, { token: admin, ...opts });

function expect4xx(status: number, expected: number): void {
  expect(status).toBe(expected);
}

async function joinViaApi(name = 'n1', capabilities: string[] = []) {
  const jt = await api('POST', '/api/v1/tokens', { body: { role: 'node' } });
  expect(jt.status).toBe(201);
  const joined = await call(app, 'POST', '/api/v1/nodes/join', {
    body: { joinToken: jt.body.token, name, capabilities, slots: 2, resources, version: '1.0' },
  });
  expect(joined.status).toBe(201);
  return joined.body as { nodeId: string; accessToken: string; refreshToken: string };
}

describe('unauthenticated endpoints', () => {
  it('healthz and the OpenAPI document', async () => {
    const health = await call(app, 'GET', '/healthz');
    expect(health).toMatchObject({ status: 200, body: { status: 'ok', version: '9.9.9-test' } });
    const doc = await call(app, 'GET', '/api/v1/openapi.json');
    expect(doc.status).toBe(200);
    expect(doc.body.openapi).toBe('3.1.0');
    const paths = Object.keys(doc.body.paths as object);
    for (const p of [
      '/api/v1/tasks',
      '/api/v1/tasks/{id}',
      '/api/v1/tasks/{id}/events',
      '/api/v1/tasks/{id}/logs',
      '/api/v1/tasks/{id}/guidance',
      '/api/v1/tasks/{id}/pause',
      '/api/v1/tasks/{id}/resume',
      '/api/v1/tasks/{id}/stop',
      '/api/v1/tasks/{id}/guide',
      '/api/v1/tasks/{id}/resleeve',
      '/api/v1/nodes',
      '/api/v1/nodes/{id}',
      '/api/v1/nodes/join',
      '/api/v1/nodes/{id}/credential',
      '/api/v1/nodes/{id}/heartbeat',
      '/api/v1/nodes/{id}/cordon',
      '/api/v1/leases/{taskId}/complete',
      '/api/v1/killswitch',
      '/api/v1/tokens',
      '/api/v1/status',
      '/api/v1/events',
    ]) {
      expect(paths).toContain(p);
    }
  });

  it('unknown routes are 404 JSON', async () => {
    const r = await call(app, 'GET', '/api/v1/nope');
    expect(r.status).toBe(404);
    expect(r.body.error.code).toBe('NOT_FOUND');
    expect((await call(app, 'DELETE', '/api/v1/tasks', { token: admin })).status).toBe(404);
  });
});

describe('tasks', () => {
  it('create, get, list with filters and cursor pagination', async () => {
    const created = await api('POST', '/api/v1/tasks', { body: { prompt: 'echo 1', labels: { team: 'x' } } });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ state: 'queued', spec: { prompt: 'echo 1', agent: 'shell', guardrails: { maxIterations: 1 } } });
    await api('POST', '/api/v1/tasks', { body: { prompt: 'loop', mode: 'loop', agent: 'script' } });
    await api('POST', '/api/v1/tasks', { body: { prompt: 'three' } });

    const got = await api('GET', `/api/v1/tasks/${created.body.id as string}`);
    expect(got).toMatchObject({ status: 200, body: { id: created.body.id } });

    const page1 = await api('GET', '/api/v1/tasks?limit=2');
    expect(page1.status).toBe(200);
    expect(page1.body.items).toHaveLength(2);
    expect(page1.body.nextCursor).toEqual(expect.any(String));
    const page2 = await api('GET', `/api/v1/tasks?limit=2&cursor=${encodeURIComponent(page1.body.nextCursor as string)}`);
    expect(page2.body.items).toHaveLength(1);
    const ids = [...page1.body.items, ...page2.body.items].map((t: { id: string }) => t.id);
    expect(new Set(ids).size).toBe(3);

    const scripts = await api('GET', '/api/v1/tasks?agent=script');
    expect((scripts.body.items as { spec: { agent: string } }[]).map((t) => t.spec.agent)).toEqual(['script']);
    const queued = await api('GET', '/api/v1/tasks?state=queued,leased');
    expect(queued.body.items).toHaveLength(3);
    const none = await api('GET', '/api/v1/tasks?node=node_nope');
    expect(none.body.items).toEqual([]);
  });

  it('rejects bad input with 400 naming the field', async () => {
    const cases: [CallOptions, string][] = [
      [{ body: {} }, 'body.prompt'],
      [{ body: { prompt: 5 } }, 'body.prompt'],
      [{ body: { prompt: '' } }, 'body.prompt'],
      [{ body: { prompt: 'x', bogus: true } }, "'bogus'"],
      [{ body: { prompt: 'x', mode: 'forever' } }, 'body.mode'],
      [{ body: { prompt: 'x', requires: ['UPPER'] } }, 'body.requires.0'],
      [{ body: { prompt: 'x', priority: 1.5 } }, 'body.priority'],
      [{ body: { prompt: 'x', repo: { path: '/r', extra: 1 } } }, 'accepted: path, baseRef'],
      [{ rawBody: '{"prompt": ' }, 'malformed JSON'],
      [{ rawBody: '[1,2]' }, 'body'],
      [{ rawBody: 'null' }, 'body'],
    ];
    for (const [opts, mention] of cases) {
      const r = await api('POST', '/api/v1/tasks', opts);
      expect4xx(r.status, 400);
      expect(r.body.error.code).toBe('VALIDATION_FAILED');
      expect(r.body.error.message).toContain(mention);
    }
    const textPlain = await api('POST', '/api/v1/tasks', { rawBody: 'prompt=x', headers: { 'content-type': 'text/plain' } });
    expect(textPlain.status).toBe(415);
    expect(textPlain.body.error.code).toBe('VALIDATION_FAILED');

    for (const q of ['limit=0', 'limit=abc', 'limit=501', 'state=bogus', 'colour=red', 'cursor=%%%notbase64']) {
      const r = await api('GET', `/api/v1/tasks?${q}`);
      expect(r.status, q).toBe(400);
      expect(r.body.error.code).toBe('VALIDATION_FAILED');
    }
    for (const q of ['after=-1', 'after=x', 'limit=0', 'limit=1001', 'extra=1']) {
      const r = await api('GET', `/api/v1/tasks/task_1/events?${q}`);
      expect(r.status, q).toBe(400);
    }
  });

  it('unknown task ids are 404 on every task route', async () => {
    for (const [method, path, body] of [
      ['GET', '/api/v1/tasks/task_missing', undefined],
      ['GET', '/api/v1/tasks/task_missing/events', undefined],
      ['GET', '/api/v1/tasks/task_missing/logs', undefined],
      ['GET', '/api/v1/tasks/task_missing/guidance', undefined],
      ['POST', '/api/v1/tasks/task_missing/pause', { now: true }],
      ['POST', '/api/v1/tasks/task_missing/resume', undefined],
      ['POST', '/api/v1/tasks/task_missing/stop', undefined],
      ['POST', '/api/v1/tasks/task_missing/guide', { text: 'hi' }],
      ['POST', '/api/v1/tasks/task_missing/resleeve', { agent: 'codex' }],
    ] as const) {
      const r = await api(method, path, { body });
      expect(r.status, `${method} ${path}`).toBe(404);
      expect(r.body.error.code).toBe('TASK_NOT_FOUND');
    }
  });

  it('resleeve moves a task to another agent and model (event task.resleeved); bad input is a clear 400', async () => {
    const t = (await api('POST', '/api/v1/tasks', { body: { prompt: 'fix it', agent: 'claude', model: 'claude-sonnet-4-5', project: 'web', fallbacks: [{ agent: 'gemini' }] } })).body as { id: string };
    const moved = await api('POST', `/api/v1/tasks/${t.id}/resleeve`, { body: { agent: 'codex', model: 'gpt-5' } });
    expect(moved).toMatchObject({ status: 200, body: { spec: { agent: 'codex', model: 'gpt-5', project: 'web', fallbacks: [{ agent: 'gemini', model: null }] } } });
    expect((await api('GET', `/api/v1/tasks/${t.id}`)).body.spec).toMatchObject({ agent: 'codex', model: 'gpt-5' });
    const byAgent = (await api('GET', '/api/v1/tasks?agent=codex')).body.items as { id: string }[];
    expect(byAgent.map((x) => x.id)).toEqual([t.id]);
    const events = await api('GET', `/api/v1/tasks/${t.id}/events`);
    const resleeved = (events.body.items as { type: string; data: unknown }[]).find((e) => e.type === 'task.resleeved');
    expect(resleeved?.data).toMatchObject({ from: { agent: 'claude', model: 'claude-sonnet-4-5' }, to: { agent: 'codex', model: 'gpt-5' } });
    const bad = await api('POST', `/api/v1/tasks/${t.id}/resleeve`, { body: { agent: 'Codex!' } });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toMatch(/agent: a driver name/);
    expect((await api('POST', '/api/v1/tasks', { body: { prompt: 'x', project: 'Bad Project' } })).status).toBe(400);
    await api('POST', `/api/v1/tasks/${t.id}/stop`);
    expect((await api('POST', `/api/v1/tasks/${t.id}/resleeve`, { body: { agent: 'codex' } })).status).toBe(409);
  });

  it('stop cancels a queued task; controls on a terminal task are 409', async () => {
    const t = (await api('POST', '/api/v1/tasks', { body: { prompt: 'x' } })).body as { id: string };
    const stopped = await api('POST', `/api/v1/tasks/${t.id}/stop`);
    expect(stopped).toMatchObject({ status: 200, body: { state: 'cancelled' } });
    expect((await api('POST', `/api/v1/tasks/${t.id}/resume`)).status).toBe(409);
    expect((await api('POST', `/api/v1/tasks/${t.id}/guide`, { body: { text: 'late' } })).status).toBe(409);
    const badGuide = await api('POST', `/api/v1/tasks/${t.id}/guide`, { body: { text: '' } });
    expect(badGuide.status).toBe(400);
    const badPause = await api('POST', `/api/v1/tasks/${t.id}/pause`, { body: { now: 'yes' } });
    expect(badPause.status).toBe(400);
  });
});

describe('a task through its lifecycle over the API', () => {
  it('join, lease, start, renew, progress, guide, pause, resume, complete, logs, events', async () => {
    const node = await joinViaApi('worker', ['build']);
    const nodeCall = (method: string, path: string, body?: unknown) => call(app, method, path, { token: node.accessToken, body });
    const t = (await api('POST', '/api/v1/tasks', { body: { prompt: 'make', requires: ['build'] } })).body as { id: string };
    await runSchedulingPass(h.hq.deps);

    const hb = await nodeCall('POST', `/api/v1/nodes/${node.nodeId}/heartbeat`, { resources, slots: 2 });
    expect(hb.status).toBe(200);
    expect(hb.body.node).toMatchObject({ id: node.nodeId, state: 'ready', freeSlots: 1, activeLeases: 1 });
    expect(hb.body.killSwitch).toBe(false);
    const lease = hb.body.leases[0] as { id: string; fencingToken: number };
    expect(lease.id).toBe(t.id);
    const fencingToken = lease.fencingToken;
    const L = (op: string) => `/api/v1/leases/${t.id}/${op}`;

    expect((await nodeCall('POST', L('start'), { fencingToken, workspacePath: '/ws' })).body.state).toBe('running');
    const guide = await api('POST', `/api/v1/tasks/${t.id}/guide`, { body: { text: 'prefer small commits' } });
    expect(guide).toMatchObject({ status: 201, body: { seq: 1, text: 'prefer small commits' } });
    const pause = await api('POST', `/api/v1/tasks/${t.id}/pause`, { body: { now: true } });
    expect(pause.body.desired).toBe('pause_now');
    const pauseNoBody = await api('POST', `/api/v1/tasks/${t.id}/pause`);
    expect(pauseNoBody.body.desired).toBe('pause');

    const renew = await nodeCall('POST', L('renew'), { fencingToken });
    expect(renew.status).toBe(200);
    expect(renew.body).toMatchObject({ desired: 'pause', killSwitch: false, leaseExpiresAt: h.clock.nowMs() + h.hq.config.leaseTtlMs });
    expect(renew.body.pendingGuidance).toHaveLength(1);

    const progress = await nodeCall('POST', L('progress'), {
      fencingToken,
      iterations: [{ iteration: 1, kind: 'started', at: h.clock.nowMs(), data: {} }],
      logs: [{ attempt: 1, iteration: 1, stream: 'stdout', at: h.clock.nowMs(), text: 'hello' }],
      observed: 'paused',
      pauseReason: 'paused',
      guidanceDeliveredSeq: 1,
    });
    expect(progress).toMatchObject({ status: 200, body: { state: 'paused' } });
    expect((await api('POST', `/api/v1/tasks/${t.id}/resume`)).body.desired).toBe('run');
    expect((await nodeCall('POST', L('progress'), { fencingToken, observed: 'running' })).body.state).toBe('running');

    const badProgress = await nodeCall('POST', L('progress'), { fencingToken, logs: [{ text: 1 }] });
    expect(badProgress.status).toBe(400);
    const stale = await nodeCall('POST', L('renew'), { fencingToken: fencingToken + 5 });
    expect(stale.status).toBe(409);
    expect(stale.body.error.code).toBe('LEASE_CONFLICT');

    const done = await nodeCall('POST', L('complete'), { fencingToken, outcome: 'succeeded', reason: 'once_completed' });
    expect(done).toMatchObject({ status: 200, body: { state: 'succeeded', reason: 'once_completed' } });
    expect((await nodeCall('POST', L('complete'), { fencingToken, outcome: 'succeeded', reason: 'once_completed' })).status).toBe(409);
    expect((await nodeCall('POST', L('complete'), { fencingToken, outcome: 'won', reason: 'once_completed' })).status).toBe(400);

    const logs = await api('GET', `/api/v1/tasks/${t.id}/logs`);
    expect(logs.status).toBe(200);
    expect((logs.body.items as { text: string }[]).map((l) => l.text)).toEqual(['hello']);
    expect(logs.body.nextAfter).toBe(logs.body.items[0].seq);
    const events = await api('GET', `/api/v1/tasks/${t.id}/events?limit=2`);
    expect(events.body.items).toHaveLength(2);
    expect(events.body.items[0].type).toBe('task.created');
    const rest = await api('GET', `/api/v1/tasks/${t.id}/events?after=${events.body.nextAfter as number}`);
    expect((rest.body.items as { type: string }[]).map((e) => e.type)).toContain('task.succeeded');
    const guidance = await api('GET', `/api/v1/tasks/${t.id}/guidance`);
    expect(guidance.body.items).toHaveLength(1);
    const byNode = await api('GET', `/api/v1/tasks?node=${node.nodeId}&state=succeeded`);
    expect((byNode.body.items as { id: string }[]).map((x) => x.id)).toEqual([t.id]);
  });

  it('lease calls on unknown tasks are 4xx', async () => {
    const node = await joinViaApi();
    const r = await call(app, 'POST', '/api/v1/leases/task_missing/renew', { token: node.accessToken, body: { fencingToken: 1 } });
    expect(r.status).toBeGreaterThanOrEqual(400);
    expect(r.status).toBeLessThan(500);
    const bad = await call(app, 'POST', '/api/v1/leases/task_missing/start', { token: node.accessToken, body: { fencingToken: 0, workspacePath: '' } });
    expect(bad.status).toBe(400);
  });
});

describe('nodes', () => {
  it('list, get, cordon, drain, uncordon, unknown ids, filters', async () => {
    const n = await joinViaApi('a');
    await joinViaApi('b');
    const list = await api('GET', '/api/v1/nodes');
    expect(list.status).toBe(200);
    expect(list.body.items).toHaveLength(2);
    expect((await api('GET', `/api/v1/nodes/${n.nodeId}`)).body).toMatchObject({ name: 'a', state: 'ready' });
    expect((await api('POST', `/api/v1/nodes/${n.nodeId}/cordon`)).body.state).toBe('cordoned');
    expect((await api('GET', '/api/v1/nodes?state=cordoned')).body.items).toHaveLength(1);
    expect((await api('POST', `/api/v1/nodes/${n.nodeId}/drain`)).body.state).toBe('drained');
    expect((await api('POST', `/api/v1/nodes/${n.nodeId}/uncordon`)).body.state).toBe('ready');
    const paged = await api('GET', '/api/v1/nodes?limit=1');
    expect(paged.body.items).toHaveLength(1);
    expect(paged.body.nextCursor).toEqual(expect.any(String));

    for (const action of ['cordon', 'drain', 'uncordon']) {
      expect((await api('POST', `/api/v1/nodes/node_missing/${action}`)).status).toBe(404);
    }
    expect((await api('GET', '/api/v1/nodes/node_missing')).status).toBe(404);
    expect((await api('GET', '/api/v1/nodes?state=sleepy')).status).toBe(400);
    expect((await api('GET', '/api/v1/nodes?limit=-1')).status).toBe(400);
  });

  it('join validation and bad join tokens', async () => {
    const jt = (await api('POST', '/api/v1/tokens', { body: { role: 'node', singleUse: true } })).body.token as string;
    const body = { joinToken: jt, name: 'n', resources };
    expect((await call(app, 'POST', '/api/v1/nodes/join', { body: { ...body, name: 'bad name!' } })).status).toBe(400);
    expect((await call(app, 'POST', '/api/v1/nodes/join', { body: { ...body, slots: 0 } })).status).toBe(400);
    expect((await call(app, 'POST', '/api/v1/nodes/join', { body: { joinToken: jt, name: 'n' } })).status).toBe(400);
    expect((await call(app, 'POST', '/api/v1/nodes/join', { rawBody: '{' })).status).toBe(400);
    expect((await call(app, 'POST', '/api/v1/nodes/join', { body })).status).toBe(201);
    const again = await call(app, 'POST', '/api/v1/nodes/join', { body });
    expect(again.status).toBe(401);
    expect(again.body.error.code).toBe('JOIN_TOKEN_INVALID');
    expect((await call(app, 'POST', '/api/v1/nodes/join', { body: { ...body, joinToken: admin } })).status).toBe(401);
  });

  it('credential refresh rotates; heartbeat only for the own node', async () => {
    const a = await joinViaApi('a');
    const b = await joinViaApi('b');
    const refreshed = await call(app, 'POST', `/api/v1/nodes/${a.nodeId}/credential`, { body: { refreshToken: a.refreshToken } });
    expect(refreshed.status).toBe(200);
    expect(refreshed.body).toMatchObject({ nodeId: a.nodeId, leaseTtlMs: h.hq.config.leaseTtlMs });
    const reuse = await call(app, 'POST', `/api/v1/nodes/${a.nodeId}/credential`, { body: { refreshToken: a.refreshToken } });
    expect(reuse.status).toBe(401);
    const foreign = await call(app, 'POST', `/api/v1/nodes/${b.nodeId}/credential`, { body: { refreshToken: refreshed.body.refreshToken } });
    expect(foreign.status).toBe(401);
    expect((await call(app, 'POST', `/api/v1/nodes/${a.nodeId}/credential`, { body: {} })).status).toBe(400);

    const own = await call(app, 'POST', `/api/v1/nodes/${a.nodeId}/heartbeat`, { token: refreshed.body.accessToken, body: { resources } });
    expect(own.status).toBe(200);
    const other = await call(app, 'POST', `/api/v1/nodes/${b.nodeId}/heartbeat`, { token: refreshed.body.accessToken, body: { resources } });
    expect(other.status).toBe(403);
    const bad = await call(app, 'POST', `/api/v1/nodes/${a.nodeId}/heartbeat`, { token: a.accessToken, body: { resources: { cpuCount: -1 } } });
    expect(bad.status).toBe(400);
  });
});

describe('kill switch, tokens, status', () => {
  it('kill switch get/put', async () => {
    expect((await api('GET', '/api/v1/killswitch')).body).toMatchObject({ on: false });
    const on = await api('PUT', '/api/v1/killswitch', { body: { on: true, reason: 'incident 42' } });
    expect(on.body).toMatchObject({ on: true, reason: 'incident 42', changedBy: expect.any(String) });
    expect((await api('GET', '/api/v1/killswitch')).body.on).toBe(true);
    expect((await api('PUT', '/api/v1/killswitch', { body: { on: 'yes' } })).status).toBe(400);
    expect((await api('PUT', '/api/v1/killswitch', { body: {} })).status).toBe(400);
    expect((await api('GET', '/api/v1/status')).body.killSwitch.on).toBe(true);
  });

  it('tokens: every role; validation', async () => {
    for (const role of ['admin', 'operator', 'viewer']) {
      const r = await api('POST', '/api/v1/tokens', { body: { role, label: `${role} token`, ttlMs: 60_000 } });
      expect(r).toMatchObject({ status: 201, body: { kind: 'api', role, singleUse: false } });
      expect((await call(app, 'GET', '/api/v1/killswitch', { token: r.body.token })).status).toBe(200);
    }
    const join = await api('POST', '/api/v1/tokens', { body: { role: 'node', singleUse: true } });
    expect(join.body).toMatchObject({ kind: 'join', singleUse: true, expiresAt: h.clock.nowMs() + 86_400_000 });
    expect((await api('POST', '/api/v1/tokens', { body: { role: 'root' } })).status).toBe(400);
    expect((await api('POST', '/api/v1/tokens', { body: { role: 'viewer', ttlMs: -5 } })).status).toBe(400);
    expect((await api('POST', '/api/v1/tokens', { body: { role: 'viewer', singleUse: true } })).status).toBe(400);
  });

  it('status counts tasks and nodes', async () => {
    await joinViaApi();
    await api('POST', '/api/v1/tasks', { body: { prompt: 'x' } });
    const s = await api('GET', '/api/v1/status');
    expect(s.status).toBe(200);
    expect(s.body).toMatchObject({ version: '9.9.9-test', tasks: { queued: 1 }, nodes: { total: 1, ready: 1, lost: 0, freeSlots: 2 } });
  });
});
