// Optional pagination (issue 16) of the lists that answered a whole array before SPEC §1's page object
// reached them: GET /cases/{id}/payments (and its managed twin), /cases/{id}/audit, /tasks, /webhooks/events.
// A request with neither Page nor PageSize gets the array it always got; with either, one page of it. The
// services page in their database (LIMIT/OFFSET in an index order with a unique tie-breaker) and count.

/** What a list's reader knows: whether a parameter was sent (in any spelling it accepts) and its value. */
interface PageReader {
  has(name: 'Page' | 'PageSize'): boolean;
  get(name: 'Page' | 'PageSize'): number;
}

/** The page asked for, or undefined for the whole array. `pageSize` 0 asks a service for every row. */
export function requestedPage(query: PageReader): { page: number; pageSize: number } | undefined {
  if (!query.has('Page') && !query.has('PageSize')) return undefined;
  return { page: query.get('Page'), pageSize: query.get('PageSize') };
}

/** The page object of SPEC §1. */
export function pageInfo(asked: { page: number; pageSize: number }, totalResults: number, responseCount: number) {
  return { totalResults, pageSize: asked.pageSize, currentPage: asked.page, responseCount, totalPages: Math.ceil(totalResults / asked.pageSize) };
}

/** The answer: the array as before, or `{page, [key]: items}`. */
export function listOrPage<T>(
  key: string,
  items: T[],
  asked: { page: number; pageSize: number } | undefined,
  totalResults: number,
): T[] | Record<string, unknown> {
  return asked ? { page: pageInfo(asked, totalResults, items.length), [key]: items } : items;
}
