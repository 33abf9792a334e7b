import {
  eventFactsJson,
  headMessage,
  parseEntry,
  positionAfter,
  verifyChainLink,
  type ChainPosition,
  type ChainProblemKind,
} from '../../core/audit-chain.js';
import { AUDIT_GENESIS_HASH, type AuditHead, type AuditSeal } from '../../core/audit-seal.js';
import { AUDIT_EVENT_TYPES } from '../../core/audit.js';
import type { EventType, StoredEvent } from '../../core/events.js';
import type { Store } from '../../core/ports/store.js';
import { sha256Hex, type AuditPublicKey } from './audit-signing-key.js';

export type AuditProblemKind =
  | ChainProblemKind
  /** The event row a link sealed now says something else. */
  | 'event_changed'
  /** The event row a link sealed is gone. */
  | 'event_missing'
  /** Links exist but no signed head. */
  | 'head_missing'
  /** The signed head does not name the last link (a removed last link, a truncated chain). */
  | 'head_mismatch'
  | 'head_bad_signature';

export interface AuditProblem {
  readonly seq: number;
  readonly kind: AuditProblemKind;
  readonly detail: string;
}

export interface AuditVerifyReport {
  readonly ok: boolean;
  /** Links read. */
  readonly links: number;
  /** The signed head's seq (0 when nothing is sealed yet). */
  readonly headSeq: number;
  /** The first MAX_REPORTED_PROBLEMS problems, in chain order (head problems last). */
  readonly problems: readonly AuditProblem[];
  /** All problems found, including those left out of `problems`. */
  readonly problemCount: number;
  /** Links whose entry was compared with the event row in the event log. */
  readonly checkedEvents: number;
  /** Audited events after the head that are not sealed yet (normal for the last second or so; not a failure). */
  readonly unsealed: number;
}

export interface AuditVerifyProgress {
  readonly links: number;
  readonly headSeq: number;
}

/** What checks signatures: HQ's key (`AuditSigningKey`), or only its public key (`AuditPublicKey`). */
export interface AuditSignatureChecker {
  verify(message: string, sig: string): boolean;
  readonly publicKey: AuditPublicKey;
}

export interface AuditVerifierDeps {
  readonly store: Pick<Store, 'auditHead' | 'readAuditSeals' | 'readEvents'>;
  readonly key: () => Promise<AuditSignatureChecker>;
  /** Links (and events) read per page; memory stays bounded by it (default 500). */
  readonly pageSize?: number | undefined;
}

export const MAX_REPORTED_PROBLEMS = 100;

/**
 * Walks the whole audit chain in pages and reports every place it was edited, cut or reordered:
 * link numbering, the links' hashes and signatures, rising event seqs, the signed head against
 * the last link, and each link's entry against the event row it sealed.
 */
export class AuditVerifier {
  private readonly pageSize: number;

  constructor(private readonly deps: AuditVerifierDeps) {
    this.pageSize = Math.max(1, Math.min(5_000, Math.floor(deps.pageSize ?? 500)));
  }

  /** The public key links are checked with (to hand to an outside verifier). */
  async publicKey(): Promise<AuditPublicKey> {
    return (await this.deps.key()).publicKey;
  }

  async verify(opts: { onProgress?: ((p: AuditVerifyProgress) => void) | undefined } = {}): Promise<AuditVerifyReport> {
    const key = await this.deps.key();
    const crypto = { hash: sha256Hex, verifySig: (m: string, s: string) => key.verify(m, s) };
    const head = await this.deps.store.auditHead();
    const problems: AuditProblem[] = [];
    let problemCount = 0;
    const report = (p: AuditProblem): void => {
      problemCount += 1;
      if (problems.length < MAX_REPORTED_PROBLEMS) problems.push(p);
    };

    let at: ChainPosition = { prevHash: AUDIT_GENESIS_HASH, prevSeq: 0, prevEventSeq: 0 };
    let links = 0;
    let checkedEvents = 0;
    let last: AuditSeal | null = null;
    for (;;) {
      const page = await this.deps.store.readAuditSeals({ afterSeq: last?.seq ?? 0, limit: this.pageSize });
      const sound: AuditSeal[] = [];
      for (const link of page) {
        const problem = verifyChainLink(link, at, crypto);
        if (problem === null) sound.push(link);
        else report(problem);
        at = positionAfter(link, at);
        last = link;
      }
      links += page.length;
      for (const p of await this.crossCheck(sound)) report(p);
      checkedEvents += sound.length;
      opts.onProgress?.({ links, headSeq: head?.seq ?? 0 });
      if (page.length < this.pageSize) break;
    }

    for (const p of headProblems(head, last, crypto.verifySig)) report(p);
    const unsealed = await this.countUnsealed(head?.eventSeq ?? 0);
    return { ok: problemCount === 0, links, headSeq: head?.seq ?? 0, problems, problemCount, checkedEvents, unsealed };
  }

