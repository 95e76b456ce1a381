// The refusals of the invoice reads, decided before any query: a caller that skipped the gateway's
// checks gets the contract's errors, never a database error about a malformed uuid (a 500).
import { DomainError } from '@pp/domain';
import { describe, expect, it } from 'vitest';
import type { LedgerContext } from './context';
import { getInvoice, listInvoices } from './read-invoices';

// No query may run for these: a database that refuses every use proves it.
const untouchable = new Proxy({}, { get: () => () => Promise.reject(new Error('the database was used')) });
const ctx = { db: untouchable } as unknown as LedgerContext;

const refusal = async (p: Promise<unknown>) => {
  const error = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DomainError);
  return { type: (error as DomainError).type, field: (error as DomainError).field };
};

describe('the invoice reads', () => {
  it('refuse a bad filter or page with a ValidationError naming it', async () => {
    const page = { page: 1, pageSize: 10 };
    expect(await refusal(listInvoices(ctx, { ...page, partnerId: 'nope' }))).toEqual({ type: 'ValidationError', field: 'partnerId' });
    expect(await refusal(listInvoices(ctx, { ...page, currency: 'eur' }))).toEqual({ type: 'ValidationError', field: 'currency' });
    expect(await refusal(listInvoices(ctx, { ...page, page: 0 }))).toEqual({ type: 'ValidationError', field: 'page' });
    expect(await refusal(listInvoices(ctx, { ...page, pageSize: 0 }))).toEqual({ type: 'ValidationError', field: 'pageSize' });
    expect(await refusal(listInvoices(ctx, { ...page, pageSize: 1.5 }))).toEqual({ type: 'ValidationError', field: 'pageSize' });
  });

  it('answer InvoiceNotFound for an id that is no UUID, as for an unknown one', async () => {
    for (const id of ['', 'not-a-uuid', '00000000-0000-4000-8000-00000000000', "'; drop table invoices; --"])
      expect(await refusal(getInvoice(ctx, id))).toEqual({ type: 'InvoiceNotFound', field: undefined });
  });
});
