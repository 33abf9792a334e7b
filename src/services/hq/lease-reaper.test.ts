import { afterEach, describe, expect, it } from 'vitest';
import { MemoryBus } from '../../adapters/bus/memory/memory-bus.js';
import { SqliteStore } from '../../adapters/store/sqlite/sqlite-store.js';
import type { Principal } from '../../core/auth.js';
import { createHqHarness, type HqHarness } from './hq-test-harness.js';
import { runReaperPass } from './lease-reaper.js';
import { runSchedulingPass } from './scheduler-loop.js';

let h: HqHarness;
afterEach(async () => {
  await h.close();
});
async function setup(): Promise<HqHarness> {
  h = await createHqHarness({ store: await SqliteStore.create(':memory:'), bus: new MemoryBus() });
  return h;
}

const heartbeat = (p: Principal) =>
  h.hq.nodes.heartbeat(p, p.nodeId!, { resources: { cpuCount: 1, loadAvg1: 0, memTotalMb: 1, memFreeMb: 1 } });

describe('lease lifecycle with the reaper', () => {
  it('requeues after the TTL; a late completion with the old token is LEASE_CONFLICT', async () => {
    await setup();
    const creds = await h.joinNode();
    const node = await h.hq.auth.authenticate(creds.accessToken);
    const task = await h.submit({ prompt: 'x', retryBackoffMs: 0 });
    await runSchedulingPass(h.hq.deps);
    const { leases } = await heartbeat(node);
    expect(leases.map((l) => l.id)).toEqual([task.id]);
    const token = leases[0]!.fencingToken;
    await h.hq.leases.start(node, task.id, { fencingToken: token, workspacePath: '/tmp/ws' });
    const renewed = await h.hq.leases.renew(node, task.id, { fencingToken: token });
    expect(renewed.leaseExpiresAt).toBe(h.clock.nowMs() + h.hq.config.leaseTtlMs);

    // Nothing expired yet.
    expect((await runReaperPass(h.hq.deps)).requeued).toEqual([]);

    h.clock.advance(h.hq.config.leaseTtlMs + 1);
    await heartbeat(node); // the node is alive; only the lease lapsed
    const reaped = await runReaperPass(h.hq.deps);
    expect(reaped.requeued).toEqual([task.id]);
    expect(await h.store.getTask(task.id)).toMatchObject({ state: 'queued', reason: 'lease_expired', nodeId: null });

    await expect(
      h.hq.leases.complete(node, task.id, { fencingToken: token, outcome: 'succeeded', reason: 'once_completed', message: null }),
    ).rejects.toMatchObject({ code: 'LEASE_CONFLICT' });

    // Granted again with a higher token; the old token stays rejected.
    const again = await runSchedulingPass(h.hq.deps);
    expect(again.granted[0]?.fencingToken).toBeGreaterThan(token);
    await expect(h.hq.leases.renew(node, task.id, { fencingToken: token })).rejects.toMatchObject({ code: 'LEASE_CONFLICT' });
    const newToken = again.granted[0]!.fencingToken;
    await h.hq.leases.start(node, task.id, { fencingToken: newToken, workspacePath: '/tmp/ws' });
    const done = await h.hq.leases.complete(node, task.id, {
      fencingToken: newToken,
      outcome: 'succeeded',
      reason: 'once_completed',
      message: null,
    });
    expect(done.state).toBe('succeeded');
  });

  it('marks silent nodes lost', async () => {
    await setup();
    const creds = await h.joinNode();
    h.clock.advance(h.hq.config.nodeLostAfterMs + 1);
    const reaped = await runReaperPass(h.hq.deps);
    expect(reaped.nodesLost).toEqual([creds.nodeId]);
    expect((await h.hq.nodes.get(creds.nodeId)).liveness).toBe('lost');
  });

  it("a node cannot act on another node's lease", async () => {
    await setup();
    const a = await h.hq.auth.authenticate((await h.joinNode({ name: 'a' })).accessToken);
    const b = await h.hq.auth.authenticate((await h.joinNode({ name: 'b' })).accessToken);
    const task = await h.submit({ prompt: 'x' });
    const pass = await runSchedulingPass(h.hq.deps);
    const granted = pass.granted[0]!;
    const [owner, other] = granted.nodeId === a.nodeId ? [a, b] : [b, a];
    await expect(
      h.hq.leases.start(other, task.id, { fencingToken: granted.fencingToken, workspacePath: '/w' }),
    ).rejects.toMatchObject({ code: 'LEASE_CONFLICT' });
    await expect(h.hq.leases.start(owner, task.id, { fencingToken: granted.fencingToken, workspacePath: '/w' })).resolves.toMatchObject({
      state: 'running',
    });
  });

  it('running HQ loops: an expired lease is reaped and the task placed again', async () => {
    await setup();
    await h.joinNode();
    const task = await h.submit({ prompt: 'x', retryBackoffMs: 0 });
    const ac = new AbortController();
    const running = h.hq.start(ac.signal);
    try {
      await waitUntil(async () => (await h.store.getTask(task.id))?.state === 'leased');
      h.clock.advance(h.hq.config.leaseTtlMs + 1);
      await waitUntil(async () => {
        const t = await h.store.getTask(task.id);
        return t?.state === 'leased' && t.attempts === 2;
      });
    } finally {
      ac.abort();
      await running;
    }
  });
});

async function waitUntil(check: () => Promise<boolean>, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}
