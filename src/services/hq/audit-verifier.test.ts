/**
 * The audit chain end to end on real stores: events written by HQ's services are sealed, the
 * chain verifies, and tampering done directly in the database (SQL, as an attacker with database
 * access would) is reported. SQLite always; PostgreSQL when the test server answers.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MemoryBus } from '../../adapters/bus/memory/memory-bus.js';
import { PostgresStore } from '../../adapters/store/postgres/postgres-store.js';
import { dropSchemas, postgresReachable, TEST_PG_DISPLAY, TEST_PG_URL, uniqueSchema, withAdmin } from '../../adapters/store/postgres/postgres-test-db.js';
import { SqliteStore } from '../../adapters/store/sqlite/sqlite-store.js';
import { AUDIT_EVENT_TYPES } from '../../core/audit.js';
import { silentLogger } from '../../core/ports/logger.js';
import type { Store } from '../../core/ports/store.js';
import { AuditSealer } from './audit-sealer.js';
import { AuditPublicKey, AuditSigningKey, auditSigningKeySource, sha256Hex } from './audit-signing-key.js';
import { AuditVerifier, type AuditVerifyReport } from './audit-verifier.js';
import { createHqHarness, type HqHarness } from './hq-test-harness.js';

type Row = Record<string, unknown>;

/** A store under test plus raw SQL on its database (`?` placeholders), outside the store. */
interface Fixture {
  readonly store: Store;
  /** A second store on the same database (another HQ replica; the same store on SQLite). */
  openReplica(): Promise<Store>;
  exec(sqlText: string, params?: readonly unknown[]): Promise<void>;
  query(sqlText: string, params?: readonly unknown[]): Promise<Row[]>;
  dispose(): Promise<void>;
}

