/**
 * Tripcodes: HMAC-signed, single-use, time-boxed recovery commands. A payload is `ts|code|sig`:
 * `ts` the issue time (integer milliseconds since the epoch), `code` one of the recovery codes
 * below, `sig` the base64url HMAC-SHA256 of `ts|code` under HQ's tripcode key. The signature is
 * also the nonce (single use, forever); cooldowns apply per family (the code without its
 * `::argument`). Pure: the HMAC itself is passed in where it is needed. See docs/tripcodes.md.
 */

export const TRIPCODE_FAMILIES = [
  'RECOVERY:REVERT_SNAPSHOT',
  'RECOVERY:REIMAGE_TO_GOLDEN',
  'RECOVERY:LOCKDOWN',
  'RECOVERY:DIAGNOSTIC',
] as const;
export type TripcodeFamily = (typeof TRIPCODE_FAMILIES)[number];

export const DIAGNOSTIC_PROFILES = ['basic', 'full'] as const;
export type DiagnosticProfile = (typeof DIAGNOSTIC_PROFILES)[number];

export type RecoveryCode =
  | { readonly kind: 'revert_snapshot'; readonly family: 'RECOVERY:REVERT_SNAPSHOT'; readonly snapshotId: string }
  | { readonly kind: 'reimage_to_golden'; readonly family: 'RECOVERY:REIMAGE_TO_GOLDEN'; readonly target: string | null }
  | { readonly kind: 'lockdown'; readonly family: 'RECOVERY:LOCKDOWN'; readonly lift: boolean }
  | { readonly kind: 'diagnostic'; readonly family: 'RECOVERY:DIAGNOSTIC'; readonly profile: DiagnosticProfile };

export type RecoveryCodeParse = { readonly ok: true; readonly value: RecoveryCode } | { readonly ok: false; readonly reason: string };

/** Default cooldown of each family: a family is refused this long after its last accepted use. */
export const DEFAULT_TRIPCODE_COOLDOWNS_MS: Readonly<Record<TripcodeFamily, number>> = {
  'RECOVERY:LOCKDOWN': 60_000,
  'RECOVERY:REVERT_SNAPSHOT': 30_000,
  'RECOVERY:REIMAGE_TO_GOLDEN': 120_000,
  'RECOVERY:DIAGNOSTIC': 10_000,
};

/** How long a tripcode is valid after its issue time. */
export const DEFAULT_TRIPCODE_WINDOW_MS = 300_000;
/** How far in the future an issue time may lie (clocks of HQ replicas differ). */
export const DEFAULT_TRIPCODE_SKEW_MS = 30_000;

/** Snapshot ids and reimage targets. */
const ARGUMENT = /^[A-Za-z0-9._:-]{1,128}$/;
/** Issue times: a canonical decimal integer (no sign, no leading zeros). */
const TIMESTAMP = /^(0|[1-9][0-9]{0,15})$/;
/**
 * The base64url text of exactly 32 bytes, canonical: 43 characters without padding whose last
 * character carries no stray low bits (so no two texts decode to the same bytes).
 */
const SIGNATURE = /^[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]$/;
/** What a code may consist of at all; a text outside it is malformed, not merely unknown. */
const CODE_CHARS = /^[A-Za-z0-9._:-]{1,300}$/;

export const CODE_GRAMMAR =
  'RECOVERY:REVERT_SNAPSHOT::<snapshot id>, RECOVERY:REIMAGE_TO_GOLDEN[::<target>], RECOVERY:LOCKDOWN[::LIFT], RECOVERY:DIAGNOSTIC::basic|full ' +
  '(ids and targets: 1-128 of A-Z a-z 0-9 . _ : -)';

/** The family of a code: the code without its `::argument`. */
export function tripcodeFamily(code: string): string {
  const at = code.indexOf('::');
  return at < 0 ? code : code.slice(0, at);
}

export function isTripcodeFamily(text: string): text is TripcodeFamily {
  return (TRIPCODE_FAMILIES as readonly string[]).includes(text);
}