  /** Each link's entry against the event row it sealed (read in one ordered sweep over the page's range). */
  private async crossCheck(links: readonly AuditSeal[]): Promise<AuditProblem[]> {
    if (links.length === 0) return [];
    const wanted = new Map<number, AuditSeal>();
    const types = new Set<string>(AUDIT_EVENT_TYPES);
    for (const l of links) {
      wanted.set(l.eventSeq, l);
      const parsed = parseEntry(l.entry);
      if (parsed.ok) types.add(parsed.type);
    }
    const seqs = [...wanted.keys()].sort((a, b) => a - b);
    const maxSeq = seqs[seqs.length - 1]!;
    const found = new Map<number, StoredEvent>();
    let after = seqs[0]! - 1;
    while (after < maxSeq) {
      const batch = await this.deps.store.readEvents({ afterSeq: after, limit: this.pageSize, types: [...types] as EventType[] });
      for (const e of batch) if (wanted.has(e.seq) && e.seq <= maxSeq) found.set(e.seq, e);
      if (batch.length < this.pageSize) break;
      after = batch[batch.length - 1]!.seq;
    }
    const problems: AuditProblem[] = [];
    for (const l of links) {
      const e = found.get(l.eventSeq);
      if (e === undefined) {
        problems.push({ seq: l.seq, kind: 'event_missing', detail: `event #${l.eventSeq} sealed by link #${l.seq} is no longer in the event log` });
        continue;
      }
      const parsed = parseEntry(l.entry);
      if (parsed.ok && eventFactsJson(e) !== eventFactsJson(parsed)) {
        problems.push({ seq: l.seq, kind: 'event_changed', detail: `event #${l.eventSeq} differs from what link #${l.seq} sealed` });
      }
    }
    return problems;
  }

  private async countUnsealed(afterEventSeq: number): Promise<number> {
    let n = 0;
    let after = afterEventSeq;
    for (;;) {
      const batch = await this.deps.store.readEvents({ afterSeq: after, limit: this.pageSize, types: AUDIT_EVENT_TYPES });
      n += batch.length;
      if (batch.length < this.pageSize) return n;
      after = batch[batch.length - 1]!.seq;
    }
  }
}

function headProblems(head: AuditHead | null, last: AuditSeal | null, verifySig: (m: string, s: string) => boolean): AuditProblem[] {
  if (head === null) {
    return last === null ? [] : [{ seq: last.seq, kind: 'head_missing', detail: `${last.seq} links but no signed head` }];
  }
  const problems: AuditProblem[] = [];
  if (!verifySig(headMessage(head.seq, head.eventSeq, head.hash), head.sig)) {
    problems.push({ seq: head.seq, kind: 'head_bad_signature', detail: `the head (#${head.seq}) is not signed by HQ's audit key` });
  }
  if (last === null) {
    problems.push({ seq: head.seq, kind: 'head_mismatch', detail: `the signed head names link #${head.seq} but there are no links` });
  } else if (last.seq !== head.seq || last.eventSeq !== head.eventSeq || last.hash !== head.hash) {
    const what = last.seq < head.seq ? `the chain ends at link #${last.seq}: links after it were removed` : `the last link is #${last.seq} (event #${last.eventSeq})`;
    problems.push({ seq: head.seq, kind: 'head_mismatch', detail: `the signed head names link #${head.seq} (event #${head.eventSeq}); ${what}` });
  }
  return problems;
}
