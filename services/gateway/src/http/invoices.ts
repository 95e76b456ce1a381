// The operator's views of a revenue-share invoice (issue 15): JSON, and CSV for a spreadsheet. Money
// leaves as major units here: JSON numbers, or decimal text with exactly the currency's digits.
import { currencyDigits, toMajorText } from '@pp/domain';
import { answerDate } from '@pp/events';
import type { ledgerV1 } from '@pp/proto';
import { csv, number, text } from './csv';
import { money } from './mappers';

export function invoiceJson(i: ledgerV1.Invoice__Output) {
  return {
    id: i.id,
    partnerId: i.partnerId,
    currency: i.currency,
    totalPlatformFee: money(i.totalPlatformFee, i.currency),
    payoutCount: i.payoutCount,
    createdAt: i.createdAt,
  };
}

export function invoicePayoutJson(p: ledgerV1.InvoicePayout__Output) {
  return {
    paymentId: p.paymentId,
    caseId: p.caseId,
    caseReference: p.caseReference,
    date: answerDate(p.date),
    currency: p.currency,
    paymentAmount: money(p.paymentAmount, p.currency),
    payoutCreditor: money(p.payoutCreditor, p.currency),
    payoutCollectionPartner: money(p.payoutCollectionPartner, p.currency),
    platformFee: money(p.platformFee, p.currency),
  };
}

export function invoiceWithPayoutsJson(out: ledgerV1.GetInvoiceResponse__Output) {
  if (!out.invoice) throw new Error('GetInvoice answered without an invoice');
  return { ...invoiceJson(out.invoice), payouts: out.payouts.map(invoicePayoutJson) };
}

/** The columns of GET /admin/invoices/{id}/csv, in order. */
export const INVOICE_CSV_COLUMNS = [
  'invoiceId',
  'invoiceCreatedAt',
  'partnerId',
  'partnerName',
  'currency',
  'paymentId',
  'caseId',
  'caseReference',
  'paymentDate',
  'paymentAmount',
  'payoutCreditor',
  'payoutCollectionPartner',
  'platformFee',
] as const;

/** The invoice as CSV: a header row and one row per payout; `partnerName` is the partner's company name. */
export function invoiceCsv(out: ledgerV1.GetInvoiceResponse__Output, partnerName: string): string {
  const invoice = out.invoice;
  if (!invoice) throw new Error('GetInvoice answered without an invoice');
  const amount = (minor: string, currency: string) => number(toMajorText(BigInt(minor || '0'), currencyDigits(currency)));
  const rows = out.payouts.map((p) => [
    text(invoice.id),
    text(invoice.createdAt),
    text(invoice.partnerId),
    text(partnerName),
    text(p.currency),
    text(p.paymentId),
    text(p.caseId),
    text(p.caseReference),
    text(p.date),
    amount(p.paymentAmount, p.currency),
    amount(p.payoutCreditor, p.currency),
    amount(p.payoutCollectionPartner, p.currency),
    amount(p.platformFee, p.currency),
  ]);
  return csv(INVOICE_CSV_COLUMNS, rows);
}
