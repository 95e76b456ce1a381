// The operator reads the invoices of earlier runs: a page of them, newest first, or one with its payouts.
// Invoices never change after their run (their payouts are frozen), so these reads need no lock.
import { DomainError, isCurrency } from '@pp/domain';
import * as q from '../infra/invoices.queries';
import type { LedgerContext } from './context';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** The gateway's bounds (PageSize 1–100): a caller asking for more is cut, never given the whole table. */
const MAX_PAGE_SIZE = 100;

export interface InvoiceListQuery {
  partnerId?: string;
  currency?: string;
  page: number;
  pageSize: number;
}

export async function listInvoices(ctx: LedgerContext, query: InvoiceListQuery): Promise<{ invoices: q.InvoiceRow[]; totalResults: number }> {
  if (query.partnerId !== undefined && !UUID.test(query.partnerId)) throw new DomainError('ValidationError', 'must be a UUID', 'partnerId');
  if (query.currency !== undefined && !isCurrency(query.currency)) throw new DomainError('ValidationError', 'must be an ISO 4217 currency code', 'currency');
  if (!Number.isInteger(query.page) || query.page < 1) throw new DomainError('ValidationError', 'must be an integer from 1', 'page');
  if (!Number.isInteger(query.pageSize) || query.pageSize < 1) throw new DomainError('ValidationError', 'must be an integer from 1', 'pageSize');
  const limit = Math.min(query.pageSize, MAX_PAGE_SIZE);
  const { rows, total } = await q.listInvoices(
    ctx.db,
    { partnerId: query.partnerId?.toLowerCase(), currency: query.currency },
    { offset: (query.page - 1) * limit, limit },
  );
  return { invoices: rows, totalResults: total };
}

/** One invoice with its payouts; an id that is no UUID names none (InvoiceNotFound, as an unknown one). */
export async function getInvoice(ctx: LedgerContext, id: string): Promise<{ invoice: q.InvoiceRow; payouts: q.InvoicePayoutRow[] }> {
  if (!UUID.test(id)) throw new DomainError('InvoiceNotFound', 'Invoice not found');
  const invoice = await q.findInvoice(ctx.db, id.toLowerCase());
  if (!invoice) throw new DomainError('InvoiceNotFound', 'Invoice not found');
  return { invoice, payouts: await q.invoicePayouts(ctx.db, invoice.id) };
}
