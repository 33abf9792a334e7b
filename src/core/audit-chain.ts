/**
 * The audit hash chain, pure: canonical entries, links and their checks. Hashing and signing are
 * injected (the core has no crypto); `services/hq/audit-sealer.ts` builds links with SHA-256 and
 * HQ's Ed25519 key, `services/hq/audit-verifier.ts` checks them.
 *
 * A link: `entry` = canonical JSON (keys sorted recursively) of
 * `{ eventSeq, at, type, actor, taskId, nodeId, data }` of one audited event;
 * `hash = hash(prevHash + "\n" + entry)`; `sig` = signature over `hash`. The head signs
 * `head|<seq>|<eventSeq>|<hash>` of the last link.
 */
import { auditEntryOf } from './audit.js';
import type { AuditSeal } from './audit-seal.js';
import type { StoredEvent } from './events.js';

export type ChainProblemKind = 'gap' | 'reordered' | 'link_broken' | 'hash_mismatch' | 'bad_signature' | 'entry_unparseable';

export interface ChainProblem {
  /** The link's seq (as stored). */
  readonly seq: number;
  readonly kind: ChainProblemKind;
  readonly detail: string;
}

/** Where a segment continues from: the link before it (genesis: hash AUDIT_GENESIS_HASH, seq 0). */
export interface ChainPosition {
  readonly prevHash: string;
  readonly prevSeq: number;
  /** The event seq of the link before (0 at genesis); event seqs must rise strictly. */
  readonly prevEventSeq?: number | undefined;
}

export interface ChainCrypto {
  /** Hex digest (SHA-256) of a UTF-8 string. */
  readonly hash: (s: string) => string;
  /** Whether `sig` is HQ's signature over `message`. */
  readonly verifySig: (message: string, sig: string) => boolean;
}

export interface ChainSigner {
  readonly hash: (s: string) => string;
  readonly sign: (message: string) => string;
}

/** JSON with object keys sorted at every depth (no whitespace); `undefined` members are left out as JSON does. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    const s = JSON.stringify(value) as string | undefined;
    return s ?? 'null';
  }
  if (Array.isArray(value)) return `[${value.map((v: unknown) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`;
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj)
    .filter((k) => obj[k] !== undefined)
    .sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`).join(',')}}`;
}

function actorOf(e: StoredEvent): string | null {
  const viaAudit = auditEntryOf(e)?.actor;
  if (viaAudit !== undefined) return viaAudit;
  const a = e.data.actor;
  return typeof a === 'string' && a !== '' ? a : null;
}

/** The canonical entry of a stored event, as chained. */
export function auditEntryJson(e: StoredEvent): string {
  return canonicalJson({ eventSeq: e.seq, at: e.at, type: e.type, actor: actorOf(e), taskId: e.taskId, nodeId: e.nodeId, data: e.data });
}

/**
 * The part of an entry that comes straight from the event row (`actor` is derived from it), as
 * canonical JSON: what a link and the event log's row must agree on.
 */
export function eventFactsJson(v: { at: unknown; type: unknown; taskId: unknown; nodeId: unknown; data: unknown }): string {
  return canonicalJson({ at: v.at, type: v.type, taskId: v.taskId, nodeId: v.nodeId, data: v.data });
}

export function linkHashInput(prevHash: string, entry: string): string {
  return `${prevHash}\n${entry}`;
}

/** What the head's signature covers. */
export function headMessage(seq: number, eventSeq: number, hash: string): string {
  return `head|${seq}|${eventSeq}|${hash}`;
}

/** Links for `events` (in event-log order), continuing the chain after `from`. */
export function buildAuditLinks(events: readonly StoredEvent[], from: ChainPosition, signer: ChainSigner): AuditSeal[] {
  const links: AuditSeal[] = [];
  let prevHash = from.prevHash;
  let seq = from.prevSeq;
  for (const e of events) {
    seq += 1;
    const entry = auditEntryJson(e);
    const hash = signer.hash(linkHashInput(prevHash, entry));
    links.push({ seq, eventSeq: e.seq, at: e.at, entry, prevHash, hash, sig: signer.sign(hash) });
    prevHash = hash;
  }
  return links;
}

