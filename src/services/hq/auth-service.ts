import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { tokenState, type Principal, type Role, type TokenKind, type TokenRecord } from '../../core/auth.js';
import type { Page } from '../../core/page.js';
import { CorticalError, TerminalError } from '../../core/errors.js';
import { parseBearerToken } from '../../contract/routes.js';
import type { HqDeps } from './hq-deps.js';
import { notify } from './notify.js';
import { looksLikeTaskCredential, type TaskCredentials } from './task-credentials.js';

/** A freshly created token: the record and the plaintext, shown once. */
export interface IssuedToken {
  readonly record: TokenRecord;
  /** `<id>.<secret>` */
  readonly token: string;
}

export interface CreateTokenInput {
  readonly role: Role;
  /** Lifetime; null = no expiry; undefined = the kind's default (join tokens: 24 h). */
  readonly ttlMs?: number | null | undefined;
  readonly label?: string | null | undefined;
  /** Join tokens only. */
  readonly singleUse?: boolean | undefined;
  readonly actor: string;
}

/** What `POST /tokens` returns. */
export interface CreatedToken {
  readonly id: string;
  readonly kind: 'api' | 'join';
  readonly role: Role;
  readonly token: string;
  readonly expiresAt: number | null;
  readonly singleUse: boolean;
}

/** Kinds that may authenticate API calls as a bearer token. */
const BEARER_KINDS: readonly TokenKind[] = ['api', 'node_access'];

