import { describe, expect, it } from 'vitest';
import { AUDIT_GENESIS_HASH, type AuditSeal } from '../../../core/audit-seal.js';
import type { EnvGetter } from './contract-fixtures.js';

const seal = (seq: number, eventSeq: number, prevHash: string): AuditSeal => ({
  seq,
  eventSeq,
  at: 1000 + seq,
  entry: `{"n":${seq}}`,
  prevHash,
  hash: String(seq).padStart(64, 'a'),
  sig: `sig${seq}`,
});
const headOf = (s: AuditSeal) => ({ seq: s.seq, eventSeq: s.eventSeq, hash: s.hash, sig: `head${s.seq}`, sealedAt: s.at });

/** The safety tables: lockdown, tripcode nonces and cooldowns, the audit chain, pipeline runs. */
export function safetyContract(env: EnvGetter): void {
  describe('lockdown', () => {
    it('is off at first; on turns the kill switch on too, with events; off leaves the kill switch on', async () => {
      const { store } = env();
      expect(await store.getLockdown()).toEqual({ on: false, reason: null, changedAt: null, changedBy: null });
      const on = await store.setLockdown({ on: true, reason: 'tripcode', nowMs: 5000, actor: 'token:a' });
      expect(await store.getFleetSwitches()).toEqual({ killSwitch: { on: true, reason: 'tripcode', changedAt: 5000, changedBy: 'token:a' }, lockdown: on });
      expect(on).toEqual({ on: true, reason: 'tripcode', changedAt: 5000, changedBy: 'token:a' });
      expect((await store.getKillSwitch()).on).toBe(true);
      const off = await store.setLockdown({ on: false, reason: null, nowMs: 6000, actor: 'token:a' });
      expect(off.on).toBe(false);
      expect((await store.getKillSwitch()).on).toBe(true);
      expect(await store.getFleetSwitches()).toEqual({ killSwitch: await store.getKillSwitch(), lockdown: off });
      const types = (await store.readEvents({ afterSeq: 0, limit: 100, types: ['lockdown.changed', 'killswitch.changed'] })).map((e) => e.type);
      expect(types).toEqual(['lockdown.changed', 'killswitch.changed', 'lockdown.changed']);
    });
  });

  describe('tripcode uses', () => {
    const use = (nonce: string, nowMs: number, family = 'RECOVERY:LOCKDOWN', cooldownMs = 60_000) =>
      env().store.recordTripcodeUse({ nonce, code: family, family, actor: 'token:a', nowMs, cooldownMs });

    it('a nonce is accepted once, ever', async () => {
      expect(await use('n1', 1000, 'F1', 0)).toEqual({ ok: true });
      expect(await use('n1', 999_999, 'F1', 0)).toEqual({ ok: false, why: 'replayed' });
    });

    it('a family waits out its cooldown; other families do not', async () => {
      expect(await use('a', 1000)).toEqual({ ok: true });
      expect(await use('b', 31_000)).toEqual({ ok: false, why: 'cooldown', retryAfterMs: 30_000 });
      expect(await use('c', 31_000, 'RECOVERY:DIAGNOSTIC')).toEqual({ ok: true });
      expect(await use('d', 61_000)).toEqual({ ok: true });
    });

    it('racing uses of one nonce: exactly one wins', async () => {
      const results = await Promise.all([use('race', 1000, 'F2', 0), use('race', 1000, 'F2', 0), use('race', 1000, 'F2', 0)]);
      expect(results.filter((r) => r.ok)).toHaveLength(1);
    });
  });

  describe('audit seals', () => {
    it('appends after the expected head only, in chain order, and moves the head', async () => {
      const { store } = env();
      expect(await store.auditHead()).toBeNull();
      const a = seal(1, 3, AUDIT_GENESIS_HASH);
      const b = seal(2, 7, a.hash);
      expect(await store.appendAuditSeals({ seals: [a, b], head: headOf(b), expectedHeadSeq: 0 })).toBe(true);
      expect(await store.auditHead()).toEqual(headOf(b));
      // a second sealer that read the empty chain loses and writes nothing
      expect(await store.appendAuditSeals({ seals: [seal(1, 9, AUDIT_GENESIS_HASH)], head: headOf(seal(1, 9, '')), expectedHeadSeq: 0 })).toBe(false);
      const c = seal(3, 9, b.hash);
      expect(await store.appendAuditSeals({ seals: [c], head: headOf(c), expectedHeadSeq: 2 })).toBe(true);
      expect(await store.readAuditSeals({ afterSeq: 0, limit: 10 })).toEqual([a, b, c]);
      expect(await store.readAuditSeals({ afterSeq: 1, limit: 1 })).toEqual([b]);
    });
  });

  describe('pipeline runs', () => {
    it('create, update with optimistic concurrency and merged evidence, list newest first', async () => {
      const { store } = env();
      const r = await store.createPipelineRun({ id: 'pr_1', intent: 'hello', project: null, spec: { plan: { steps: [] } }, nowMs: 1000 });
      expect(r).toMatchObject({ id: 'pr_1', state: 'IDLE', version: 1, evidence: {}, snapshotId: null, error: null });
      const u = await store.updatePipelineRun({ id: 'pr_1', expectedVersion: 1, state: 'PLAN', evidence: { plan: { ok: true } }, nowMs: 2000 });
      expect(u).toMatchObject({ state: 'PLAN', version: 2, updatedAt: 2000, evidence: { plan: { ok: true } } });
      const v = await store.updatePipelineRun({ id: 'pr_1', expectedVersion: 2, state: 'ABORTED', evidence: { debate: 'x' }, error: 'no', nowMs: 3000 });
      expect(v.evidence).toEqual({ plan: { ok: true }, debate: 'x' });
      await expect(store.updatePipelineRun({ id: 'pr_1', expectedVersion: 2, state: 'PLAN', nowMs: 4000 })).rejects.toMatchObject({ code: 'CONFLICT' });
      await expect(store.updatePipelineRun({ id: 'nope', expectedVersion: 1, nowMs: 4000 })).rejects.toMatchObject({ code: 'NOT_FOUND' });
      expect(await store.getPipelineRun('nope')).toBeNull();
      await store.createPipelineRun({ id: 'pr_2', intent: 'b', project: 'p', spec: {}, nowMs: 5000 });
      await store.createPipelineRun({ id: 'pr_3', intent: 'c', project: 'p', spec: {}, nowMs: 6000 });
      const page1 = await store.listPipelineRuns({ limit: 2 });
      expect(page1.items.map((x) => x.id)).toEqual(['pr_3', 'pr_2']);
      const page2 = await store.listPipelineRuns({ limit: 2, cursor: page1.nextCursor ?? undefined });
      expect(page2.items.map((x) => x.id)).toEqual(['pr_1']);
      expect(page2.nextCursor).toBeNull();
    });
  });
}
