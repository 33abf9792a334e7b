import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { TerminalError } from '../../core/errors.js';
import type { NewEvent } from '../../core/events.js';
import {
  DEFAULT_TRIPCODE_COOLDOWNS_MS,
  DEFAULT_TRIPCODE_SKEW_MS,
  DEFAULT_TRIPCODE_WINDOW_MS,
  checkWindow,
  formatRecoveryCode,
  formatTripcodePayload,
  parseRecoveryCode,
  parseTripcodePayload,
  tripcodeSigningInput,
  type DiagnosticProfile,
  type RecoveryCode,
  type TripcodeFamily,
} from '../../core/tripcode.js';
import type { HqDeps } from './hq-deps.js';
import { errorMessage, notify } from './notify.js';

/** The HQ secret the tripcode HMAC key is kept under (32 random bytes, base64url). */
export const TRIPCODE_KEY_SECRET = 'tripcode-hmac-key';

/**
 * What a tripcode does, wired by the composition root (pipeline, workspaces, diagnostics). Each
 * returns a line saying what was done. An action that is absent is refused as `action_failed`.
 */
export interface RecoveryActions {
  revertSnapshot(snapshotId: string, actor: string): Promise<string>;
  reimageToGolden(target: string | null, actor: string): Promise<string>;
  diagnostic(profile: DiagnosticProfile, actor: string): Promise<string>;
}

export interface TripcodeServiceOptions {
  readonly actions?: Partial<RecoveryActions> | undefined;
  /** Per-family cooldowns; unset families keep `DEFAULT_TRIPCODE_COOLDOWNS_MS`. */
  readonly cooldownsMs?: Partial<Record<TripcodeFamily, number>> | undefined;
  readonly windowMs?: number | undefined;
  readonly skewMs?: number | undefined;
}

export type TripcodeRejectReason = 'malformed' | 'forged' | 'expired' | 'replayed' | 'cooldown' | 'wrong_code' | 'action_failed';

export interface TripcodeIssued {
  readonly payload: string;
  readonly code: string;
  readonly expiresAt: number;
}

export type TripcodeOutcome =
  | { readonly ok: true; readonly code: string; readonly detail: string }
  | {
      readonly ok: false;
      /** The code, when the payload could be read that far. */
      readonly code: string | null;
      readonly reason: TripcodeRejectReason;
      readonly detail: string;
      /** With `cooldown`: when the family may be used again. */
      readonly retryAfterMs?: number;
    };

/** Issues and applies tripcodes; every application, accepted or not, is audited. */
export class TripcodeService {
  private key: Promise<Buffer> | null = null;
  private readonly cooldownsMs: Readonly<Record<TripcodeFamily, number>>;
  private readonly windowMs: number;
  private readonly skewMs: number;

  constructor(
    private readonly deps: HqDeps,
    private readonly options: TripcodeServiceOptions = {},
  ) {
    this.cooldownsMs = { ...DEFAULT_TRIPCODE_COOLDOWNS_MS, ...stripUndefined(options.cooldownsMs ?? {}) };
    this.windowMs = options.windowMs ?? DEFAULT_TRIPCODE_WINDOW_MS;
    this.skewMs = options.skewMs ?? DEFAULT_TRIPCODE_SKEW_MS;
    for (const [name, v] of [...Object.entries(this.cooldownsMs), ['windowMs', this.windowMs], ['skewMs', this.skewMs]] as const) {
      if (!Number.isSafeInteger(v) || v < 0) {
        throw new TerminalError('VALIDATION_FAILED', `tripcode ${name} must be a non-negative integer of milliseconds, got ${String(v)}`);
      }
    }
  }

  /** How long a code stays valid after issue. */
  get validForMs(): number {
    return this.windowMs;
  }

  private hmacKey(): Promise<Buffer> {
    this.key ??= this.deps.store
      .ensureSecret({ name: TRIPCODE_KEY_SECRET, candidate: randomBytes(32).toString('base64url'), nowMs: this.deps.clock.nowMs() })
      .then((v) => Buffer.from(v, 'base64url'))
      .catch((e: unknown) => {
        this.key = null;
        throw e;
      });
    return this.key;
  }

  /** Sign a code now. Throws VALIDATION_FAILED for a text that is none of the recovery codes. */
  async issue(input: { code: string; actor: string }): Promise<TripcodeIssued> {
    const parsed = parseRecoveryCode(input.code);
    if (!parsed.ok) throw new TerminalError('VALIDATION_FAILED', `invalid tripcode code: ${parsed.reason}`, { code: input.code.slice(0, 200) });
    const code = formatRecoveryCode(parsed.value);
    const key = await this.hmacKey();
    const ts = this.deps.clock.nowMs();
    const payload = formatTripcodePayload(ts, code, (text) => hmac(key, text));
    const expiresAt = ts + this.windowMs;
    await this.audit({
      type: 'tripcode.issued',
      taskId: null,
      nodeId: null,
      data: { code, family: parsed.value.family, actor: input.actor, issuedAt: ts, expiresAt, nonceId: nonceId(payload.slice(payload.lastIndexOf('|') + 1)) },
    });
    return { payload, code, expiresAt };
  }

