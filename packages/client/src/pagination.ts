/** Cursor pagination as async iterators: every item of every page, fetched one page at a time. */

export interface Page<T> {
  readonly items: readonly T[];
  readonly nextCursor: string | null;
}

/**
 * Yields the items of `first(query)`, then of each page `nextCursor` points to, until a page has
 * no cursor. A cursor the server repeats ends the walk instead of looping forever. Pages are
 * fetched lazily: breaking out of `for await` stops the requests.
 */
export async function* paginate<T, Q extends { cursor?: string }>(fetchPage: (query: Q) => Promise<Page<T>>, query: Q): AsyncGenerator<T, void, undefined> {
  const seen = new Set<string>();
  let next: Q = query;
  for (;;) {
    const page = await fetchPage(next);
    yield* page.items;
    const cursor = page.nextCursor;
    if (!cursor || seen.has(cursor)) return;
    seen.add(cursor);
    next = { ...next, cursor };
  }
}
