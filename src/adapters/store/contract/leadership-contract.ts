import { describe, expect, it } from 'vitest';
import type { EnvGetter } from './contract-fixtures.js';

/** Leadership among HQ replicas: one holder at a time, renewals, expiry, hand-over, release. */
export function leadershipContract(env: EnvGetter): void {
  describe('leadership', () => {
    const claim = (holder: string, nowMs: number, ttlMs = 5000) => env().store.claimLeadership({ role: 'scheduler', holder, ttlMs, nowMs });

    it('nobody holds a role at first; the first claim takes it (term 1)', async () => {
      const e = env();
      expect(await e.store.getLeadership({ role: 'scheduler', asker: 'hq_a', nowMs: 1000 })).toEqual({
        role: 'scheduler',
        holder: null,
        leader: false,
        term: 0,
        expiresAt: 0,
      });
      expect(await claim('hq_a', 1000)).toEqual({ role: 'scheduler', holder: 'hq_a', leader: true, term: 1, expiresAt: 6000 });
      expect(await e.store.getLeadership({ role: 'scheduler', asker: 'hq_a', nowMs: 1000 })).toMatchObject({ holder: 'hq_a', leader: true });
      expect(await e.store.getLeadership({ role: 'scheduler', asker: 'hq_b', nowMs: 1000 })).toMatchObject({ holder: 'hq_a', leader: false });
    });

    it('another replica cannot take a held role; the holder renews it without a new term', async () => {
      await claim('hq_a', 1000);
      expect(await claim('hq_b', 2000)).toEqual({ role: 'scheduler', holder: 'hq_a', leader: false, term: 1, expiresAt: 6000 });
      expect(await claim('hq_a', 4000)).toEqual({ role: 'scheduler', holder: 'hq_a', leader: true, term: 1, expiresAt: 9000 });
      // the renewal counts: at 8 s the first claim would have run out
      expect(await claim('hq_b', 8000)).toMatchObject({ holder: 'hq_a', leader: false });
    });

    it('an expired role goes to the next claimant with the next term; the old holder is then refused', async () => {
      await claim('hq_a', 1000);
      expect(await claim('hq_b', 6000)).toEqual({ role: 'scheduler', holder: 'hq_b', leader: true, term: 2, expiresAt: 11_000 });
      expect(await claim('hq_a', 6001)).toMatchObject({ holder: 'hq_b', leader: false, term: 2 });
      expect(await env().store.getLeadership({ role: 'scheduler', asker: 'hq_a', nowMs: 6001 })).toMatchObject({ leader: false });
    });

    it('a holder past its time is not the leader, even before anybody else claims', async () => {
      await claim('hq_a', 1000);
      expect(await env().store.getLeadership({ role: 'scheduler', asker: 'hq_a', nowMs: 6000 })).toMatchObject({ holder: 'hq_a', leader: false });
      // and its own late claim takes it again (same holder: same term)
      expect(await claim('hq_a', 7000)).toEqual({ role: 'scheduler', holder: 'hq_a', leader: true, term: 1, expiresAt: 12_000 });
    });

    it('release frees the role at once; releasing a role one does not hold changes nothing', async () => {
      const e = env();
      await claim('hq_a', 1000);
      await e.store.releaseLeadership({ role: 'scheduler', holder: 'hq_b', nowMs: 2000 });
      expect(await claim('hq_b', 2000)).toMatchObject({ holder: 'hq_a', leader: false });
      await e.store.releaseLeadership({ role: 'scheduler', holder: 'hq_a', nowMs: 2000 });
      expect(await claim('hq_b', 2000)).toEqual({ role: 'scheduler', holder: 'hq_b', leader: true, term: 2, expiresAt: 7000 });
    });

    it('claims racing for a free role: exactly one wins', async () => {
      const results = await Promise.all(['hq_a', 'hq_b', 'hq_c', 'hq_d'].map((h) => claim(h, 1000)));
      expect(results.filter((r) => r.leader)).toHaveLength(1);
      const winner = results.find((r) => r.leader)?.holder;
      expect(results.every((r) => r.holder === winner && r.term === 1)).toBe(true);
    });
  });
}
