import { describe, expect, it } from 'vitest';
import { SqliteStore } from '../../adapters/store/sqlite/sqlite-store.js';
import { AUDIT_EVENT_TYPES } from '../../core/audit.js';
import { FakeClock } from '../../core/clock.js';
import { silentLogger } from '../../core/ports/logger.js';
import type { Store } from '../../core/ports/store.js';
import { AuditSealer } from './audit-sealer.js';
import { auditSigningKeySource } from './audit-signing-key.js';
import { AuditVerifier } from './audit-verifier.js';

async function withStore(fn: (store: Store) => Promise<void>): Promise<void> {
  const store = await SqliteStore.create(':memory:');
  try {
    await fn(store);
  } finally {
    await store.close();
  }
}

async function audited(store: Store, n: number, from = 0): Promise<void> {
  for (let i = 0; i < n; i++) {
    await store.appendEvents({
      events: [
        { type: 'budget.changed', taskId: null, nodeId: null, data: { fleet: true, dailyUsd: from + i, actor: 'token:a' } },
        { type: 'task.leased', taskId: 'tsk_x', nodeId: null, data: {} }, // not audited: never sealed
      ],
      nowMs: 1_700_000_000_000 + from + i,
    });
  }
}

describe('AuditSealer', () => {
  it('seals only audited events, in batches of at most batchSize, with seqs continuing from the head', async () => {
    await withStore(async (store) => {
      const clock = new FakeClock();
      const key = auditSigningKeySource(store, () => clock.nowMs());
      const limits: number[] = [];
      const counting: Store = Object.create(store, {
        readEvents: { value: (q: Parameters<Store['readEvents']>[0]) => (limits.push(q.limit), store.readEvents(q)) },
      }) as Store;
      const sealer = new AuditSealer({ store: counting, clock, logger: silentLogger, key, batchSize: 4 });
      await audited(store, 10);
      expect(await sealer.sealOnce()).toBe(10);
      expect(limits.every((l) => l === 4)).toBe(true);
      expect(limits).toHaveLength(3);
      clock.advance(1000);
      await audited(store, 3, 100);
      expect(await sealer.sealOnce()).toBe(3);
      const head = await store.auditHead();
      const links = await store.readAuditSeals({ afterSeq: 0, limit: 100 });
      expect(links.map((l) => l.seq)).toEqual(Array.from({ length: 13 }, (_, i) => i + 1));
      const events = await store.readEvents({ afterSeq: 0, limit: 100, types: AUDIT_EVENT_TYPES });
      expect(links.map((l) => l.eventSeq)).toEqual(events.map((e) => e.seq));
      expect(head).toMatchObject({ seq: 13, eventSeq: events[12]!.seq, hash: links[12]!.hash, sealedAt: clock.nowMs() });
      expect(await new AuditVerifier({ store, key }).verify()).toMatchObject({ ok: true, links: 13 });
    });
  });

  it('a sealer whose head is stale (another replica sealed first) writes nothing and catches up next pass', async () => {
    await withStore(async (store) => {
      const clock = new FakeClock();
      const key = auditSigningKeySource(store, () => clock.nowMs());
      let stale = true;
      const lagging: Store = Object.create(store, {
        auditHead: { value: async () => (stale ? ((stale = false), null) : store.auditHead()) },
      }) as Store;
      await audited(store, 3);
      const first = new AuditSealer({ store, clock, logger: silentLogger, key });
      expect(await first.sealOnce()).toBe(3);
      await audited(store, 2, 10);
      const second = new AuditSealer({ store: lagging, clock, logger: silentLogger, key });
      expect(await second.sealOnce()).toBe(0); // built links from genesis: refused
      expect((await store.auditHead())?.seq).toBe(3);
      expect(await second.sealOnce()).toBe(2);
      expect(await new AuditVerifier({ store, key }).verify()).toMatchObject({ ok: true, links: 5, headSeq: 5 });
    });
  });
});
