import type { TripcodeUse, TripcodeUseResult } from '../../../core/audit-seal.js';
import { toNum } from './numbers.js';
import type { SqlContext } from './sql-context.js';

/**
 * Record a tripcode's use: refused when its nonce was used before (replay) or its family was used
 * within the cooldown. One transaction, so two replicas applying the same code race safely: the
 * nonce's primary key lets one of them in.
 */
export async function recordTripcodeUse(ctx: SqlContext, use: TripcodeUse): Promise<TripcodeUseResult> {
  return ctx.runInTx(async (tx) => {
    const seen = await tx.selectFrom('tripcode_uses').select('nonce').where('nonce', '=', use.nonce).executeTakeFirst();
    if (seen !== undefined) return { ok: false, why: 'replayed' } as const;
    if (use.cooldownMs > 0) {
      const last = await tx
        .selectFrom('tripcode_uses')
        .select('used_at')
        .where('family', '=', use.family)
        .orderBy('used_at', 'desc')
        .limit(1)
        .executeTakeFirst();
      if (last !== undefined) {
        const until = toNum(last.used_at) + use.cooldownMs;
        if (until > use.nowMs) return { ok: false, why: 'cooldown', retryAfterMs: until - use.nowMs } as const;
      }
    }
    const inserted = await tx
      .insertInto('tripcode_uses')
      .values({ nonce: use.nonce, code: use.code, family: use.family, actor: use.actor, used_at: use.nowMs })
      .onConflict((oc) => oc.column('nonce').doNothing())
      .returning('nonce')
      .executeTakeFirst();
    return inserted === undefined ? ({ ok: false, why: 'replayed' } as const) : ({ ok: true } as const);
  });
}
