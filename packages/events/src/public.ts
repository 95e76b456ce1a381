// The public shapes partners see, shared by the REST gateway and the webhook envelope: the Payment
// object of SPEC §4.3 and the webhook envelope of SPEC §6. Money leaves as major units here.
import { currencyDigits, toMajor, type Classification, type WebhookEvent } from '@pp/domain';

export interface PaymentFacts {
  readonly id: string;
  readonly date: string;
  readonly amount: string;
  readonly recipient: string;
  readonly commissionStatus: string;
  readonly payoutCreditor: string;
  readonly payoutCollectionPartner: string;
  readonly platformFee: string;
  /** '' or null until an invoicing run took the payout */
  readonly invoiceId: string | null;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/**
 * A calendar date as answers carry it (SPEC §1): RFC 3339 midnight UTC, `2024-05-10T00:00:00Z`. The
 * original's document declares every date `format: date-time`, and clients generated from it fail on a
 * bare `2024-05-10`. Stored and requested dates stay `YYYY-MM-DD`; this is only the way out.
 */
export const answerDate = (date: string): string => (/^\d{4}-\d{2}-\d{2}$/.test(date) ? `${date}T00:00:00Z` : date);

export const majorUnits = (minor: string, currency: string): number => toMajor(BigInt(minor || '0'), currencyDigits(currency));

export function publicPayment(p: PaymentFacts, currency: string, invoice: { caseId: string; reference: string; lifecycle: string }) {
  const amount = majorUnits(p.amount, currency);
  return {
    id: p.id,
    date: answerDate(p.date),
    paymentAmount: amount,
    grossAmount: amount,
    currency,
    paymentRecipient: p.recipient,
    recipient: p.recipient,
    method: null,
    commissionPaymentStatus: p.commissionStatus,
    payoutCreditor: majorUnits(p.payoutCreditor, currency),
    payoutCollectionPartner: majorUnits(p.payoutCollectionPartner, currency),
    platformFee: majorUnits(p.platformFee, currency),
    invoice: { invoiceId: invoice.caseId, reference: invoice.reference, status: invoice.lifecycle },
    invoiced: Boolean(p.invoiceId),
    platformInvoiceId: p.invoiceId || null,
    dateCreated: p.createdAt,
    dateUpdated: p.updatedAt,
  };
}

export type PublicPayment = ReturnType<typeof publicPayment>;

export interface WebhookEnvelope {
  readonly id: string;
  readonly specVersion: '1.0';
  readonly event: WebhookEvent;
  readonly timestamp: string;
  readonly classification: Classification;
  readonly data: Record<string, unknown> & { readonly sequence: number };
}
