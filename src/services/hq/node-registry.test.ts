import { afterEach, describe, expect, it } from 'vitest';
import { MemoryBus } from '../../adapters/bus/memory/memory-bus.js';
import { SqliteStore } from '../../adapters/store/sqlite/sqlite-store.js';
import type { Principal } from '../../core/auth.js';
import { createHqHarness, type HqHarness } from './hq-test-harness.js';

const resources = { cpuCount: 2, loadAvg1: 0, memTotalMb: 1024, memFreeMb: 512 };
let h: HqHarness;

async function setup(): Promise<HqHarness> {
  h = await createHqHarness({ store: await SqliteStore.create(':memory:'), bus: new MemoryBus() });
  return h;
}

afterEach(async () => {
  await h.close();
});

function joinWith(joinToken: string, name = 'n1') {
  return h.hq.nodes.join({ joinToken, name, capabilities: ['build'], slots: 2, resources, version: '1' });
}

describe('NodeRegistry.join', () => {
  it('registers the node and issues working credentials', async () => {
    await setup();
    const creds = await joinWith(await h.joinToken());
    expect(creds.nodeId).toMatch(/^node_/);
    expect(creds.accessExpiresAt).toBe(h.clock.nowMs() + h.hq.config.nodeAccessTtlMs);
    expect(creds.leaseTtlMs).toBe(h.hq.config.leaseTtlMs);
    const principal = await h.hq.auth.authenticate(creds.accessToken);
    expect(principal).toMatchObject({ role: 'node', nodeId: creds.nodeId });
    const node = await h.hq.nodes.get(creds.nodeId);
    expect(node).toMatchObject({ name: 'n1', slots: 2, capabilities: ['build'], liveness: 'ready' });
  });

  it('accepts a reusable join token twice but a single-use one only once', async () => {
    await setup();
    const reusable = await h.joinToken();
    await joinWith(reusable, 'a');
    await joinWith(reusable, 'b');
    const once = await h.joinToken({ singleUse: true });
    await joinWith(once, 'c');
    await expect(joinWith(once, 'd')).rejects.toMatchObject({ code: 'JOIN_TOKEN_INVALID' });
  });

  it('rejects an expired, revoked, wrong-secret or non-join token', async () => {
    await setup();
    const short = await h.joinToken({ ttlMs: 1000 });
    h.clock.advance(1001);
    await expect(joinWith(short)).rejects.toMatchObject({ code: 'JOIN_TOKEN_INVALID' });

    const revoked = await h.joinToken();
    await h.hq.auth.revokeToken(revoked.split('.')[0]!, 'test');
    await expect(joinWith(revoked)).rejects.toMatchObject({ code: 'JOIN_TOKEN_INVALID' });

    const good = await h.joinToken();
    const wrongSecret = `${good.split('.')[0]!}.${'A'.repeat(43)}`;
    await expect(joinWith(wrongSecret)).rejects.toMatchObject({ code: 'JOIN_TOKEN_INVALID' });

    await expect(joinWith(h.adminToken)).rejects.toMatchObject({ code: 'JOIN_TOKEN_INVALID' });
    await expect(joinWith('garbage')).rejects.toMatchObject({ code: 'JOIN_TOKEN_INVALID' });
  });

  it('a join token does not authenticate API calls', async () => {
    await setup();
    await expect(h.hq.auth.authenticate(await h.joinToken())).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
  });
});

