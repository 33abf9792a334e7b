import type { Selectable } from 'kysely';
import type { Role, TokenKind, TokenRecord } from '../../../core/auth.js';
import { CorticalError } from '../../../core/errors.js';
import { clampLimit, type Page, type PageRequest } from '../../../core/page.js';
import type { NewToken, TokenFilter } from '../../../core/ports/store.js';
import { decodeCursor, encodeCursor } from './cursor.js';
import type { TokensTable } from './database.js';
import { insertEvents } from './events-sql.js';
import { fromBool, toBool, toNum, toNumOrNull } from './numbers.js';
import type { Db, SqlContext } from './sql-context.js';

function tokenFromRow(row: Selectable<TokensTable>): TokenRecord {
  return {
    id: row.id,
    kind: row.kind as TokenKind,
    role: row.role as Role,
    secretHash: row.secret_hash,
    nodeId: row.node_id,
    label: row.label,
    createdAt: toNum(row.created_at),
    expiresAt: toNumOrNull(row.expires_at),
    singleUse: toBool(row.single_use),
    usedAt: toNumOrNull(row.used_at),
    revokedAt: toNumOrNull(row.revoked_at),
  };
}

async function findToken(db: Db, id: string): Promise<TokenRecord | null> {
  const row = await db.selectFrom('tokens').selectAll().where('id', '=', id).executeTakeFirst();
  return row === undefined ? null : tokenFromRow(row);
}

export async function createToken(ctx: SqlContext, input: NewToken): Promise<TokenRecord> {
  return ctx.runInTx(async (tx) => {
    if ((await findToken(tx, input.id)) !== null) {
      throw new CorticalError('CONFLICT', `token ${input.id} already exists`, { tokenId: input.id });
    }
    await tx
      .insertInto('tokens')
      .values({
        id: input.id,
        kind: input.kind,
        role: input.role,
        secret_hash: input.secretHash,
        node_id: input.nodeId,
        label: input.label,
        created_at: input.nowMs,
        expires_at: input.expiresAt,
        single_use: fromBool(input.singleUse),
        used_at: null,
        revoked_at: null,
      })
      .execute();
    await insertEvents(
      tx,
      [
        {
          type: 'token.created',
          taskId: null,
          nodeId: input.nodeId,
          data: { tokenId: input.id, kind: input.kind, role: input.role, label: input.label, actor: input.actor },
        },
      ],
      input.nowMs,
    );
    const created = await findToken(tx, input.id);
    if (created === null) throw new CorticalError('INTERNAL', `token ${input.id} vanished after insert`);
    return created;
  });
}

export async function getToken(ctx: SqlContext, id: string): Promise<TokenRecord | null> {
  return findToken(ctx.db, id);
}

export async function listTokens(ctx: SqlContext, filter: TokenFilter & PageRequest): Promise<Page<TokenRecord>> {
  const limit = clampLimit(filter.limit);
  if (filter.kinds?.length === 0 || filter.roles?.length === 0) return { items: [], nextCursor: null };
  let q = ctx.db.selectFrom('tokens').selectAll();
  if (filter.kinds !== undefined) q = q.where('kind', 'in', [...filter.kinds]);
  if (filter.roles !== undefined) q = q.where('role', 'in', [...filter.roles]);
  const at = filter.activeAt;
  if (at !== undefined) {
    q = q
      .where('revoked_at', 'is', null)
      .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', at)]))
      .where((eb) => eb.or([eb('single_use', '=', 0), eb('used_at', 'is', null)]));
  }
  if (filter.cursor !== undefined) {
    const [id] = decodeCursor(filter.cursor, ['string'] as const);
    q = q.where('id', '<', id);
  }
  const rows = await q.orderBy('id', 'desc').limit(limit + 1).execute();
  const items = rows.slice(0, limit).map(tokenFromRow);
  const last = items[items.length - 1];
  return { items, nextCursor: rows.length > limit && last !== undefined ? encodeCursor([last.id]) : null };
}

/**
 * One conditional UPDATE decides whether the join token may be used now, so two concurrent joins
 * with a single-use token cannot both succeed.
 */
export async function consumeJoinToken(
  ctx: SqlContext,
  input: { id: string; secretHash: string; nowMs: number },
): Promise<TokenRecord> {
  return ctx.runInTx(async (tx) => {
    const result = await tx
      .updateTable('tokens')
      .set({ used_at: input.nowMs })
      .where('id', '=', input.id)
      .where('secret_hash', '=', input.secretHash)
      .where('kind', '=', 'join')
      .where('revoked_at', 'is', null)
      .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', input.nowMs)]))
      .where((eb) => eb.or([eb('single_use', '=', 0), eb('used_at', 'is', null)]))
      .executeTakeFirst();
    if (result.numUpdatedRows === 0n) {
      throw new CorticalError('JOIN_TOKEN_INVALID', 'join token is unknown, revoked, expired or already used', {
        tokenId: input.id,
      });
    }
    const token = await findToken(tx, input.id);
    if (token === null) throw new CorticalError('INTERNAL', `token ${input.id} vanished after use`);
    return token;
  });
}

export async function revokeToken(ctx: SqlContext, input: { id: string; nowMs: number; actor: string }): Promise<void> {
  await ctx.runInTx(async (tx) => {
    const token = await findToken(tx, input.id);
    if (token === null) throw new CorticalError('TOKEN_NOT_FOUND', `token ${input.id} not found`, { tokenId: input.id });
    if (token.revokedAt !== null) return;
    await tx.updateTable('tokens').set({ revoked_at: input.nowMs }).where('id', '=', input.id).execute();
    await insertEvents(
      tx,
      [{ type: 'token.revoked', taskId: null, nodeId: token.nodeId, data: { tokenId: token.id, kind: token.kind, actor: input.actor } }],
      input.nowMs,
    );
  });
}

export async function revokeNodeTokens(
  ctx: SqlContext,
  input: { nodeId: string; kind: TokenKind; nowMs: number; exceptId?: string | undefined },
): Promise<number> {
  return ctx.runInTx(async (tx) => {
    let q = tx
      .selectFrom('tokens')
      .select('id')
      .where('node_id', '=', input.nodeId)
      .where('kind', '=', input.kind)
      .where('revoked_at', 'is', null);
    if (input.exceptId !== undefined) q = q.where('id', '!=', input.exceptId);
    const ids = (await q.orderBy('id').execute()).map((r) => r.id);
    if (ids.length === 0) return 0;
    await tx.updateTable('tokens').set({ revoked_at: input.nowMs }).where('id', 'in', ids).execute();
    await insertEvents(
      tx,
      ids.map((id) => ({
        type: 'token.revoked' as const,
        taskId: null,
        nodeId: input.nodeId,
        data: { tokenId: id, kind: input.kind, actor: 'system', rotation: true },
      })),
      input.nowMs,
    );
    return ids.length;
  });
}

export async function hasAdminToken(ctx: SqlContext): Promise<boolean> {
  const row = await ctx.db
    .selectFrom('tokens')
    .select('id')
    .where('kind', '=', 'api')
    .where('role', '=', 'admin')
    .where('revoked_at', 'is', null)
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}
