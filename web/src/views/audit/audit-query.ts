/**
 * The audit log's query and its "Older" / "Newer" paging. The API pages newest first with
 * `before=<seq>`; "Newer" goes back to the `before` of the previous page (kept in a stack).
 */

export const AUDIT_PAGE_SIZE = 50;

export interface AuditFilters {
  /** Comma-separated types, e.g. `task.created,killswitch.changed`. */
  type: string;
  actor: string;
}

export function auditPath(filters: AuditFilters, before: number | undefined, limit: number = AUDIT_PAGE_SIZE): string {
  const q = new URLSearchParams();
  if (before !== undefined) q.set('before', String(before));
  q.set('limit', String(limit));
  const types = filters.type
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (types.length > 0) q.set('type', types.join(','));
  if (filters.actor.trim() !== '') q.set('actor', filters.actor.trim());
  return `/api/v1/audit?${q.toString()}`;
}

export interface AuditPager {
  /** `before` of each page visited; the newest page has none. */
  stack: (number | undefined)[];
}

export const NEWEST: AuditPager = { stack: [undefined] };

export function currentBefore(p: AuditPager): number | undefined {
  return p.stack[p.stack.length - 1];
}

/** Older entries: follow the page's `nextBefore` (null: there are none). */
export function older(p: AuditPager, nextBefore: number | null): AuditPager {
  return nextBefore === null ? p : { stack: [...p.stack, nextBefore] };
}

export function newer(p: AuditPager): AuditPager {
  return p.stack.length <= 1 ? p : { stack: p.stack.slice(0, -1) };
}

export function hasNewer(p: AuditPager): boolean {
  return p.stack.length > 1;
}