export function sha256Hex(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

/** Constant-time comparison of a presented secret with a stored sha256 hex digest. */
export function secretMatches(secret: string, storedHash: string): boolean {
  const presented = Buffer.from(sha256Hex(secret), 'hex');
  const stored = Buffer.from(storedHash, 'hex');
  return presented.length === stored.length && timingSafeEqual(presented, stored);
}

/** The actor string recorded in events for a principal. */
export function actorOf(principal: Principal): string {
  if (principal.taskId !== undefined) return `task:${principal.taskId}`;
  return principal.nodeId !== null ? `node:${principal.nodeId}` : `${principal.role}:${principal.tokenId}`;
}

/**
 * Tokens: creation (`<id>.<secret>`, only sha256(secret) stored), authentication of bearer
 * tokens, and the first admin token.
 */
export class AuthService {
  constructor(
    private readonly deps: HqDeps,
    private readonly taskCredentials: TaskCredentials | null = null,
  ) {}

  /** Create a token of any kind. The plaintext is returned once and never stored. */
  async issue(input: {
    kind: TokenKind;
    role: Role;
    nodeId: string | null;
    label: string | null;
    expiresAt: number | null;
    singleUse: boolean;
    actor: string;
  }): Promise<IssuedToken> {
    const id = this.deps.ids.newId('tok');
    const secret = randomBytes(32).toString('base64url');
    const record = await this.deps.store.createToken({
      id,
      kind: input.kind,
      role: input.role,
      secretHash: sha256Hex(secret),
      nodeId: input.nodeId,
      label: input.label,
      nowMs: this.deps.clock.nowMs(),
      expiresAt: input.expiresAt,
      singleUse: input.singleUse,
      actor: input.actor,
    });
    return { record, token: `${id}.${secret}` };
  }

  /**
   * `role: node` creates a join token (default lifetime `joinTokenTtlMs`); the user roles create
   * API tokens (default: no expiry).
   */
  async createToken(input: CreateTokenInput): Promise<CreatedToken> {
    const now = this.deps.clock.nowMs();
    const isJoin = input.role === 'node';
    const ttlMs = input.ttlMs === undefined ? (isJoin ? this.deps.config.joinTokenTtlMs : null) : input.ttlMs;
    if (ttlMs !== null && (!Number.isInteger(ttlMs) || ttlMs <= 0)) {
      throw new TerminalError('VALIDATION_FAILED', 'ttlMs must be a positive integer or null', { ttlMs });
    }
    if (!isJoin && input.singleUse === true) {
      throw new TerminalError('VALIDATION_FAILED', 'singleUse applies to join tokens (role node) only', {
        role: input.role,
      });
    }
    const issued = await this.issue({
      kind: isJoin ? 'join' : 'api',
      role: input.role,
      nodeId: null,
      label: input.label ?? null,
      expiresAt: ttlMs === null ? null : now + ttlMs,
      singleUse: isJoin && input.singleUse === true,
      actor: input.actor,
    });
    await notify(this.deps, []);
    return {
      id: issued.record.id,
      kind: isJoin ? 'join' : 'api',
      role: issued.record.role,
      token: issued.token,
      expiresAt: issued.record.expiresAt,
      singleUse: issued.record.singleUse,
    };
  }

  /**
   * Resolve a bearer token to its principal. Missing, malformed, unknown, revoked tokens and
   * tokens of a kind that cannot authenticate calls → UNAUTHENTICATED; expired → TOKEN_EXPIRED.
   */
  async authenticate(bearer: string | null | undefined): Promise<Principal> {
    if (bearer === null || bearer === undefined || bearer === '') {
      throw new TerminalError('UNAUTHENTICATED', 'missing bearer token: send Authorization: Bearer <token>');
    }
    if (this.taskCredentials !== null && looksLikeTaskCredential(bearer)) return this.taskCredentials.authenticate(bearer);
    const parsed = parseBearerToken(bearer);
    if (parsed === null) {
      throw new TerminalError('UNAUTHENTICATED', 'malformed bearer token: expected <tokenId>.<secret>');
    }
    const record = await this.deps.store.getToken(parsed.id);
    if (record === null || !BEARER_KINDS.includes(record.kind) || !secretMatches(parsed.secret, record.secretHash)) {
      throw new TerminalError('UNAUTHENTICATED', 'unknown token');
    }
    if (record.revokedAt !== null) throw new TerminalError('UNAUTHENTICATED', 'token revoked');
    if (record.expiresAt !== null && record.expiresAt <= this.deps.clock.nowMs()) {
      throw new TerminalError('TOKEN_EXPIRED', 'token expired', { expiresAt: record.expiresAt });
    }
    if (record.kind === 'node_access' && record.nodeId === null) {
      throw new TerminalError('UNAUTHENTICATED', 'node credential without a node');
    }
    return { tokenId: record.id, role: record.role, nodeId: record.kind === 'node_access' ? record.nodeId : null };
  }

  /**
   * Look up a token presented in a request body (join or refresh token) and check its secret.
   * Returns null when it is malformed, unknown or the secret does not match.
   */
  async verifyPresented(token: string): Promise<TokenRecord | null> {
    const parsed = parseBearerToken(token);
    if (parsed === null) return null;
    const record = await this.deps.store.getToken(parsed.id);
    if (record === null || !secretMatches(parsed.secret, record.secretHash)) return null;
    return record;
  }

  /** On first start, create an admin token and return its plaintext; otherwise null. */
  async ensureAdminToken(): Promise<string | null> {
    if (await this.deps.store.hasAdminToken()) return null;
    const issued = await this.issue({
      kind: 'api',
      role: 'admin',
      nodeId: null,
      label: 'initial admin token',
      expiresAt: null,
      singleUse: false,
      actor: 'system',
    });
    this.deps.logger.info({ tokenId: issued.record.id }, 'created the initial admin token');
    return issued.token;
  }

  /**
   * Revokes a token (event `token.revoked`); revoking one already revoked changes nothing. Node
   * credentials are not revoked here (they rotate; a node leaves by being removed), and the last
   * active admin API token is kept, so that HQ is never left without one.
   */
  async revokeToken(id: string, actor: string, opts: { userKindsOnly?: boolean } = {}): Promise<TokenRecord> {
    const record = await this.deps.store.getToken(id);
    if (record === null) throw new CorticalError('TOKEN_NOT_FOUND', `token ${id} not found`, { id });
    if (opts.userKindsOnly === true && record.kind !== 'api' && record.kind !== 'join') {
      throw new TerminalError('VALIDATION_FAILED', `token ${id} is a node credential (${record.kind}): it rotates by itself; to shut the node out, remove the node`, { id, kind: record.kind });
    }
    const now = this.deps.clock.nowMs();
    if (record.kind === 'api' && record.role === 'admin' && tokenState(record, now) === 'active') {
      const admins = await this.deps.store.listTokens({ kinds: ['api'], roles: ['admin'], activeAt: now, limit: 2 });
      if (admins.items.every((t) => t.id === id)) {
        throw new TerminalError('CONFLICT', `token ${id} is the last active admin token: create another admin token first (cortical token create --role admin)`, { id });
      }
    }
    await this.deps.store.revokeToken({ id, nowMs: now, actor });
    await notify(this.deps, []);
    return (await this.deps.store.getToken(id)) ?? record;
  }

  /** Tokens (metadata only), newest first; `active`: only those that still authenticate. */
  listTokens(filter: { kinds: readonly TokenKind[]; active: boolean; cursor?: string | undefined; limit?: number | undefined }): Promise<Page<TokenRecord>> {
    return this.deps.store.listTokens({ kinds: filter.kinds, ...(filter.active ? { activeAt: this.deps.clock.nowMs() } : {}), cursor: filter.cursor, limit: filter.limit });
  }
}
