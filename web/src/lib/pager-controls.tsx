/** Previous / Page N / Next under a cursor-paginated list (see cursor-pager.ts). */
import type { ReactElement } from 'react';
import type { useCursorPager } from './cursor-pager.js';

export function PagerControls(props: { pager: ReturnType<typeof useCursorPager>; nextCursor: string | null }): ReactElement {
  const { pager, nextCursor } = props;
  return (
    <div className="pager">
      <button type="button" className="secondary" disabled={!pager.hasPrevious} onClick={pager.previous}>
        Previous
      </button>
      <span>Page {pager.page}</span>
      <button type="button" className="secondary" disabled={nextCursor === null} onClick={() => pager.next(nextCursor)}>
        Next
      </button>
    </div>
  );
}
