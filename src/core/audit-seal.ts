/**
 * A link of the audit hash chain: one audited event, written as canonical JSON (`entry`), chained
 * to the link before it (`prevHash`) and signed by HQ. `seq` counts links from 1 without gaps;
 * `eventSeq` is the sealed event's position in the event log.
 */
export interface AuditSeal {
  readonly seq: number;
  readonly eventSeq: number;
  readonly at: number;
  readonly entry: string;
  readonly prevHash: string;
  readonly hash: string;
  readonly sig: string;
}

/** The signed end of the chain, kept apart from the links so that a removed last link shows. */
export interface AuditHead {
  readonly seq: number;
  readonly eventSeq: number;
  readonly hash: string;
  readonly sig: string;
  readonly sealedAt: number;
}

/** The hash a chain starts from. */
export const AUDIT_GENESIS_HASH = '0'.repeat(64);

export interface TripcodeUse {
  /** Single-use: a nonce is accepted once, ever. */
  readonly nonce: string;
  readonly code: string;
  /** The code family cooldowns apply to (e.g. `RECOVERY:LOCKDOWN`). */
  readonly family: string;
  readonly actor: string;
  readonly nowMs: number;
  /** Refuse when the family was used less than this long ago. */
  readonly cooldownMs: number;
}

export type TripcodeUseResult =
  | { readonly ok: true }
  | { readonly ok: false; readonly why: 'replayed' }
  | { readonly ok: false; readonly why: 'cooldown'; readonly retryAfterMs: number };
