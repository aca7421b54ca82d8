import { useEffect, useState } from 'react';

export interface PagerState {
  after: string | null;
  page: number;
  next(cursor: string): void;
  prev(): void;
}

/** Cursor paging: the cursors of the pages seen so far, reset when the filter (`key`) changes. */
export function usePager(key: string): PagerState {
  const [stack, setStack] = useState<string[]>([]);
  useEffect(() => setStack([]), [key]);
  return {
    after: stack.length ? stack[stack.length - 1] : null,
    page: stack.length + 1,
    next: (cursor) => setStack((s) => [...s, cursor]),
    prev: () => setStack((s) => s.slice(0, -1)),
  };
}

export function Pager({ pager, pageInfo }: { pager: PagerState; pageInfo?: { endCursor: string | null; hasNextPage: boolean } }) {
  return (
    <div className="pager">
      <button type="button" disabled={pager.page === 1} onClick={pager.prev}>
        ← Previous
      </button>
      <span>page {pager.page}</span>
      <button
        type="button"
        disabled={!pageInfo?.hasNextPage || !pageInfo.endCursor}
        onClick={() => pageInfo?.endCursor && pager.next(pageInfo.endCursor)}
      >
        Next →
      </button>
    </div>
  );
}
