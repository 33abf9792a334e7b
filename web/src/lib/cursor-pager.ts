/**
 * Previous/Next over a cursor-paginated list: the cursors of the pages seen so far are kept in a
 * stack, so Previous goes back without the API having to page backwards.
 */
import { useCallback, useState } from 'react';

export interface PagerState {
  /** Cursors of the pages visited; the first page has none. */
  stack: (string | undefined)[];
}

export const firstPage: PagerState = { stack: [undefined] };

export function currentCursor(s: PagerState): string | undefined {
  return s.stack[s.stack.length - 1];
}

export function nextPage(s: PagerState, nextCursor: string | null): PagerState {
  return nextCursor === null ? s : { stack: [...s.stack, nextCursor] };
}

export function previousPage(s: PagerState): PagerState {
  return s.stack.length <= 1 ? s : { stack: s.stack.slice(0, -1) };
}

export function pageNumber(s: PagerState): number {
  return s.stack.length;
}

export function useCursorPager(): {
  cursor: string | undefined;
  page: number;
  hasPrevious: boolean;
  next: (nextCursor: string | null) => void;
  previous: () => void;
  reset: () => void;
} {
  const [state, setState] = useState<PagerState>(firstPage);
  const next = useCallback((c: string | null) => setState((s) => nextPage(s, c)), []);
  const previous = useCallback(() => setState(previousPage), []);
  const reset = useCallback(() => setState(firstPage), []);
  return { cursor: currentCursor(state), page: pageNumber(state), hasPrevious: state.stack.length > 1, next, previous, reset };
}
