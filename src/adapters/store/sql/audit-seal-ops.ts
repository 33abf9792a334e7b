import type { AuditHead, AuditSeal } from '../../../core/audit-seal.js';
import { isCorticalError } from '../../../core/errors.js';
import { boundLimit, toNum } from './numbers.js';
import type { SqlContext } from './sql-context.js';

type SealRow = { seq: unknown; event_seq: unknown; at: unknown; entry: string; prev_hash: string; hash: string; sig: string };

function sealOf(r: SealRow): AuditSeal {
  return { seq: toNum(r.seq), eventSeq: toNum(r.event_seq), at: toNum(r.at), entry: r.entry, prevHash: r.prev_hash, hash: r.hash, sig: r.sig };
}

export async function readAuditHead(ctx: SqlContext): Promise<AuditHead | null> {
  const r = await ctx.db.selectFrom('audit_head').selectAll().where('id', '=', 1).executeTakeFirst();
  if (r === undefined) return null;
  return { seq: toNum(r.seq), eventSeq: toNum(r.event_seq), hash: r.hash, sig: r.sig, sealedAt: toNum(r.sealed_at) };
}

/**
 * Append links after the head the caller read (`expectedHeadSeq`, 0 for an empty chain) and move
 * the head to the last one, in one transaction. false (nothing written) when another sealer moved
 * the head first.
 */
export async function appendAuditSeals(ctx: SqlContext, input: { seals: readonly AuditSeal[]; head: AuditHead; expectedHeadSeq: number }): Promise<boolean> {
  if (input.seals.length === 0) return true;
  try {
    return await appendInTx(ctx, input);
  } catch (e) {
    // another sealer inserted the same link numbers first (a unique violation on PostgreSQL)
    if (isCorticalError(e) && e.code === 'CONFLICT') return false;
    throw e;
  }
}

function appendInTx(ctx: SqlContext, input: { seals: readonly AuditSeal[]; head: AuditHead; expectedHeadSeq: number }): Promise<boolean> {
  return ctx.runInTx(async (tx) => {
    const cur = await tx.selectFrom('audit_head').select('seq').where('id', '=', 1).executeTakeFirst();
    const curSeq = cur === undefined ? 0 : toNum(cur.seq);
    if (curSeq !== input.expectedHeadSeq) return false;
    const rows = input.seals.map((s) => ({ seq: s.seq, event_seq: s.eventSeq, at: s.at, entry: s.entry, prev_hash: s.prevHash, hash: s.hash, sig: s.sig }));
    for (let i = 0; i < rows.length; i += 500) await tx.insertInto('audit_seals').values(rows.slice(i, i + 500)).execute();
    const head = { seq: input.head.seq, event_seq: input.head.eventSeq, hash: input.head.hash, sig: input.head.sig, sealed_at: input.head.sealedAt };
    if (cur === undefined) await tx.insertInto('audit_head').values({ id: 1, ...head }).execute();
    else await tx.updateTable('audit_head').set(head).where('id', '=', 1).execute();
    return true;
  });
}

/** Links after `afterSeq`, in chain order. */
export async function readAuditSeals(ctx: SqlContext, input: { afterSeq: number; limit: number }): Promise<AuditSeal[]> {
  const rows = await ctx.db
    .selectFrom('audit_seals')
    .selectAll()
    .where('seq', '>', input.afterSeq)
    .orderBy('seq', 'asc')
    .limit(boundLimit(input.limit, 5000))
    .execute();
  return rows.map(sealOf);
}
