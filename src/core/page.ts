/** Every list is paginated: an opaque cursor and a bounded limit. */
export interface PageRequest {
  /** Opaque cursor from a previous page's `nextCursor`; absent for the first page. */
  readonly cursor?: string | undefined;
  /** 1..MAX_PAGE_LIMIT; defaults to DEFAULT_PAGE_LIMIT. */
  readonly limit?: number | undefined;
}

export interface Page<T> {
  readonly items: readonly T[];
  /** Present when more items may follow. */
  readonly nextCursor: string | null;
}

export const DEFAULT_PAGE_LIMIT = 50;
export const MAX_PAGE_LIMIT = 500;

export function clampLimit(limit: number | undefined): number {
  if (limit === undefined || !Number.isFinite(limit)) return DEFAULT_PAGE_LIMIT;
  return Math.max(1, Math.min(MAX_PAGE_LIMIT, Math.floor(limit)));
}