/** Parse a recovery code against the four grammars. */
export function parseRecoveryCode(code: string): RecoveryCodeParse {
  const family = tripcodeFamily(code);
  const hasArg = family.length < code.length;
  const arg = hasArg ? code.slice(family.length + 2) : null;
  const unknown = (why: string): RecoveryCodeParse => ({ ok: false, reason: `${why}; accepted: ${CODE_GRAMMAR}` });
  switch (family) {
    case 'RECOVERY:REVERT_SNAPSHOT':
      if (arg === null || !ARGUMENT.test(arg)) return unknown('RECOVERY:REVERT_SNAPSHOT needs ::<snapshot id>');
      return { ok: true, value: { kind: 'revert_snapshot', family, snapshotId: arg } };
    case 'RECOVERY:REIMAGE_TO_GOLDEN':
      if (arg !== null && !ARGUMENT.test(arg)) return unknown('RECOVERY:REIMAGE_TO_GOLDEN takes an optional ::<target>');
      return { ok: true, value: { kind: 'reimage_to_golden', family, target: arg } };
    case 'RECOVERY:LOCKDOWN':
      if (arg !== null && arg !== 'LIFT') return unknown('RECOVERY:LOCKDOWN takes no argument but ::LIFT');
      return { ok: true, value: { kind: 'lockdown', family, lift: arg === 'LIFT' } };
    case 'RECOVERY:DIAGNOSTIC':
      if (arg !== 'basic' && arg !== 'full') return unknown('RECOVERY:DIAGNOSTIC needs ::basic or ::full');
      return { ok: true, value: { kind: 'diagnostic', family, profile: arg } };
    default:
      return unknown(`unknown recovery code ${JSON.stringify(code.slice(0, 80))}`);
  }
}

/** The code text of a parsed recovery code (the inverse of `parseRecoveryCode`). */
export function formatRecoveryCode(code: RecoveryCode): string {
  switch (code.kind) {
    case 'revert_snapshot':
      return `${code.family}::${code.snapshotId}`;
    case 'reimage_to_golden':
      return code.target === null ? code.family : `${code.family}::${code.target}`;
    case 'lockdown':
      return code.lift ? `${code.family}::LIFT` : code.family;
    case 'diagnostic':
      return `${code.family}::${code.profile}`;
  }
}

export type TripcodePayloadParse =
  | { readonly ok: true; readonly ts: number; readonly code: string; readonly recovery: RecoveryCode; readonly sig: string }
  /**
   * `malformed`: not `ts|code|sig` at all; `wrong_code`: well-formed, but the code is none of the
   * recovery codes (`code` is then the text that was given).
   */
  | { readonly ok: false; readonly reason: 'malformed' | 'wrong_code'; readonly detail: string; readonly code: string | null };

const MAX_PAYLOAD_CHARS = 512;

/** Strictly parse `ts|code|sig`: exactly three parts, canonical ts, a known code, a 32-byte sig. */
export function parseTripcodePayload(text: string): TripcodePayloadParse {
  const malformed = (detail: string): TripcodePayloadParse => ({
    ok: false,
    reason: 'malformed',
    detail: `${detail}; expected <ts>|<code>|<sig>: issue time in integer ms, a recovery code, a base64url HMAC-SHA256 (43 characters)`,
    code: null,
  });
  if (text.length > MAX_PAYLOAD_CHARS) return malformed(`payload longer than ${MAX_PAYLOAD_CHARS} characters`);
  const parts = text.split('|');
  if (parts.length !== 3) return malformed(`payload has ${parts.length} |-separated parts, not 3`);
  const [tsText, code, sig] = parts as [string, string, string];
  if (!TIMESTAMP.test(tsText)) return malformed('issue time is not a canonical decimal integer');
  const ts = Number(tsText);
  if (!Number.isSafeInteger(ts)) return malformed('issue time is out of range');
  if (!CODE_CHARS.test(code)) return malformed('code is empty or has characters outside A-Z a-z 0-9 . _ : -');
  if (!SIGNATURE.test(sig)) return malformed('signature is not the canonical base64url text of 32 bytes');
  const recovery = parseRecoveryCode(code);
  if (!recovery.ok) return { ok: false, reason: 'wrong_code', detail: recovery.reason, code };
  return { ok: true, ts, code, recovery: recovery.value, sig };
}

/** The text the signature covers. */
export function tripcodeSigningInput(ts: number, code: string): string {
  return `${ts}|${code}`;
}

/** The payload for a code issued at `ts`, given the HMAC (base64url) of a text. */
export function formatTripcodePayload(ts: number, code: string, hmac: (text: string) => string): string {
  return `${tripcodeSigningInput(ts, code)}|${hmac(tripcodeSigningInput(ts, code))}`;
}

export type TripcodeWindowCheck = { readonly ok: true } | { readonly ok: false; readonly reason: 'expired' | 'from the future' };

/** Whether a code issued at `tsMs` may be used at `nowMs`. */
export function checkWindow(
  tsMs: number,
  nowMs: number,
  windowMs: number = DEFAULT_TRIPCODE_WINDOW_MS,
  skewMs: number = DEFAULT_TRIPCODE_SKEW_MS,
): TripcodeWindowCheck {
  if (nowMs - tsMs > windowMs) return { ok: false, reason: 'expired' };
  if (tsMs - nowMs > skewMs) return { ok: false, reason: 'from the future' };
  return { ok: true };
}