async function sqliteFixture(): Promise<Fixture> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'cortical-audit-'));
  const file = path.join(dir, 'hq.db');
  const store = await SqliteStore.create(file);
  const raw = new BetterSqlite3(file);
  raw.pragma('busy_timeout = 10000');
  return {
    store,
    // SQLite has one writer (the driver is synchronous): replicas share the one store.
    openReplica: () => Promise.resolve(store),
    exec: (q, p = []) => {
      raw.prepare(q).run(...p);
      return Promise.resolve();
    },
    query: (q, p = []) => Promise.resolve(raw.prepare(q).all(...p) as Row[]),
    dispose: async () => {
      raw.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

async function postgresFixture(): Promise<Fixture> {
  const schema = uniqueSchema('audit');
  const store = await PostgresStore.create(TEST_PG_URL, { schema, poolSize: 4 });
  const replicas: Store[] = [];
  const pgText = (q: string): string => {
    let n = 0;
    return q.replace(/\?/g, () => `$${++n}`);
  };
  const run = (q: string, p: readonly unknown[]) =>
    withAdmin(async (c) => {
      await c.query(`set search_path to "${schema}"`);
      return (await c.query(pgText(q), [...p])).rows as Row[];
    });
  return {
    store,
    openReplica: async () => {
      const s = await PostgresStore.create(TEST_PG_URL, { schema, poolSize: 4 });
      replicas.push(s);
      return s;
    },
    exec: async (q, p = []) => {
      await run(q, p);
    },
    query: (q, p = []) => run(q, p),
    dispose: async () => {
      for (const r of replicas) await r.close();
      await dropSchemas([schema]);
    },
  };
}

const pgReachable = await postgresReachable();
const backends: { name: string; make: () => Promise<Fixture>; enabled: boolean }[] = [
  { name: 'SQLite', make: sqliteFixture, enabled: true },
  { name: 'PostgreSQL', make: postgresFixture, enabled: pgReachable },
];

if (!pgReachable) {
  describe('audit chain on PostgreSQL', () => {
    it.skip(`skipped: no PostgreSQL at ${TEST_PG_DISPLAY} (set CORTICAL_TEST_PG_URL)`, () => undefined);
  });
}

const kinds = (r: AuditVerifyReport): string[] => r.problems.map((p) => p.kind);
const n = (v: unknown): number => Number(v);

for (const backend of backends) {
  describe.runIf(backend.enabled)(`audit chain on ${backend.name}`, () => {
    let fx: Fixture;
    let h: HqHarness;
    let key: () => Promise<AuditSigningKey>;
    let sealer: AuditSealer;
    let verifier: AuditVerifier;

    beforeEach(async () => {
      fx = await backend.make();
      h = await createHqHarness({ store: fx.store, bus: new MemoryBus() });
      key = auditSigningKeySource(fx.store, () => h.clock.nowMs());
      sealer = new AuditSealer({ store: fx.store, clock: h.clock, logger: silentLogger, key, batchSize: 4 });
      verifier = new AuditVerifier({ store: fx.store, key, pageSize: 3 });
    });
    afterEach(async () => {
      await h.close();
      await fx.dispose();
    });

    /** Audited actions through HQ's services; returns how many audited events exist. */
    async function act(tasks = 4): Promise<number> {
      for (let i = 0; i < tasks; i++) await h.submit({ prompt: `task ${i}`, agent: 'claude', project: 'web' });
      await h.hq.killSwitch.set({ on: true, reason: 'drill', actor: 'token:adm' });
      await h.hq.killSwitch.set({ on: false, reason: null, actor: 'token:adm' });
      await h.hq.budgets.setFleet({ dailyUsd: 10, dailyTokens: null }, 'token:adm');
      await h.hq.budgets.setProject('web', { dailyUsd: 3, dailyTokens: 1000 }, 'token:adm');
      return (await fx.store.readEvents({ afterSeq: 0, limit: 1000, types: AUDIT_EVENT_TYPES })).length;
    }

    async function sealed(): Promise<Row[]> {
      return fx.query('select * from audit_seals order by seq');
    }

    it('seals audited events in batches; the chain verifies; later events show as unsealed, then sealed', async () => {
      const audited = await act();
      expect(audited).toBeGreaterThanOrEqual(8);
      expect(await sealer.sealOnce()).toBe(audited);
      expect(await sealer.sealOnce()).toBe(0);
      const progress: number[] = [];
      const r = await verifier.verify({ onProgress: (p) => progress.push(p.links) });
      expect(r).toEqual({ ok: true, links: audited, headSeq: audited, problems: [], problemCount: 0, checkedEvents: audited, unsealed: 0 });
      expect(progress[progress.length - 1]).toBe(audited);
      expect(progress.length).toBeGreaterThan(1);
      const rows = await sealed();
      expect(rows.map((x) => n(x.seq))).toEqual(Array.from({ length: audited }, (_, i) => i + 1));
      expect(JSON.parse(String(rows[0]!.entry))).toMatchObject({ type: 'token.created' });

      await h.submit({ prompt: 'later', agent: 'claude' });
      expect(await verifier.verify()).toMatchObject({ ok: true, links: audited, unsealed: 1 });
      expect(await sealer.sealOnce()).toBe(1);
      expect(await verifier.verify()).toMatchObject({ ok: true, links: audited + 1, headSeq: audited + 1, unsealed: 0 });
    });

    it('an outside verifier needs only the public key; another key fails every signature', async () => {
      await act(1);
      const count = await sealer.sealOnce();
      const pem = (await key()).publicKeyPem;
      const outside = new AuditVerifier({ store: fx.store, key: () => Promise.resolve(new AuditPublicKey(pem)) });
      expect(await outside.verify()).toMatchObject({ ok: true, links: count });
      const other = AuditSigningKey.fromPem(AuditSigningKey.generatePem()).publicKey;
      const wrong = await new AuditVerifier({ store: fx.store, key: () => Promise.resolve(other) }).verify();
      expect(wrong.ok).toBe(false);
      expect(kinds(wrong).filter((k) => k === 'bad_signature')).toHaveLength(count);
      expect(kinds(wrong)).toContain('head_bad_signature');
      // the same key for every replica: a second source over the same store loads the stored key
      expect((await auditSigningKeySource(fx.store, () => 0)()).publicKeyPem).toBe(pem);
    });

    it('detects an edited entry, and an edited entry whose hash was recomputed (signature)', async () => {
      await act();
      await sealer.sealOnce();
      const [, second] = await sealed();
      const edited = String(second!.entry).replace('"token:adm"', '"token:someone-else"').replace('"test"', '"someone-else"');
      expect(edited).not.toBe(second!.entry);
      await fx.exec('update audit_seals set entry = ? where seq = 2', [edited]);
      let r = await verifier.verify();
      expect(r.ok).toBe(false);
      expect(r.problems[0]).toMatchObject({ seq: 2, kind: 'hash_mismatch' });

      await fx.exec('update audit_seals set hash = ? where seq = 2', [sha256Hex(`${String(second!.prev_hash)}\n${edited}`)]);
      r = await verifier.verify();
      expect(r.problems[0]).toMatchObject({ seq: 2, kind: 'bad_signature' });
      expect(r.problems).toContainEqual(expect.objectContaining({ seq: 3, kind: 'link_broken' }));
    });

    it('detects a deleted middle link, a deleted last link and a cut-off tail', async () => {
      const audited = await act();
      await sealer.sealOnce();
      await fx.exec('delete from audit_seals where seq = 3');
      let r = await verifier.verify();
      expect(r).toMatchObject({ ok: false, links: audited - 1 });
      expect(r.problems[0]).toMatchObject({ seq: 4, kind: 'gap' });

      await fx.exec('delete from audit_seals where seq = ?', [audited]);
      r = await verifier.verify();
      expect(r.problems).toContainEqual(expect.objectContaining({ seq: audited, kind: 'head_mismatch' }));

      await fx.exec('delete from audit_seals where seq > 4');
      r = await verifier.verify();
      expect(r.problems).toContainEqual(expect.objectContaining({ kind: 'head_mismatch', detail: expect.stringMatching(/ends at link #4/) as unknown }));
    });

    it('detects a removed head and a forged head', async () => {
      await act(1);
      await sealer.sealOnce();
      await fx.exec("update audit_head set hash = ? where id = 1", ['f'.repeat(64)]);
      expect(kinds(await verifier.verify())).toEqual(['head_bad_signature', 'head_mismatch']);
      await fx.exec('delete from audit_head');
      expect(kinds(await verifier.verify())).toEqual(['head_missing']);
    });

    it('detects two links swapped (reordering)', async () => {
      await act();
      await sealer.sealOnce();
      const rows = await sealed();
      const [a, b] = [rows[2]!, rows[3]!];
      await fx.exec('delete from audit_seals where seq in (3, 4)');
      const ins = 'insert into audit_seals (seq, event_seq, at, entry, prev_hash, hash, sig) values (?, ?, ?, ?, ?, ?, ?)';
      await fx.exec(ins, [3, b.event_seq, b.at, b.entry, b.prev_hash, b.hash, b.sig]);
      await fx.exec(ins, [4, a.event_seq, a.at, a.entry, a.prev_hash, a.hash, a.sig]);
      const r = await verifier.verify();
      expect(r.ok).toBe(false);
      expect(r.problems).toContainEqual(expect.objectContaining({ seq: 3, kind: 'link_broken' }));
      expect(r.problems).toContainEqual(expect.objectContaining({ seq: 4, kind: 'reordered' }));
    });

    it('detects an edited and a deleted event row in the event log', async () => {
      await act();
      await sealer.sealOnce();
      const rows = await sealed();
      const ks = rows.find((x) => String(x.entry).includes('"killswitch.changed"'))!;
      await fx.exec('update events set data = ? where seq = ?', [JSON.stringify({ on: false, reason: null, actor: 'token:adm' }), ks.event_seq]);
      let r = await verifier.verify();
      expect(r.problems).toEqual([expect.objectContaining({ seq: n(ks.seq), kind: 'event_changed' })]);

      const task = rows.find((x) => String(x.entry).includes('"task.created"'))!;
      await fx.exec('delete from events where seq = ?', [task.event_seq]);
      r = await verifier.verify();
      expect(r.problems).toContainEqual(expect.objectContaining({ seq: n(task.seq), kind: 'event_missing' }));
      expect(r.problems).toHaveLength(2);
    });

    it('two sealers over the same database (two replicas) build one valid chain', async () => {
      const replica = await fx.openReplica();
      const other = new AuditSealer({ store: replica, clock: h.clock, logger: silentLogger, key: auditSigningKeySource(replica, () => 0), batchSize: 3 });
      let total = 0;
      for (let round = 0; round < 4; round++) {
        await act(3);
        const [x, y] = await Promise.all([sealer.sealOnce(), other.sealOnce(), sealer.sealOnce()]);
        total += (x ?? 0) + (y ?? 0);
      }
      total += (await sealer.sealOnce()) + (await other.sealOnce());
      const audited = (await fx.store.readEvents({ afterSeq: 0, limit: 1000, types: AUDIT_EVENT_TYPES })).length;
      const r = await verifier.verify();
      expect(r).toMatchObject({ ok: true, links: audited, headSeq: audited, unsealed: 0 });
      const eventSeqs = (await sealed()).map((x) => n(x.event_seq));
      expect(new Set(eventSeqs).size).toBe(audited);
      expect(total).toBeLessThanOrEqual(audited * 2); // each call reports only what it appended itself
    });

    it('start() seals in the background until aborted', async () => {
      const audited = await act(2);
      const looping = new AuditSealer({ store: fx.store, clock: h.clock, logger: silentLogger, key, intervalMs: 20 });
      const ctl = new AbortController();
      const done = looping.start(ctl.signal);
      const deadline = Date.now() + 20_000;
      while ((await fx.store.auditHead())?.seq !== audited && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      ctl.abort();
      await done;
      expect(await verifier.verify()).toMatchObject({ ok: true, links: audited });
    });

    if (backend.name === 'SQLite') {
      it('property: any single-character change in any stored link is detected', async () => {
        await act(2);
        await sealer.sealOnce();
        const rows = await sealed();
        const columns = ['entry', 'prev_hash', 'hash', 'sig'] as const;
        await fc.assert(
          fc.asyncProperty(
            fc.integer({ min: 0, max: rows.length - 1 }),
            fc.constantFrom(...columns),
            fc.nat(),
            fc.integer({ min: 0x20, max: 0x7e }),
            async (i, column, at, code) => {
              const original = String(rows[i]![column]);
              const pos = at % original.length;
              const c = String.fromCharCode(code);
              fc.pre(original[pos] !== c);
              const seq = n(rows[i]!.seq);
              await fx.exec(`update audit_seals set ${column} = ? where seq = ?`, [original.slice(0, pos) + c + original.slice(pos + 1), seq]);
              try {
                const r = await verifier.verify();
                expect(r.ok).toBe(false);
                expect(r.problems.some((p) => p.seq === seq || p.seq === seq + 1)).toBe(true);
              } finally {
                await fx.exec(`update audit_seals set ${column} = ? where seq = ?`, [original, seq]);
              }
            },
          ),
          { numRuns: 40 },
        );
        expect((await verifier.verify()).ok).toBe(true);
      });
    }
  });
}
