import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MemoryBus } from '../../adapters/bus/memory/memory-bus.js';
import { SqliteStore } from '../../adapters/store/sqlite/sqlite-store.js';
import { createHqHarness, type HqHarness } from '../../services/hq/hq-test-harness.js';
import { call } from './api-test-client.js';
import { createApiApp } from './create-api-app.js';

let h: HqHarness;
let app: ReturnType<typeof createApiApp>;
const as = (token: string) => ({ authorization: `Bearer ${token}` });
const idOf = (token: string) => token.split('.')[0]!;

beforeEach(async () => {
  h = await createHqHarness({ store: await SqliteStore.create(':memory:'), bus: new MemoryBus() });
  app = createApiApp(h.hq);
});
afterEach(async () => {
  await h.close();
});

describe('GET /api/v1/tokens', () => {
  it('lists active API and join tokens newest first, metadata only; all=true adds revoked, expired and used ones', async () => {
    const viewer = await h.tokenFor('viewer');
    const join = await h.hq.auth.createToken({ role: 'node', label: 'rack 2', actor: 'test' });
    const short = await h.hq.auth.createToken({ role: 'operator', ttlMs: 1000, actor: 'test' });
    const gone = await h.tokenFor('operator');
    await h.hq.auth.revokeToken(idOf(gone), 'test');
    await h.joinNode(); // node credentials are not listed by default
    h.clock.advance(1000);

    const r = await call(app, 'GET', '/api/v1/tokens', { headers: as(h.adminToken) });
    expect(r.status, r.text).toBe(200);
    const items = r.body.items as Record<string, unknown>[];
    // the harness's own join token (used by joinNode) is newest; the initial admin token is oldest
    expect(items.map((t) => t.id)).toContain(join.id);
    expect(items.map((t) => t.id)).toEqual(expect.arrayContaining([idOf(viewer), idOf(h.adminToken)]));
    expect(items.map((t) => t.id)).not.toContain(short.id);
    expect(items.map((t) => t.id)).not.toContain(idOf(gone));
    expect(items.every((t) => t.kind === 'api' || t.kind === 'join')).toBe(true);
    expect(items.every((t) => t.state === 'active')).toBe(true);
    const ids = items.map((t) => t.id as string);
    expect(ids).toEqual([...ids].sort().reverse());
    expect(items.find((t) => t.id === join.id)).toMatchObject({ kind: 'join', role: 'node', label: 'rack 2', revokedAt: null });
    expect(r.text).not.toMatch(/secret|hash/i);
    expect(r.text).not.toContain(viewer.split('.')[1]);

    const all = await call(app, 'GET', '/api/v1/tokens?all=true&kind=api', { headers: as(h.adminToken) });
    const states = Object.fromEntries((all.body.items as { id: string; state: string }[]).map((t) => [t.id, t.state]));
    expect(states[short.id]).toBe('expired');
    expect(states[idOf(gone)]).toBe('revoked');
    expect(states[idOf(viewer)]).toBe('active');

    const nodes = await call(app, 'GET', '/api/v1/tokens?kind=node_access,node_refresh', { headers: as(h.adminToken) });
    expect((nodes.body.items as { kind: string }[]).map((t) => t.kind).sort()).toEqual(['node_access', 'node_refresh']);
  });

  it('pages with limit and cursor', async () => {
    for (let i = 0; i < 4; i++) await h.tokenFor('viewer');
    const first = await call(app, 'GET', '/api/v1/tokens?kind=api&limit=3', { headers: as(h.adminToken) });
    expect(first.body.items).toHaveLength(3);
    const second = await call(app, 'GET', `/api/v1/tokens?kind=api&limit=3&cursor=${encodeURIComponent(first.body.nextCursor as string)}`, { headers: as(h.adminToken) });
    expect(second.body.items).toHaveLength(2); // 4 viewers + the admin token
    expect(second.body.nextCursor).toBeNull();
  });

  it('a bad kind or limit is a 400 naming what is accepted', async () => {
    const r = await call(app, 'GET', '/api/v1/tokens?kind=api,ssh', { headers: as(h.adminToken) });
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('VALIDATION_FAILED');
    expect(r.text).toContain('api, join, node_access, node_refresh');
    expect((await call(app, 'GET', '/api/v1/tokens?limit=0', { headers: as(h.adminToken) })).status).toBe(400);
  });
});

