import { afterEach, describe, expect, it } from 'vitest';
import { MemoryBus } from '../../adapters/bus/memory/memory-bus.js';
import { SqliteStore } from '../../adapters/store/sqlite/sqlite-store.js';
import { parseBearerToken } from '../../contract/routes.js';
import { secretMatches, sha256Hex } from './auth-service.js';
import { createHqHarness, type HqHarness } from './hq-test-harness.js';

let h: HqHarness;
afterEach(async () => {
  await h.close();
});
async function setup(): Promise<HqHarness> {
  h = await createHqHarness({ store: await SqliteStore.create(':memory:'), bus: new MemoryBus() });
  return h;
}

describe('AuthService', () => {
  it('creates the admin token once, stores only the hash', async () => {
    await setup();
    expect(await h.hq.auth.ensureAdminToken()).toBeNull();
    const parsed = parseBearerToken(h.adminToken);
    expect(parsed).not.toBeNull();
    expect(parsed!.secret).toHaveLength(43);
    const record = await h.store.getToken(parsed!.id);
    expect(record).toMatchObject({ kind: 'api', role: 'admin', secretHash: sha256Hex(parsed!.secret) });
    expect(JSON.stringify(record)).not.toContain(parsed!.secret);
    await expect(h.hq.auth.authenticate(h.adminToken)).resolves.toMatchObject({ role: 'admin', nodeId: null });
  });

  it('secretMatches compares in constant time and rejects mismatches', () => {
    expect(secretMatches('abc', sha256Hex('abc'))).toBe(true);
    expect(secretMatches('abd', sha256Hex('abc'))).toBe(false);
    expect(secretMatches('abc', 'not-hex')).toBe(false);
  });

  it('authenticate: missing/malformed/unknown/revoked → UNAUTHENTICATED, expired → TOKEN_EXPIRED', async () => {
    await setup();
    const auth = h.hq.auth;
    await expect(auth.authenticate(undefined)).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    await expect(auth.authenticate('')).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    await expect(auth.authenticate('nodot')).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    await expect(auth.authenticate(`tok_unknown.${'x'.repeat(43)}`)).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    const [id] = h.adminToken.split('.');
    await expect(auth.authenticate(`${id!}.${'y'.repeat(43)}`)).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });

    const viewer = await auth.createToken({ role: 'viewer', actor: 't', ttlMs: 1000 });
    expect(viewer).toMatchObject({ kind: 'api', role: 'viewer', singleUse: false, expiresAt: h.clock.nowMs() + 1000 });
    await expect(auth.authenticate(viewer.token)).resolves.toMatchObject({ role: 'viewer' });
    h.clock.advance(1000);
    await expect(auth.authenticate(viewer.token)).rejects.toMatchObject({ code: 'TOKEN_EXPIRED' });

    const op = await auth.createToken({ role: 'operator', actor: 't' });
    expect(op.expiresAt).toBeNull();
    await auth.revokeToken(op.id, 't');
    await expect(auth.authenticate(op.token)).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    await expect(auth.revokeToken('tok_missing', 't')).rejects.toMatchObject({ code: 'TOKEN_NOT_FOUND' });
  });

  it('role node creates a join token with a 24 h default lifetime', async () => {
    await setup();
    const join = await h.hq.auth.createToken({ role: 'node', actor: 't', singleUse: true });
    expect(join).toMatchObject({ kind: 'join', role: 'node', singleUse: true, expiresAt: h.clock.nowMs() + 86_400_000 });
    const forever = await h.hq.auth.createToken({ role: 'node', actor: 't', ttlMs: null });
    expect(forever.expiresAt).toBeNull();
    await expect(h.hq.auth.createToken({ role: 'viewer', actor: 't', singleUse: true })).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
    });
  });
});
