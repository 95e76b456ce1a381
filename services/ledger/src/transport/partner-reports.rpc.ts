// The handlers of a partner's money reports (issue 16): parse → use case → message. Amounts leave as
// int64 minor units; the gateway turns them into major units.
import type { PromiseHandlers } from '@pp/platform';
import type { LedgerDefinition } from '@pp/proto';
import type { LedgerContext } from '../app/context';
import { exportPayments, listOwedCommissions } from '../app/partner-reports';

const iso = (d: Date) => new Date(d).toISOString();

export function partnerReportHandlers(ctx: LedgerContext): Pick<PromiseHandlers<LedgerDefinition>, 'ListOwedCommissions' | 'ExportPayments'> {
  return {
    ListOwedCommissions: async (r) => {
      const out = await listOwedCommissions(ctx, {
        partnerId: r.partnerId,
        page: r.page,
        pageSize: r.pageSize,
        includeTestCases: r.includeTestCases,
        afterReference: r.afterReference,
      });
      return {
        owed: out.rows.map((o) => ({
          caseId: o.case_id,
          caseReference: o.case_reference,
          currency: o.currency,
          amountOwed: o.amount_owed,
          paymentCount: o.payment_count,
          oldestPaymentDate: o.oldest_payment_date,
          isTest: o.is_test,
        })),
        totalResults: out.total,
        totals: out.totals.map((t) => ({ currency: t.currency, amountOwed: t.amount_owed, paymentCount: t.payment_count, caseCount: t.case_count })),
      };
    },
    ExportPayments: async (r) => {
      const out = await exportPayments(ctx, {
        partnerId: r.partnerId,
        dateFrom: r.dateFrom,
        dateTo: r.dateTo,
        includeTestCases: r.includeTestCases,
        afterKey: r.afterKey,
        limit: r.limit,
      });
      return {
        payments: out.rows.map((p) => ({
          payment: {
            id: p.id,
            caseId: p.case_id,
            date: p.date,
            amount: p.amount,
            currency: p.currency,
            recipient: p.recipient,
            commissionStatus: p.commission_status,
            payoutCreditor: p.payout_creditor,
            payoutCollectionPartner: p.payout_collection_partner,
            platformFee: p.platform_fee,
            invoiceId: p.invoice_id ?? '',
            createdAt: iso(p.created_at),
            updatedAt: iso(p.updated_at),
          },
          caseReference: p.case_reference,
          isTest: p.is_test,
        })),
        nextKey: out.nextKey,
      };
    },
  };
}
