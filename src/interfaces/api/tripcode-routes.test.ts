import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MemoryBus } from '../../adapters/bus/memory/memory-bus.js';
import { SqliteStore } from '../../adapters/store/sqlite/sqlite-store.js';
import { createHqHarness, type HqHarness } from '../../services/hq/hq-test-harness.js';
import { call, type CallOptions } from './api-test-client.js';
import { createApiApp } from './create-api-app.js';

let h: HqHarness;
let app: ReturnType<typeof createApiApp>;
const reverted: string[] = [];

beforeEach(async () => {
  reverted.length = 0;
  h = await createHqHarness({
    store: await SqliteStore.create(':memory:'),
    bus: new MemoryBus(),
    recoveryActions: {
      revertSnapshot: (id) => {
        reverted.push(id);
        return Promise.resolve(`reverted to ${id}`);
      },
    },
  });
  app = createApiApp(h.hq);
});
afterEach(async () => {
  await h.close();
});

const api = (method: string, path: string, opts: CallOptions = {}) => call(app, method, path, { token: h.adminToken, ...opts });

describe('tripcode API', () => {
  it('an admin issues a code and applies it once; the second use answers 200 with ok: false, replayed', async () => {
    const issued = await api('POST', '/api/v1/tripcodes', { body: { code: 'RECOVERY:REVERT_SNAPSHOT::snap-7' } });
    expect(issued.status).toBe(201);
    expect(issued.body).toMatchObject({ code: 'RECOVERY:REVERT_SNAPSHOT::snap-7', expiresAt: h.clock.nowMs() + 300_000 });
    const applied = await api('POST', '/api/v1/tripcodes/apply', { body: { payload: issued.body.payload } });
    expect(applied).toMatchObject({ status: 200, body: { ok: true, code: 'RECOVERY:REVERT_SNAPSHOT::snap-7', detail: 'reverted to snap-7' } });
    expect(reverted).toEqual(['snap-7']);
    const again = await api('POST', '/api/v1/tripcodes/apply', { body: { payload: issued.body.payload } });
    expect(again).toMatchObject({ status: 200, body: { ok: false, reason: 'replayed', code: 'RECOVERY:REVERT_SNAPSHOT::snap-7' } });
    const audit = await h.store.readEvents({ afterSeq: 0, limit: 100, types: ['tripcode.issued', 'tripcode.applied', 'tripcode.rejected'] });
    expect(audit.map((e) => [e.type, e.data['actor']])).toEqual([
      ['tripcode.issued', expect.stringMatching(/^admin:/)],
      ['tripcode.applied', expect.stringMatching(/^admin:/)],
      ['tripcode.rejected', expect.stringMatching(/^admin:/)],
    ]);
  });

  it('LOCKDOWN through the API turns lockdown and the kill switch on', async () => {
    const issued = await api('POST', '/api/v1/tripcodes', { body: { code: 'RECOVERY:LOCKDOWN' } });
    expect((await api('POST', '/api/v1/tripcodes/apply', { body: { payload: issued.body.payload } })).body).toMatchObject({ ok: true });
    expect((await api('GET', '/api/v1/killswitch')).body).toMatchObject({ on: true, reason: 'tripcode RECOVERY:LOCKDOWN' });
    expect(await h.store.getLockdown()).toMatchObject({ on: true });
  });

  it('rejections: forged, malformed, an action this HQ lacks; each with a reason', async () => {
    const issued = await api('POST', '/api/v1/tripcodes', { body: { code: 'RECOVERY:DIAGNOSTIC::basic' } });
    const p = issued.body.payload as string;
    const forged = `${p.slice(0, -2)}${p.at(-2) === 'A' ? 'B' : 'A'}${p.at(-1)}`;
    expect((await api('POST', '/api/v1/tripcodes/apply', { body: { payload: forged } })).body).toMatchObject({ ok: false, reason: 'forged' });
    expect((await api('POST', '/api/v1/tripcodes/apply', { body: { payload: 'a|b' } })).body).toMatchObject({ ok: false, reason: 'malformed', code: null });
    expect((await api('POST', '/api/v1/tripcodes/apply', { body: { payload: p } })).body).toMatchObject({
      ok: false,
      reason: 'action_failed',
      detail: 'RECOVERY:DIAGNOSTIC is not available on this HQ',
    });
  });

  it('issue refuses an unknown code with 400 and the accepted codes', async () => {
    const r = await api('POST', '/api/v1/tripcodes', { body: { code: 'RECOVERY:NUKE' } });
    expect(r.status).toBe(400);
    expect(r.body.error).toMatchObject({ code: 'VALIDATION_FAILED', message: expect.stringContaining('RECOVERY:DIAGNOSTIC::basic|full') });
    expect((await api('POST', '/api/v1/tripcodes', { body: {} })).status).toBe(400);
  });

  it('admins only: operators get 403, no token 401', async () => {
    const operator = await h.tokenFor('operator');
    expect((await call(app, 'POST', '/api/v1/tripcodes', { token: operator, body: { code: 'RECOVERY:LOCKDOWN' } })).status).toBe(403);
    expect((await call(app, 'POST', '/api/v1/tripcodes/apply', { token: operator, body: { payload: 'x' } })).status).toBe(403);
    expect((await call(app, 'POST', '/api/v1/tripcodes', { body: { code: 'RECOVERY:LOCKDOWN' } })).status).toBe(401);
    expect(await h.store.readEvents({ afterSeq: 0, limit: 10, types: ['tripcode.issued'] })).toEqual([]);
  });

  it('is in the OpenAPI document', async () => {
    const doc = await call(app, 'GET', '/api/v1/openapi.json');
    expect(Object.keys(doc.body.paths as Record<string, unknown>)).toEqual(expect.arrayContaining(['/api/v1/tripcodes', '/api/v1/tripcodes/apply']));
  });
});
