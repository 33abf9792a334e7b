import { buildAuditLinks, headMessage } from '../../core/audit-chain.js';
import { AUDIT_GENESIS_HASH, type AuditHead, type AuditSeal } from '../../core/audit-seal.js';
import { AUDIT_EVENT_TYPES } from '../../core/audit.js';
import type { Clock } from '../../core/clock.js';
import { isCorticalError } from '../../core/errors.js';
import type { Logger } from '../../core/ports/logger.js';
import type { Store } from '../../core/ports/store.js';
import type { Runnable, StopSignal } from '../../core/runnable.js';
import { sha256Hex, type AuditSigningKey } from './audit-signing-key.js';
import { errorMessage } from './notify.js';

export const DEFAULT_AUDIT_SEAL_INTERVAL_MS = 1_000;
export const DEFAULT_AUDIT_SEAL_BATCH = 500;

export interface AuditSealerDeps {
  readonly store: Pick<Store, 'auditHead' | 'appendAuditSeals' | 'readEvents'>;
  readonly clock: Clock;
  readonly logger: Logger;
  /** HQ's audit key (e.g. `auditSigningKeySource(store, clock)`). */
  readonly key: () => Promise<AuditSigningKey>;
  /** Pause between passes (default 1000). */
  readonly intervalMs?: number | undefined;
  /** Events sealed per batch: memory stays bounded by it (default 500). */
  readonly batchSize?: number | undefined;
}

/**
 * Seals audited events into the hash chain: reads the head, the audited events after it in
 * batches, and appends their links (signed) with the new head in one transaction that only
 * succeeds when the head is still the one read. Several HQ replicas may run one each: the one
 * that loses a race writes nothing and goes on from the new head next time. Links are only ever
 * appended, never updated or deleted.
 */
export class AuditSealer implements Runnable {
  private readonly intervalMs: number;
  private readonly batchSize: number;

  constructor(private readonly deps: AuditSealerDeps) {
    this.intervalMs = Math.max(1, deps.intervalMs ?? DEFAULT_AUDIT_SEAL_INTERVAL_MS);
    this.batchSize = Math.max(1, Math.min(5_000, Math.floor(deps.batchSize ?? DEFAULT_AUDIT_SEAL_BATCH)));
  }

  /** One pass: seals every audited event not sealed yet; resolves to the number of links this call appended. */
  async sealOnce(): Promise<number> {
    const key = await this.deps.key();
    const signer = { hash: sha256Hex, sign: (m: string) => key.sign(m) };
    let head = await this.deps.store.auditHead();
    let sealed = 0;
    for (;;) {
      const events = await this.deps.store.readEvents({ afterSeq: head?.eventSeq ?? 0, limit: this.batchSize, types: AUDIT_EVENT_TYPES });
      if (events.length === 0) return sealed;
      const links = buildAuditLinks(events, { prevHash: head?.hash ?? AUDIT_GENESIS_HASH, prevSeq: head?.seq ?? 0 }, signer);
      const last = links[links.length - 1]!;
      const next: AuditHead = {
        seq: last.seq,
        eventSeq: last.eventSeq,
        hash: last.hash,
        sig: key.sign(headMessage(last.seq, last.eventSeq, last.hash)),
        sealedAt: this.deps.clock.nowMs(),
      };
      if (!(await this.append(links, next, head?.seq ?? 0))) return sealed; // another sealer moved the head first: go on from it next pass
      sealed += links.length;
      head = next;
      if (events.length < this.batchSize) return sealed;
    }
  }

  /**
   * false when another sealer got there first: the store says so, or its transaction failed on
   * the links that sealer wrote (a duplicate link, a busy or aborted transaction). Nothing of
   * this call was written then.
   */
  private async append(seals: AuditSeal[], head: AuditHead, expectedHeadSeq: number): Promise<boolean> {
    try {
      return await this.deps.store.appendAuditSeals({ seals, head, expectedHeadSeq });
    } catch (e) {
      if (isCorticalError(e) && (e.code === 'CONFLICT' || e.retryable)) {
        this.deps.logger.debug({ err: e.message, expectedHeadSeq }, 'audit sealing lost a race; retrying from the new head');
        return false;
      }
      throw e;
    }
  }

  async start(signal: StopSignal): Promise<void> {
    const log = this.deps.logger.child({ loop: 'audit-sealer' });
    while (!signal.aborted) {
      try {
        const n = await this.sealOnce();
        if (n > 0) log.debug({ sealed: n }, 'sealed audit entries');
      } catch (err) {
        log.error({ err: errorMessage(err) }, 'audit sealing pass failed');
      }
      await sleep(this.intervalMs, signal);
    }
  }
}

function sleep(ms: number, signal: StopSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
