import { afterEach, describe, expect, it } from 'vitest';
import { MemoryBus } from '../../adapters/bus/memory/memory-bus.js';
import { SqliteStore } from '../../adapters/store/sqlite/sqlite-store.js';
import { FakeClock } from '../../core/clock.js';
import { SequentialIds } from '../../core/ids.js';
import { silentLogger } from '../../core/ports/logger.js';
import type { Store } from '../../core/ports/store.js';
import { resolveHqConfig } from './hq-config.js';
import { Hq } from './hq.js';
import { createHqHarness, TEST_HQ_CONFIG } from './hq-test-harness.js';
import { Leadership } from './scheduler-leadership.js';

let store: Store | null = null;
afterEach(async () => {
  await store?.close();
  store = null;
});

/** The store, counting the calls of one method that reach it. */
function counting(s: Store, method: keyof Store = 'claimLeadership'): { store: Store; claims: () => number } {
  let n = 0;
  const proxy = new Proxy(s, {
    get(target, prop, receiver) {
      if (prop === method) {
        return (...args: unknown[]) => {
          n += 1;
          return (target[method] as (...a: unknown[]) => unknown).apply(target, args);
        };
      }
      const v: unknown = Reflect.get(target, prop, receiver);
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
  return { store: proxy, claims: () => n };
}

function leadershipOn(s: Store, clock: FakeClock): Leadership {
  const config = resolveHqConfig({ schedulerIntervalMs: 1000, schedulerLeaderTtlMs: 6000 });
  return new Leadership({ store: s, clock, logger: silentLogger, config, ids: new SequentialIds() }, 'scheduler');
}

describe('Leadership (scheduler role among replicas)', () => {
  it('one replica holds the role; the other asks at most once per check interval and takes over when the holder stops renewing', async () => {
    store = await SqliteStore.create(':memory:');
    const clock = new FakeClock(1_000_000);
    const a = leadershipOn(store, clock);
    const bStore = counting(store);
    const b = leadershipOn(bStore.store, clock);
    expect(a.holder).not.toBe(b.holder); // deterministic ids still give distinct holders

    expect(await a.ensure()).toBe(true);
    expect(await b.ensure()).toBe(false);
    expect(b.leader).toBe(a.holder);
    // asked again within the check interval: no store call
    for (let i = 0; i < 10; i++) expect(await b.ensure()).toBe(false);
    expect(bStore.claims()).toBe(1);
    expect(b.msUntilCheck()).toBe(1000);

    // the holder renews while it runs (every third of the TTL), so the other never gets in
    for (let t = 0; t < 20; t++) {
      clock.advance(500);
      expect(await a.ensure()).toBe(true);
      expect(await b.ensure()).toBe(false);
    }
    // the holder stops (dies): the other takes over once the TTL has run out
    let takenAfterMs = 0;
    while (!(await b.ensure())) {
      clock.advance(250);
      takenAfterMs += 250;
    }
    expect(takenAfterMs).toBeGreaterThan(4000);
    expect(takenAfterMs).toBeLessThanOrEqual(6000 + 1000);
    expect(await store.getLeadership({ role: 'scheduler', asker: b.holder, nowMs: clock.nowMs() })).toMatchObject({ leader: true, term: 2 });
    // the old holder comes back: it sees it lost the role
    clock.advance(1000);
    expect(await a.ensure()).toBe(false);
    expect(a.leading).toBe(false);
  });

  it('release hands the role over at once', async () => {
    store = await SqliteStore.create(':memory:');
    const clock = new FakeClock(1_000_000);
    const a = leadershipOn(store, clock);
    const b = leadershipOn(store, clock);
    expect(await a.ensure()).toBe(true);
    await a.release();
    clock.advance(1000);
    expect(await b.ensure()).toBe(true);
  });

  it('a store error keeps a held role until its time runs out, and never grants one', async () => {
    store = await SqliteStore.create(':memory:');
    const clock = new FakeClock(1_000_000);
    let failing = false;
    const flaky = new Proxy(store, {
      get(target, prop, receiver) {
        if (prop === 'claimLeadership' && failing) return () => Promise.reject(new Error('connection refused'));
        const v: unknown = Reflect.get(target, prop, receiver);
        return typeof v === 'function' ? (v as (...x: unknown[]) => unknown).bind(target) : v;
      },
    });
    const a = leadershipOn(flaky, clock);
    const b = leadershipOn(flaky, clock);
    expect(await a.ensure()).toBe(true);
    failing = true;
    clock.advance(3000);
    expect(await a.ensure()).toBe(true); // renewal failed, time left
    expect(await b.ensure()).toBe(false);
    clock.advance(3001);
    expect(await a.ensure()).toBe(false); // time ran out
  });
});

describe('SchedulerLoop with two replicas on one store', () => {
  it('only the elected replica schedules; when it stops, the other takes over and tasks keep being leased', async () => {
    const shared = await SqliteStore.create(':memory:');
    store = shared;
    const firstPasses = counting(shared, 'loadSchedulerSnapshot');
    const secondPasses = counting(shared, 'loadSchedulerSnapshot');
    const h = await createHqHarness({ store: firstPasses.store, bus: new MemoryBus(), config: { schedulerLeaderTtlMs: 300 } });
    const second = new Hq({ store: secondPasses.store, bus: h.bus, clock: h.clock, ids: new SequentialIds(), logger: silentLogger, config: { ...TEST_HQ_CONFIG, schedulerLeaderTtlMs: 300 } });
    // the clock must move for leadership to expire: real time in this test
    const realNow = (): number => Date.now();
    h.clock.nowMs = realNow;
    await h.joinNode({ slots: 100 });
    const first = new AbortController();
    const other = new AbortController();
    const runs = [h.hq.scheduler.start(first.signal), second.scheduler.start(other.signal)];
    const waitFor = async (what: string, check: () => Promise<boolean>): Promise<void> => {
      const deadline = Date.now() + 5000;
      while (!(await check())) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    await waitFor('a leader', () => Promise.resolve(h.hq.scheduler.leadership.leading || second.scheduler.leadership.leading));
    const firstLeads = h.hq.scheduler.leadership.leading;
    const [leader, follower, leaderStop] = firstLeads ? [h.hq, second, first] : [second, h.hq, other];
    const [leaderPasses, followerPasses] = firstLeads ? [firstPasses, secondPasses] : [secondPasses, firstPasses];
    expect(follower.scheduler.leadership.leading).toBe(false);

    const t1 = await h.submit({ prompt: 'one' });
    await waitFor('t1 leased', async () => (await h.store.getTask(t1.id))?.state === 'leased');
    expect(leader.scheduler.leadership.leading).toBe(true);
    expect(follower.scheduler.leadership.leading).toBe(false);
    expect(leaderPasses.claims()).toBeGreaterThan(0);
    expect(followerPasses.claims()).toBe(0); // the follower never ran a scheduling pass
    // status, through either replica, names the leader
    const holder = leader.scheduler.leadership.holder;
    expect((await leader.status.status()).scheduler).toEqual({ replica: holder, leader: holder, leading: true, term: 1 });
    expect((await follower.status.status()).scheduler).toEqual({ replica: follower.scheduler.leadership.holder, leader: holder, leading: false, term: 1 });

    leaderStop.abort(); // a clean stop releases the role
    const t2 = await h.submit({ prompt: 'two' });
    await waitFor('t2 leased by the other replica', async () => (await h.store.getTask(t2.id))?.state === 'leased');
    expect(follower.scheduler.leadership.leading).toBe(true);
    expect(followerPasses.claims()).toBeGreaterThan(0);
    first.abort();
    other.abort();
    await Promise.all(runs);
    await h.bus.close();
  });
});
