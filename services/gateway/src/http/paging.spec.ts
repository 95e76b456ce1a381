// Issue 16: the optional page of the lists that answered an array before: asked for by Page or PageSize
// (in any accepted spelling), never otherwise; the page object of SPEC §1; pageWindow's bounds.
import { pageWindow } from '@pp/platform';
import { describe, expect, it } from 'vitest';
import { listTasks } from './api';
import { listOrPage, pageInfo, requestedPage } from './paging';

const read = (query: Record<string, string>) => {
  const reader = listTasks.readQuery(query);
  const asked = requestedPage(reader);
  reader.check();
  return asked;
};

describe('optional pages', () => {
  it('is no page without Page and PageSize, and a page with either, in any spelling', () => {
    expect(read({})).toBeUndefined();
    expect(read({ status: 'Open' })).toBeUndefined();
    expect(read({ Page: '2' })).toEqual({ page: 2, pageSize: 10 });
    expect(read({ pageSize: '5' })).toEqual({ page: 1, pageSize: 5 });
    expect(read({ page: '3', PageSize: '100' })).toEqual({ page: 3, pageSize: 100 });
    expect(() => read({ PageSize: '101' })).toThrow();
  });

  it('answers the array as it is without a page, and the SPEC §1 page object with one', () => {
    expect(listOrPage('tasks', [1, 2], undefined, 2)).toEqual([1, 2]);
    expect(listOrPage('tasks', [1, 2], { page: 2, pageSize: 2 }, 5)).toEqual({
      page: { totalResults: 5, pageSize: 2, currentPage: 2, responseCount: 2, totalPages: 3 },
      tasks: [1, 2],
    });
    expect(pageInfo({ page: 1, pageSize: 10 }, 0, 0)).toEqual({ totalResults: 0, pageSize: 10, currentPage: 1, responseCount: 0, totalPages: 0 });
  });

  it("turns a gRPC request's page into LIMIT/OFFSET: none for page_size 0, the size bounded", () => {
    expect(pageWindow(0, 0)).toBeUndefined();
    expect(pageWindow(3, 10)).toEqual({ offset: 20, limit: 10 });
    expect(pageWindow(2, 500)).toEqual({ offset: 100, limit: 100 });
    expect(pageWindow(0, 10)).toEqual({ offset: 0, limit: 10 });
  });
});