describe('DELETE /api/v1/tokens/{id}', () => {
  it('revokes at once: the token stops authenticating, the answer shows it revoked, token.revoked names the actor', async () => {
    const viewer = await h.tokenFor('viewer');
    expect((await call(app, 'GET', '/api/v1/status', { headers: as(viewer) })).status).toBe(200);
    const r = await call(app, 'DELETE', `/api/v1/tokens/${idOf(viewer)}`, { headers: as(h.adminToken) });
    expect(r.status, r.text).toBe(200);
    expect(r.body).toMatchObject({ id: idOf(viewer), state: 'revoked', role: 'viewer' });
    const denied = await call(app, 'GET', '/api/v1/status', { headers: as(viewer) });
    expect(denied.status).toBe(401);
    const events = await h.store.readEvents({ afterSeq: 0, limit: 500 });
    const revoked = events.filter((e) => e.type === 'token.revoked');
    expect(revoked.at(-1)?.data).toMatchObject({ tokenId: idOf(viewer), actor: `admin:${idOf(h.adminToken)}` });
    // again: still revoked, nothing new
    expect((await call(app, 'DELETE', `/api/v1/tokens/${idOf(viewer)}`, { headers: as(h.adminToken) })).status).toBe(200);
    expect((await h.store.readEvents({ afterSeq: 0, limit: 500 })).filter((e) => e.type === 'token.revoked')).toHaveLength(revoked.length);
  });

  it('a join token revoked cannot join', async () => {
    const join = await h.hq.auth.createToken({ role: 'node', actor: 'test' });
    expect((await call(app, 'DELETE', `/api/v1/tokens/${join.id}`, { headers: as(h.adminToken) })).status).toBe(200);
    const r = await call(app, 'POST', '/api/v1/nodes/join', { body: { joinToken: join.token, name: 'n1', resources: { cpuCount: 1, loadAvg1: 0, memTotalMb: 1, memFreeMb: 1 } } });
    expect(r.status).toBe(401);
  });

  it('keeps the last active admin token (409), and allows it once another admin token exists', async () => {
    const r = await call(app, 'DELETE', `/api/v1/tokens/${idOf(h.adminToken)}`, { headers: as(h.adminToken) });
    expect(r.status).toBe(409);
    expect(r.body.error.code).toBe('CONFLICT');
    expect(r.body.error.message).toContain('last active admin token');
    const second = await h.tokenFor('admin');
    expect((await call(app, 'DELETE', `/api/v1/tokens/${idOf(h.adminToken)}`, { headers: as(second) })).status).toBe(200);
    expect((await call(app, 'GET', '/api/v1/status', { headers: as(h.adminToken) })).status).toBe(401);
    expect((await call(app, 'DELETE', `/api/v1/tokens/${idOf(second)}`, { headers: as(second) })).status).toBe(409);
  });

  it('node credentials are refused (400), unknown ids are 404, malformed ids 400', async () => {
    await h.joinNode();
    const nodeTokens = await call(app, 'GET', '/api/v1/tokens?kind=node_access', { headers: as(h.adminToken) });
    const access = (nodeTokens.body.items as { id: string }[])[0]!.id;
    const r = await call(app, 'DELETE', `/api/v1/tokens/${access}`, { headers: as(h.adminToken) });
    expect(r.status).toBe(400);
    expect(r.body.error.message).toContain('node credential');
    expect((await call(app, 'DELETE', '/api/v1/tokens/tok_missing', { headers: as(h.adminToken) })).status).toBe(404);
    expect((await call(app, 'DELETE', '/api/v1/tokens/not-a-token', { headers: as(h.adminToken) })).status).toBe(400);
  });
});
