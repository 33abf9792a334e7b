import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MemoryBus } from '../../adapters/bus/memory/memory-bus.js';
import { SqliteStore } from '../../adapters/store/sqlite/sqlite-store.js';
import type { AuditSealer } from '../../services/hq/audit-sealer.js';
import { AuditPublicKey } from '../../services/hq/audit-signing-key.js';
import { createHqHarness, type HqHarness } from '../../services/hq/hq-test-harness.js';
import { call, type CallOptions } from './api-test-client.js';
import { createApiApp } from './create-api-app.js';

let h: HqHarness;
let app: ReturnType<typeof createApiApp>;
let sealer: AuditSealer;

beforeEach(async () => {
  h = await createHqHarness({ store: await SqliteStore.create(':memory:'), bus: new MemoryBus() });
  sealer = h.hq.auditSealer;
  app = createApiApp(h.hq);
});
afterEach(async () => {
  await h.close();
});

const api = (path: string, opts: CallOptions = {}) => call(app, 'GET', path, { token: h.adminToken, ...opts });

describe('GET /api/v1/audit/verify', () => {
  it('reports an intact chain, then the tampering', async () => {
    await h.submit({ prompt: 'a', agent: 'claude' });
    await h.hq.killSwitch.set({ on: true, reason: 'drill', actor: 'token:adm' });
    const n = await sealer.sealOnce();
    expect(n).toBeGreaterThanOrEqual(3);
    expect(await api('/api/v1/audit/verify')).toMatchObject({
      status: 200,
      body: { ok: true, links: n, headSeq: n, problems: [], problemCount: 0, checkedEvents: n, unsealed: 0 },
    });
    const links = await h.store.readAuditSeals({ afterSeq: 0, limit: 10 });
    await h.store.appendAuditSeals({ seals: [{ ...links[0]!, seq: n + 1, eventSeq: 999 }], head: { seq: n + 1, eventSeq: 999, hash: 'x', sig: 'y', sealedAt: 0 }, expectedHeadSeq: n });
    const r = await api('/api/v1/audit/verify');
    expect(r.status).toBe(200);
    expect(r.body.ok).toBe(false);
    expect((r.body.problems as { kind: string }[]).map((p) => p.kind)).toEqual(['link_broken', 'head_bad_signature', 'head_mismatch']);
  });

  it('is for admins only; the public key is readable with events:read and checks signatures', async () => {
    expect((await api('/api/v1/audit/verify', { token: undefined })).status).toBe(401);
    const viewer = await h.tokenFor('viewer');
    const operator = await h.tokenFor('operator');
    const refused = await api('/api/v1/audit/verify', { token: operator });
    expect(refused).toMatchObject({ status: 403, body: { error: { code: 'FORBIDDEN' } } });
    expect(refused.body.error.message).toMatch(/admin only/);
    const pk = await api('/api/v1/audit/public-key', { token: viewer });
    expect(pk).toMatchObject({ status: 200, body: { algorithm: 'Ed25519' } });
    await h.submit({ prompt: 'a', agent: 'claude' });
    await sealer.sealOnce();
    const [link] = await h.store.readAuditSeals({ afterSeq: 0, limit: 1 });
    const pub = new AuditPublicKey(pk.body.publicKeyPem as string);
    expect(pub.fingerprint).toBe(pk.body.fingerprint);
    expect(pub.verify(link!.hash, link!.sig)).toBe(true);
  });
});
