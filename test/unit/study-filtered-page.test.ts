import type { PageArgs } from '../../src/connectors/provenance/provenance-store';
import type { Page } from '../../src/connectors/provenance/rows';
import { filteredPage } from '../../src/auth/study-scoped-store';

/** Keyset pages over 1..n in id order, as the store's list queries page (cursor = last id). */
const pages =
  (n: number, calls: PageArgs[] = []) =>
  async (p: PageArgs): Promise<Page<number>> => {
    calls.push(p);
    const from = p.after ? Number(p.after) : 0;
    const items = Array.from({ length: Math.max(0, Math.min(p.first, n - from)) }, (_, i) => from + i + 1);
    const last = items[items.length - 1];
    return { items, endCursor: last === undefined ? null : String(last), hasNextPage: (last ?? n) < n };
  };

const keepEven = async (xs: number[]) => xs.filter((x) => x % 2 === 0);

describe('filteredPage (lists of a study-limited token)', () => {
  it('pages through every kept item exactly once, whatever the page size', async () => {
    for (const first of [1, 2, 3, 7, 50]) {
      const seen: number[] = [];
      let after: string | null = null;
      for (let guard = 0; guard < 100; guard++) {
        const p: Page<number> = await filteredPage(pages(23), keepEven, { first, after });
        seen.push(...p.items);
        expect(p.items.length).toBeLessThanOrEqual(first);
        if (!p.hasNextPage) break;
        after = p.endCursor;
      }
      expect({ first, seen }).toEqual({ first, seen: [2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22] });
    }
  });

  it('asks only for what is still missing, and answers a short page after its rounds', async () => {
    const calls: PageArgs[] = [];
    const p = await filteredPage(pages(10, calls), keepEven, { first: 4, after: null });
    expect(p.items).toEqual([2, 4, 6, 8]);
    expect(calls.map((c) => c.first)).toEqual([4, 2, 1, 1]);
    const none = await filteredPage(pages(10_000), async () => [], { first: 5, after: null });
    expect(none.items).toEqual([]);
    expect(none.hasNextPage).toBe(true); // stopped after its rounds; the client goes on from the cursor
    expect(Number(none.endCursor)).toBeGreaterThan(0);
  });
});
