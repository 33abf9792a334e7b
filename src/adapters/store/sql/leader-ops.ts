import type { Selectable } from 'kysely';
import type { LeaderRole, Leadership, LeadershipClaim } from '../../../core/leadership.js';
import type { LeadersTable } from './database.js';
import { toNum } from './numbers.js';
import type { Db, SqlContext } from './sql-context.js';

type LeaderRow = Selectable<LeadersTable>;

function leadershipOf(role: LeaderRole, row: LeaderRow | undefined, asker: string, nowMs: number): Leadership {
  if (row === undefined) return { role, holder: null, leader: false, term: 0, expiresAt: 0 };
  const expiresAt = toNum(row.expires_at);
  return { role, holder: row.holder, leader: row.holder === asker && expiresAt > nowMs, term: toNum(row.term), expiresAt };
}

function readRow(db: Db, role: LeaderRole): Promise<LeaderRow | undefined> {
  return db.selectFrom('leaders').selectAll().where('role', '=', role).executeTakeFirst();
}

/**
 * Take or renew a role. A role held by another replica and not expired is only read (no write
 * transaction): followers ask often and cheaply. Otherwise one transaction takes it (the term
 * grows when the holder changes) or extends it.
 */
export async function claimLeadership(ctx: SqlContext, claim: LeadershipClaim): Promise<Leadership> {
  const seen = await readRow(ctx.db, claim.role);
  if (seen !== undefined && seen.holder !== claim.holder && toNum(seen.expires_at) > claim.nowMs) {
    return leadershipOf(claim.role, seen, claim.holder, claim.nowMs);
  }
  return ctx.runInTx(async (tx) => {
    const row = await readRow(tx, claim.role);
    const expiresAt = claim.nowMs + claim.ttlMs;
    if (row === undefined) {
      await tx
        .insertInto('leaders')
        .values({ role: claim.role, holder: claim.holder, term: 1, acquired_at: claim.nowMs, expires_at: expiresAt })
        .onConflict((oc) => oc.column('role').doNothing())
        .execute();
    } else if (row.holder === claim.holder) {
      await tx.updateTable('leaders').set({ expires_at: expiresAt }).where('role', '=', claim.role).where('holder', '=', claim.holder).execute();
    } else if (toNum(row.expires_at) <= claim.nowMs) {
      await tx
        .updateTable('leaders')
        .set({ holder: claim.holder, term: toNum(row.term) + 1, acquired_at: claim.nowMs, expires_at: expiresAt })
        .where('role', '=', claim.role)
        .where('holder', '=', row.holder)
        .execute();
    }
    return leadershipOf(claim.role, await readRow(tx, claim.role), claim.holder, claim.nowMs);
  });
}

/** Give a held role up (a replica shutting down), so another takes it at once. */
export async function releaseLeadership(ctx: SqlContext, input: { role: LeaderRole; holder: string; nowMs: number }): Promise<void> {
  await ctx.runInTx(async (tx) => {
    await tx
      .updateTable('leaders')
      .set({ expires_at: input.nowMs })
      .where('role', '=', input.role)
      .where('holder', '=', input.holder)
      .where('expires_at', '>', input.nowMs)
      .execute();
  });
}

/** Who holds a role, as seen by `asker` (any string when only the holder matters). */
export async function getLeadership(ctx: SqlContext, input: { role: LeaderRole; asker: string; nowMs: number }): Promise<Leadership> {
  return leadershipOf(input.role, await readRow(ctx.db, input.role), input.asker, input.nowMs);
}