describe('NodeRegistry.refresh', () => {
  it('rotates the refresh token: the old one stops working, the new one works', async () => {
    await setup();
    const first = await joinWith(await h.joinToken());
    expect(await h.hq.auth.authenticate(first.refreshToken).catch((e: unknown) => e)).toMatchObject({
      code: 'UNAUTHENTICATED',
    });
    const second = await h.hq.nodes.refresh({ nodeId: first.nodeId, refreshToken: first.refreshToken });
    expect(second.refreshToken).not.toBe(first.refreshToken);
    expect(second.accessToken).not.toBe(first.accessToken);
    await expect(h.hq.auth.authenticate(second.accessToken)).resolves.toMatchObject({ nodeId: first.nodeId });
    await expect(h.hq.nodes.refresh({ nodeId: first.nodeId, refreshToken: first.refreshToken })).rejects.toMatchObject({
      code: 'UNAUTHENTICATED',
    });
    const third = await h.hq.nodes.refresh({ nodeId: first.nodeId, refreshToken: second.refreshToken });
    expect(third.nodeId).toBe(first.nodeId);
  });

  it("rejects another node's refresh token and an access token used as refresh token", async () => {
    await setup();
    const a = await joinWith(await h.joinToken(), 'a');
    const b = await joinWith(await h.joinToken(), 'b');
    await expect(h.hq.nodes.refresh({ nodeId: a.nodeId, refreshToken: b.refreshToken })).rejects.toMatchObject({
      code: 'UNAUTHENTICATED',
    });
    await expect(h.hq.nodes.refresh({ nodeId: a.nodeId, refreshToken: a.accessToken })).rejects.toMatchObject({
      code: 'UNAUTHENTICATED',
    });
  });

  it('access tokens expire after nodeAccessTtlMs', async () => {
    await setup();
    const creds = await joinWith(await h.joinToken());
    h.clock.advance(h.hq.config.nodeAccessTtlMs);
    await expect(h.hq.auth.authenticate(creds.accessToken)).rejects.toMatchObject({ code: 'TOKEN_EXPIRED' });
    const fresh = await h.hq.nodes.refresh({ nodeId: creds.nodeId, refreshToken: creds.refreshToken });
    await expect(h.hq.auth.authenticate(fresh.accessToken)).resolves.toMatchObject({ nodeId: creds.nodeId });
  });
});

describe('NodeRegistry.heartbeat and scheduling intent', () => {
  it('heartbeat refreshes the node and returns leases and the kill switch; only for itself', async () => {
    await setup();
    const a = await joinWith(await h.joinToken(), 'a');
    const b = await joinWith(await h.joinToken(), 'b');
    const pa: Principal = await h.hq.auth.authenticate(a.accessToken);
    h.clock.advance(500);
    const r = await h.hq.nodes.heartbeat(pa, a.nodeId, { resources: { ...resources, loadAvg1: 1.5 }, slots: 3 });
    expect(r.node).toMatchObject({ id: a.nodeId, slots: 3, lastHeartbeatAt: h.clock.nowMs() });
    expect(r.node.resources.loadAvg1).toBe(1.5);
    expect(r.killSwitch).toBe(false);
    expect(r.lockdown).toBe(false);
    expect(r.leases).toEqual([]);
    await expect(h.hq.nodes.heartbeat(pa, b.nodeId, { resources })).rejects.toMatchObject({ code: 'FORBIDDEN' });
  });

  it('heartbeat tells the node about the fleet lockdown (with the kill switch it turns on), and when it is lifted', async () => {
    await setup();
    const a = await joinWith(await h.joinToken(), 'a');
    const pa: Principal = await h.hq.auth.authenticate(a.accessToken);
    await h.store.setLockdown({ on: true, reason: 'drill', nowMs: h.clock.nowMs(), actor: 'test' });
    expect(await h.hq.nodes.heartbeat(pa, a.nodeId, { resources })).toMatchObject({ killSwitch: true, lockdown: true });
    await h.store.setLockdown({ on: false, reason: null, nowMs: h.clock.nowMs(), actor: 'test' });
    expect(await h.hq.nodes.heartbeat(pa, a.nodeId, { resources })).toMatchObject({ killSwitch: true, lockdown: false });
  });

  it('cordon, drain, uncordon change scheduling', async () => {
    await setup();
    const a = await joinWith(await h.joinToken());
    expect((await h.hq.nodes.cordon(a.nodeId, 'op')).scheduling).toBe('cordoned');
    expect((await h.hq.nodes.drain(a.nodeId, 'op')).scheduling).toBe('draining');
    expect((await h.hq.nodes.uncordon(a.nodeId, 'op')).scheduling).toBe('active');
    await expect(h.hq.nodes.cordon('node_nope', 'op')).rejects.toMatchObject({ code: 'NODE_NOT_FOUND' });
    await expect(h.hq.nodes.list({ states: ['bogus'] })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
  });
});
