import { randomBytes } from 'node:crypto';
import { errors as joseErrors, jwtVerify, SignJWT } from 'jose';
import type { Principal } from '../../core/auth.js';
import { TerminalError } from '../../core/errors.js';
import { checkFence } from '../../core/lease.js';
import type { HqDeps } from './hq-deps.js';

/** Name of the signing key in the store's HQ secrets (shared by every HQ replica). */
const KEY_NAME = 'task-credential-hs256';
const ISSUER = 'cortical-hq';
const AUDIENCE = 'cortical-task';

/** A lease-scoped credential as handed to a node for one task's sleeves. */
export interface TaskCredential {
  /** A compact HS256 JWT; sent as `Authorization: Bearer <token>`. */
  readonly token: string;
  /** Epoch ms; never more than 15 minutes after issue. */
  readonly expiresAt: number;
}

/** Whether a bearer string has the shape of a task credential (a JWT) rather than `<id>.<secret>`. */
export function looksLikeTaskCredential(bearer: string): boolean {
  return /^eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(bearer);
}

/**
 * Lease-scoped task credentials: what a sleeve may use to call HQ (its task's git remote, its own
 * record). Signed with a key kept in the store, bound to the task, the node and the lease's
 * fencing token, and valid only while that lease lives and for at most `taskCredentialTtlMs`
 * (≤ 15 minutes); a node gets a fresh one with every lease renewal. Nothing is stored per
 * credential, so thousands of running tasks cost no rows.
 */
export class TaskCredentials {
  private key: Promise<Uint8Array> | null = null;

  constructor(private readonly deps: HqDeps) {}

  private signingKey(): Promise<Uint8Array> {
    this.key ??= this.deps.store
      .ensureSecret({ name: KEY_NAME, candidate: randomBytes(32).toString('base64url'), nowMs: this.deps.clock.nowMs() })
      .then((v) => new Uint8Array(Buffer.from(v, 'base64url')))
      .catch((e: unknown) => {
        this.key = null;
        throw e;
      });
    return this.key;
  }

  /** A credential for the lease `(taskId, nodeId, fencingToken)`; the caller checked the lease. */
  async issue(input: { taskId: string; nodeId: string; fencingToken: number; leaseExpiresAt: number | null }): Promise<TaskCredential> {
    const now = this.deps.clock.nowMs();
    const expiresAt = now + this.deps.config.taskCredentialTtlMs;
    const token = await new SignJWT({ node: input.nodeId, fen: input.fencingToken })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setSubject(input.taskId)
      .setJti(randomBytes(9).toString('base64url'))
      .setIssuedAt(Math.floor(now / 1000))
      .setExpirationTime(Math.floor(expiresAt / 1000))
      .sign(await this.signingKey());
    // The JWT's exp has second precision (rounded down): report what the token really carries.
    return { token, expiresAt: Math.floor(expiresAt / 1000) * 1000 };
  }

  /**
   * The principal behind a task credential: signature, issuer, audience and expiry checked, then
   * the lease it names must still be the task's live lease (same node, same fencing token).
   */
  async authenticate(bearer: string): Promise<Principal> {
    const now = this.deps.clock.nowMs();
    let claims;
    try {
      const verified = await jwtVerify(bearer, await this.signingKey(), {
        issuer: ISSUER,
        audience: AUDIENCE,
        algorithms: ['HS256'],
        currentDate: new Date(now),
      });
      claims = verified.payload;
    } catch (e) {
      if (e instanceof joseErrors.JWTExpired) throw new TerminalError('TOKEN_EXPIRED', 'task credential expired');
      throw new TerminalError('UNAUTHENTICATED', 'invalid task credential');
    }
    const taskId = claims.sub;
    const nodeId = claims.node;
    const fencingToken = claims.fen;
    if (typeof taskId !== 'string' || typeof nodeId !== 'string' || typeof fencingToken !== 'number') {
      throw new TerminalError('UNAUTHENTICATED', 'invalid task credential');
    }
    const task = await this.deps.store.getTask(taskId);
    if (task === null || !checkFence(task, { nodeId, fencingToken }, now).ok) {
      throw new TerminalError('UNAUTHENTICATED', 'task credential no longer valid: its lease has ended');
    }
    return { tokenId: `task:${taskId}:${fencingToken}`, role: 'task', nodeId: null, taskId };
  }
}