/** The parsed fields of an entry, or a reason it is not one. */
export type ParsedEntry =
  | { readonly ok: true; readonly eventSeq: number; readonly at: number; readonly type: string; readonly taskId: unknown; readonly nodeId: unknown; readonly data: unknown }
  | { readonly ok: false; readonly why: string };

export function parseEntry(entry: string): ParsedEntry {
  let v: unknown;
  try {
    v = JSON.parse(entry);
  } catch {
    return { ok: false, why: 'not JSON' };
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return { ok: false, why: 'not a JSON object' };
  const o = v as Record<string, unknown>;
  if (typeof o.eventSeq !== 'number' || !Number.isSafeInteger(o.eventSeq)) return { ok: false, why: 'eventSeq is not an integer' };
  if (typeof o.at !== 'number') return { ok: false, why: 'at is not a number' };
  if (typeof o.type !== 'string') return { ok: false, why: 'type is not a string' };
  if (typeof o.data !== 'object' || o.data === null) return { ok: false, why: 'data is not an object' };
  if (canonicalJson(o) !== entry) return { ok: false, why: 'not in canonical form' };
  return { ok: true, eventSeq: o.eventSeq, at: o.at, type: o.type, taskId: o.taskId, nodeId: o.nodeId, data: o.data };
}

/** The first problem of one link after `at`; null when it follows on correctly. */
export function verifyChainLink(link: AuditSeal, at: ChainPosition, crypto: ChainCrypto): ChainProblem | null {
  const p = (kind: ChainProblemKind, detail: string): ChainProblem => ({ seq: link.seq, kind, detail });
  const want = at.prevSeq + 1;
  if (link.seq > want) return p('gap', `link #${link.seq} follows #${at.prevSeq}: links #${want}..#${link.seq - 1} are missing`);
  if (link.seq < want) return p('reordered', `link #${link.seq} comes after #${at.prevSeq}`);
  const parsed = parseEntry(link.entry);
  if (!parsed.ok) return p('entry_unparseable', `entry of link #${link.seq}: ${parsed.why}`);
  if (parsed.eventSeq !== link.eventSeq || parsed.at !== link.at) {
    return p('link_broken', `link #${link.seq} says event #${link.eventSeq} at ${link.at}, its entry event #${parsed.eventSeq} at ${parsed.at}`);
  }
  const prevEventSeq = at.prevEventSeq ?? 0;
  if (parsed.eventSeq <= prevEventSeq) {
    return p('reordered', `link #${link.seq} seals event #${parsed.eventSeq}, not after event #${prevEventSeq} of the link before`);
  }
  if (link.prevHash !== at.prevHash) return p('link_broken', `link #${link.seq} does not point at the hash of link #${at.prevSeq}`);
  const hash = crypto.hash(linkHashInput(link.prevHash, link.entry));
  if (hash !== link.hash) return p('hash_mismatch', `link #${link.seq}: stored hash differs from the hash of its entry`);
  if (!crypto.verifySig(link.hash, link.sig)) return p('bad_signature', `link #${link.seq}: signature does not verify with HQ's audit key`);
  return null;
}

/** The position after `link` (used to go on past it, even past a problem). */
export function positionAfter(link: AuditSeal, before: ChainPosition): ChainPosition {
  const parsed = parseEntry(link.entry);
  const eventSeq = parsed.ok ? parsed.eventSeq : link.eventSeq;
  return { prevHash: link.hash, prevSeq: link.seq, prevEventSeq: Math.max(eventSeq, before.prevEventSeq ?? 0) };
}

/** The first problem in `links` (in stored order) continuing from `from`; null when all follow on. */
export function verifyChainSegment(links: readonly AuditSeal[], opts: ChainPosition & ChainCrypto): ChainProblem | null {
  let at: ChainPosition = opts;
  for (const link of links) {
    const problem = verifyChainLink(link, at, opts);
    if (problem !== null) return problem;
    at = positionAfter(link, at);
  }
  return null;
}
