// All SQL of invoices: the invoicing run's writes and the operator's reads. Plain functions taking
// (db | trx) first, returning typed rows; amounts are bigint columns read as text.
import type { Queryable } from '@pp/platform';
import { SCHEMA } from '../migrations';

export interface InvoiceRow {
  id: string;
  partner_id: string;
  currency: string;
  total_platform_fee: string;
  payout_count: number;
  created_at: Date;
}

/** A payout on an invoice with the payment it splits and the case's reference. */
export interface InvoicePayoutRow {
  payment_id: string;
  case_id: string;
  case_reference: string;
  date: string;
  currency: string;
  payment_amount: string;
  payout_creditor: string;
  payout_collection_partner: string;
  platform_fee: string;
}

export interface InvoiceFilter {
  partnerId?: string;
  currency?: string;
}

const t = (db: Queryable, table: string) => db.withSchema(SCHEMA).table(table);

export async function uninvoicedPayouts(db: Queryable, partnerId: string | undefined) {
  const q = t(db, 'payouts')
    .whereNull('invoice_id')
    .forUpdate()
    .select<{ payment_id: string; partner_id: string; currency: string; platform_fee: string }[]>('payment_id', 'partner_id', 'currency', 'platform_fee');
  if (partnerId) q.where('partner_id', partnerId);
  return q.orderBy('payment_id');
}

/** Writes the invoice and puts its payouts on it; answers when it was made (the transaction's time). */
export async function insertInvoice(
  db: Queryable,
  inv: { id: string; partner_id: string; currency: string; total_platform_fee: string; payout_count: number },
  paymentIds: string[],
): Promise<Date> {
  const [row] = await t(db, 'invoices').insert(inv).returning<{ created_at: Date }[]>('created_at');
  await t(db, 'payouts').whereIn('payment_id', paymentIds).update({ invoice_id: inv.id });
  return row!.created_at;
}

/** One page of invoices, newest first (the order of the indexes invoices_list and invoices_partner_list), and how many match. */
export async function listInvoices(
  db: Queryable,
  filter: InvoiceFilter,
  page: { offset: number; limit: number },
): Promise<{ rows: InvoiceRow[]; total: number }> {
  const matching = () => {
    const q = t(db, 'invoices');
    if (filter.partnerId) q.where('partner_id', filter.partnerId);
    if (filter.currency) q.where('currency', filter.currency);
    return q;
  };
  const [rows, counted] = await Promise.all([
    matching()
      .orderBy([
        { column: 'created_at', order: 'desc' },
        { column: 'id', order: 'desc' },
      ])
      .offset(page.offset)
      .limit(page.limit)
      .select<InvoiceRow[]>('id', 'partner_id', 'currency', 'total_platform_fee', 'payout_count', 'created_at'),
    matching().count<{ n: string | number }[]>({ n: '*' }),
  ]);
  return { rows, total: Number(counted[0]?.n ?? 0) };
}

export async function findInvoice(db: Queryable, id: string): Promise<InvoiceRow | undefined> {
  return t(db, 'invoices').where('id', id).first<InvoiceRow | undefined>('id', 'partner_id', 'currency', 'total_platform_fee', 'payout_count', 'created_at');
}

/** The payouts of an invoice (index payouts_by_invoice), by payment date, then payment id. */
export async function invoicePayouts(db: Queryable, invoiceId: string): Promise<InvoicePayoutRow[]> {
  return db
    .withSchema(SCHEMA)
    .from('payouts as o')
    .join('payments as p', 'p.id', 'o.payment_id')
    .join('accounts as a', 'a.case_id', 'p.case_id')
    .where('o.invoice_id', invoiceId)
    .orderBy([
      { column: 'p.date', order: 'asc' },
      { column: 'p.id', order: 'asc' },
    ])
    .select<InvoicePayoutRow[]>(
      'o.payment_id',
      'p.case_id',
      'a.reference as case_reference',
      'p.date',
      'o.currency',
      'p.amount as payment_amount',
      'o.payout_creditor',
      'o.payout_collection_partner',
      'o.platform_fee',
    );
}
