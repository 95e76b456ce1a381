import type { Knex } from 'knex';

/**
 * The page a gRPC list request asks for. Its `page_size` 0 (the field unset) means no page at all: every
 * row, the answer the REST list gives when neither Page nor PageSize is sent (it stays the same for
 * callers that never paginate). A size over `maxPageSize` is cut to it, a page below 1 is page 1.
 */
export interface PageWindow {
  readonly offset: number;
  readonly limit: number;
}

export function pageWindow(page: number, pageSize: number, maxPageSize = 100): PageWindow | undefined {
  if (!pageSize || pageSize <= 0) return undefined;
  const limit = Math.min(pageSize, maxPageSize);
  return { offset: (Math.max(page, 1) - 1) * limit, limit };
}

/**
 * One page of an ordered query and how many rows match, both counted in the database: `ordered` must
 * end its ORDER BY with a unique column, so that a row never shows on two pages or on none. Without a
 * window, every row (and their number).
 */
export async function readPage<R>(ordered: Knex.QueryBuilder, window: PageWindow | undefined): Promise<{ rows: R[]; total: number }> {
  if (!window) {
    const rows = (await ordered) as R[];
    return { rows, total: rows.length };
  }
  const [rows, counted] = await Promise.all([
    ordered.clone().offset(window.offset).limit(window.limit) as unknown as Promise<R[]>,
    ordered.clone().clearSelect().clearOrder().count({ n: '*' }) as unknown as Promise<{ n: string | number }[]>,
  ]);
  return { rows, total: Number(counted[0]?.n ?? 0) };
}