  /** Check and carry out a tripcode. Never throws for a bad code: a rejection is an outcome. */
  async apply(input: { payload: string; actor: string }): Promise<TripcodeOutcome> {
    const parsed = parseTripcodePayload(input.payload);
    if (!parsed.ok) return this.reject(input.actor, { code: parsed.code === null ? null : parsed.code.slice(0, 200), reason: parsed.reason, detail: parsed.detail });
    const { ts, code, recovery, sig } = parsed;
    const key = await this.hmacKey();
    const expected = Buffer.from(hmac(key, tripcodeSigningInput(ts, code)), 'base64url');
    const given = Buffer.from(sig, 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      return this.reject(input.actor, { code, reason: 'forged', detail: 'signature does not match: not issued by this HQ, or altered', ts, sig });
    }
    const nowMs = this.deps.clock.nowMs();
    const window = checkWindow(ts, nowMs, this.windowMs, this.skewMs);
    if (!window.ok) {
      const detail =
        window.reason === 'expired'
          ? `issued ${Math.round((nowMs - ts) / 1000)} s ago; codes are valid for ${Math.round(this.windowMs / 1000)} s`
          : `issue time lies ${Math.round((ts - nowMs) / 1000)} s in the future (more than the ${Math.round(this.skewMs / 1000)} s allowed for clock skew)`;
      return this.reject(input.actor, { code, reason: 'expired', detail, ts, sig });
    }
    const use = await this.deps.store.recordTripcodeUse({
      nonce: sig,
      code,
      family: recovery.family,
      actor: input.actor,
      nowMs,
      cooldownMs: this.cooldownsMs[recovery.family],
    });
    if (!use.ok) {
      if (use.why === 'replayed') return this.reject(input.actor, { code, reason: 'replayed', detail: 'this tripcode was already used; codes are single-use', ts, sig });
      return this.reject(input.actor, {
        code,
        reason: 'cooldown',
        detail: `${recovery.family} was used less than ${Math.round(this.cooldownsMs[recovery.family] / 1000)} s ago; retry in ${Math.ceil(use.retryAfterMs / 1000)} s with a new code`,
        retryAfterMs: use.retryAfterMs,
        ts,
        sig,
      });
    }
    let detail: string;
    try {
      detail = await this.act(recovery, input.actor);
    } catch (e) {
      return this.reject(input.actor, { code, reason: 'action_failed', detail: errorMessage(e), ts, sig });
    }
    this.deps.logger.warn({ code, actor: input.actor }, 'tripcode applied');
    await this.audit({
      type: 'tripcode.applied',
      taskId: null,
      nodeId: null,
      data: { code, family: recovery.family, actor: input.actor, detail, issuedAt: ts, nonceId: nonceId(sig) },
    });
    return { ok: true, code, detail };
  }

  private async act(recovery: RecoveryCode, actor: string): Promise<string> {
    const actions = this.options.actions ?? {};
    const missing = (): never => {
      throw new Error(`${recovery.family} is not available on this HQ`);
    };
    switch (recovery.kind) {
      case 'lockdown': {
        const nowMs = this.deps.clock.nowMs();
        if (recovery.lift) {
          await this.deps.store.setLockdown({ on: false, reason: 'tripcode RECOVERY:LOCKDOWN::LIFT', nowMs, actor });
          await notify(this.deps, []);
          return 'lockdown lifted; the kill switch stays as it is (turn it off explicitly)';
        }
        await this.deps.store.setLockdown({ on: true, reason: 'tripcode RECOVERY:LOCKDOWN', nowMs, actor });
        await notify(this.deps, ['killswitch.changed'], { on: true });
        return 'lockdown on; kill switch on';
      }
      case 'revert_snapshot':
        return actions.revertSnapshot ? actions.revertSnapshot(recovery.snapshotId, actor) : missing();
      case 'reimage_to_golden':
        return actions.reimageToGolden ? actions.reimageToGolden(recovery.target, actor) : missing();
      case 'diagnostic':
        return actions.diagnostic ? actions.diagnostic(recovery.profile, actor) : missing();
    }
  }

  private async reject(
    actor: string,
    r: { code: string | null; reason: TripcodeRejectReason; detail: string; retryAfterMs?: number; ts?: number; sig?: string },
  ): Promise<TripcodeOutcome> {
    this.deps.logger.warn({ code: r.code, reason: r.reason, actor }, 'tripcode rejected');
    await this.audit({
      type: 'tripcode.rejected',
      taskId: null,
      nodeId: null,
      data: {
        code: r.code,
        reason: r.reason,
        actor,
        detail: r.detail,
        ...(r.retryAfterMs !== undefined ? { retryAfterMs: r.retryAfterMs } : {}),
        ...(r.ts !== undefined ? { issuedAt: r.ts } : {}),
        ...(r.sig !== undefined ? { nonceId: nonceId(r.sig) } : {}),
      },
    });
    return {
      ok: false,
      code: r.code,
      reason: r.reason,
      detail: r.detail,
      ...(r.retryAfterMs !== undefined ? { retryAfterMs: r.retryAfterMs } : {}),
    };
  }

  private async audit(event: NewEvent): Promise<void> {
    await this.deps.store.appendEvents({ events: [event], nowMs: this.deps.clock.nowMs() });
    await notify(this.deps, []);
  }
}

function hmac(key: Buffer, text: string): string {
  return createHmac('sha256', key).update(text, 'utf8').digest('base64url');
}

/**
 * A short, one-way name for a nonce, so that the audit can tie an issue to its use without
 * storing anything that would let someone rebuild the payload.
 */
function nonceId(sig: string): string {
  return createHash('sha256').update(sig, 'utf8').digest('hex').slice(0, 16);
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
