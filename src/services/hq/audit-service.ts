import { AUDIT_EVENT_TYPES, auditEntryOf, type AuditEntry, type AuditEventType } from '../../core/audit.js';
import type { HqDeps } from './hq-deps.js';

export interface AuditQuery {
  /** Entries with seq below this (the previous page's `nextBefore`); absent = the newest. */
  readonly beforeSeq?: number | undefined;
  readonly limit: number;
  /** Only these types (all audited types when absent). */
  readonly types?: readonly AuditEventType[] | undefined;
  /** Only entries of this actor (exact match). */
  readonly actor?: string | undefined;
  /** Only entries about this task. */
  readonly taskId?: string | undefined;
}

export interface AuditPage {
  readonly items: readonly AuditEntry[];
  /** Pass as `beforeSeq` for the next (older) page; null when there is nothing older. */
  readonly nextBefore: number | null;
}

/** Events read per batch while filtering by actor, and at most this many per page request. */
const BATCH = 200;
const MAX_SCANNED = 5_000;

/**
 * The audit log, newest first. Reads only audited event types through the store's indexed
 * newest-first reads; an actor filter is applied while paging backwards and one request scans
 * at most MAX_SCANNED events (then returns what it found with a `nextBefore` to go on from).
 */
export class AuditService {
  constructor(private readonly deps: HqDeps) {}

  async list(q: AuditQuery): Promise<AuditPage> {
    const types = q.types !== undefined && q.types.length > 0 ? q.types : AUDIT_EVENT_TYPES;
    const items: AuditEntry[] = [];
    let before = q.beforeSeq;
    let scanned = 0;
    for (;;) {
      const want = q.actor === undefined ? q.limit + 1 - items.length : BATCH;
      const batch =
        q.taskId !== undefined
          ? await this.deps.store.readTaskEventsNewestFirst({ taskId: q.taskId, types, beforeSeq: before, limit: want })
          : await this.deps.store.readEventsNewestFirst({ types, beforeSeq: before, limit: want });
      for (const e of batch) {
        scanned += 1;
        const entry = auditEntryOf(e);
        if (entry === null || (q.actor !== undefined && entry.actor !== q.actor)) {
          before = e.seq;
          continue;
        }
        if (items.length === q.limit) return { items, nextBefore: items[items.length - 1]?.seq ?? null };
        items.push(entry);
        before = e.seq;
      }
      if (batch.length < want) return { items, nextBefore: null };
      if (scanned >= MAX_SCANNED) return { items, nextBefore: before ?? null };
    }
  }
}
