// One thin handler per RPC: proto request → command → use case → proto response.
import { DomainError, isCloseCode, PAYMENT_RECIPIENTS, COMMISSION_STATUSES, type CommissionStatus, type PaymentRecipient } from '@pp/domain';
import { pageWindow, type PromiseHandlers } from '@pp/platform';
import type { LedgerDefinition, ledgerV1 } from '@pp/proto';
import { closeAccount } from '../app/close-account';
import { toDateString, type AccountChange, type LedgerContext } from '../app/context';
import { deletePayment, settleCommission, updatePayment } from '../app/correct-payment';
import { runInvoicing } from '../app/invoicing';
import { openAccount } from '../app/open-account';
import { getInvoice, listInvoices } from '../app/read-invoices';
import { recordPayment } from '../app/record-payment';
import { updateFees } from '../app/update-fees';
import { partnerReportHandlers } from './partner-reports.rpc';
import type { InvoicePayoutRow, InvoiceRow } from '../infra/invoices.queries';
import * as q from '../infra/ledger.queries';

const iso = (d: Date | null) => (d ? new Date(d).toISOString() : '');

export function accountMessage(a: q.AccountRow): ledgerV1.Account {
  const remainder = BigInt(a.gross_amount) + BigInt(a.total_fees) - BigInt(a.total_payments);
  return {
    caseId: a.case_id,
    partnerId: a.partner_id,
    reference: a.reference,
    currency: a.currency,
    grossAmount: a.gross_amount,
    totalFees: a.total_fees,
    totalPayments: a.total_payments,
    remainder: remainder.toString(),
    paymentCount: a.payment_count,
    lifecycle: a.lifecycle,
    closeCode: a.close_code ?? '',
    closedAt: iso(a.closed_at),
    updatedAt: iso(a.updated_at),
    isTest: a.is_test,
    hasFeeBreakdown: a.interest_fees !== null,
    interestFees: a.interest_fees ?? '0',
    reminderFees: a.reminder_fees ?? '0',
    collectionFees: a.collection_fees ?? '0',
  };
}

function paymentMessage(p: q.PaymentRow, currency: string): ledgerV1.Payment {
  return {
    id: p.id,
    caseId: p.case_id,
    date: toDateString(p.date),
    amount: p.amount,
    currency,
    recipient: p.recipient,
    commissionStatus: p.commission_status,
    payoutCreditor: p.payout_creditor,
    payoutCollectionPartner: p.payout_collection_partner,
    platformFee: p.platform_fee,
    invoiceId: p.invoice_id ?? '',
    createdAt: iso(p.created_at),
    updatedAt: iso(p.updated_at),
  };
}

function invoiceMessage(i: InvoiceRow): ledgerV1.Invoice {
  return {
    id: i.id,
    partnerId: i.partner_id,
    currency: i.currency,
    totalPlatformFee: i.total_platform_fee,
    payoutCount: i.payout_count,
    createdAt: iso(i.created_at),
  };
}

function invoicePayoutMessage(p: InvoicePayoutRow): ledgerV1.InvoicePayout {
  return {
    paymentId: p.payment_id,
    caseId: p.case_id,
    caseReference: p.case_reference,
    date: toDateString(p.date),
    currency: p.currency,
    paymentAmount: p.payment_amount,
    payoutCreditor: p.payout_creditor,
    payoutCollectionPartner: p.payout_collection_partner,
    platformFee: p.platform_fee,
  };
}

const eventsMessage = (changes: AccountChange[]): ledgerV1.AccountEvent[] => changes.map((c) => ({ ...c }));

function recipient(value: string): PaymentRecipient {
  if ((PAYMENT_RECIPIENTS as readonly string[]).includes(value)) return value as PaymentRecipient;
  throw new DomainError('ValidationError', 'Unknown paymentRecipient', 'paymentRecipient');
}

function commission(value: string): CommissionStatus | undefined {
  if (value === '') return undefined;
  if ((COMMISSION_STATUSES as readonly string[]).includes(value)) return value as CommissionStatus;
  throw new DomainError('ValidationError', 'Unknown commissionPaymentStatus', 'commissionPaymentStatus');
}

const explicit = (r: { explicitSplit: boolean; payoutCreditor: string; payoutCollectionPartner: string }) =>
  r.explicitSplit ? { payoutCreditor: BigInt(r.payoutCreditor), payoutCollectionPartner: BigInt(r.payoutCollectionPartner) } : undefined;

export function ledgerHandlers(ctx: LedgerContext): PromiseHandlers<LedgerDefinition> {
  return {
    ...partnerReportHandlers(ctx),
    OpenAccount: async (r) =>
      accountMessage(
        await openAccount(ctx, {
          caseId: r.caseId,
          partnerId: r.partnerId,
          reference: r.reference,
          currency: r.currency,
          grossAmount: BigInt(r.grossAmount),
          interestFees: BigInt(r.interestFees),
          reminderFees: BigInt(r.reminderFees),
          collectionFees: BigInt(r.collectionFees),
          successFeePpm: BigInt(r.successFeePpm),
          revenueSharePpm: BigInt(r.revenueSharePpm),
          isTest: r.isTest,
          notifyEmail: r.notifyEmail,
        }),
      ),
    GetAccounts: async (r) => ({ accounts: (await q.findAccounts(ctx.db, r.partnerId, r.caseIds)).map(accountMessage) }),
    ListLifecycleChanges: async (r) => {
      const since = new Date(ctx.clock().getTime() - Math.max(0, r.withinSeconds) * 1000);
      const rows = await q.recentLifecycleChanges(ctx.db, r.partnerId, since, Math.min(Math.max(1, r.limit), 10_000));
      return { changes: rows.map((c) => ({ caseId: c.case_id, lifecycle: c.lifecycle })) };
    },
    RecordPayment: async (r, call) => {
      const out = await recordPayment(ctx, {
        partnerId: r.partnerId,
        caseId: r.caseId,
        date: r.date,
        amount: BigInt(r.amount),
        recipient: recipient(r.recipient),
        commissionStatus: commission(r.commissionStatus),
        explicitSplit: explicit(r),
        closeCase: r.closeCase,
        createFollowUp: r.createFollowUp,
        idempotencyKey: r.idempotencyKey || undefined,
        actor: r.actor,
        requestId: call.requestId,
      });
      return {
        payment: paymentMessage(out.payment, out.account.currency),
        caseClosed: out.result.caseClosed,
        closeCode: out.result.closeCode ?? '',
        remainder: out.result.remainder,
        warnings: out.result.warnings,
        accountEvents: eventsMessage(out.accountChanges),
        reference: out.account.reference,
        replayed: out.replayed,
      };
    },
    UpdatePayment: async (r, call) => {
      const out = await updatePayment(ctx, {
        partnerId: r.partnerId,
        caseId: r.caseId,
        paymentId: r.paymentId,
        date: r.date,
        amount: BigInt(r.amount),
        recipient: recipient(r.recipient),
        commissionStatus: commission(r.commissionStatus),
        explicitSplit: explicit(r),
        reopenConsent: r.reopenConsent,
        actor: r.actor,
        requestId: call.requestId,
      });
      return {
        payment: out.payment ? paymentMessage(out.payment, out.account.currency) : null,
        accountEvents: eventsMessage(out.accountChanges),
        reference: out.account.reference,
        remainder: accountMessage(out.account).remainder,
      };
    },
    DeletePayment: async (r, call) => {
      const out = await deletePayment(ctx, {
        partnerId: r.partnerId,
        caseId: r.caseId,
        paymentId: r.paymentId,
        reopenConsent: r.reopenConsent,
        actor: r.actor,
        requestId: call.requestId,
      });
      return {
        payment: null,
        accountEvents: eventsMessage(out.accountChanges),
        reference: out.account.reference,
        remainder: accountMessage(out.account).remainder,
      };
    },
    SettleCommission: async (r, call) => {
      const out = await settleCommission(ctx, { partnerId: r.partnerId, caseId: r.caseId, paymentId: r.paymentId, actor: r.actor, requestId: call.requestId });
      return {
        payment: out.payment ? paymentMessage(out.payment, out.account.currency) : null,
        accountEvents: [],
        reference: out.account.reference,
        remainder: accountMessage(out.account).remainder,
      };
    },
    ListPayments: async (r) => {
      const account = await q.findAccount(ctx.db, r.partnerId, r.caseId);
      if (!account) throw new DomainError('CaseNotFound', 'Case not found');
      const filter = { dateFrom: r.dateFrom, dateTo: r.dateTo, minAmount: r.minAmount, maxAmount: r.maxAmount };
      const { rows, total } = await q.listPayments(ctx.db, r.partnerId, r.caseId, filter, pageWindow(r.page, r.pageSize));
      return { payments: rows.map((p) => paymentMessage(p, account.currency)), account: accountMessage(account), totalResults: total };
    },
    CloseAccount: async (r, call) => {
      if (!isCloseCode(r.closeCode)) throw new DomainError('ValidationError', 'Unknown closeCode', 'closeCode');
      const out = await closeAccount(ctx, {
        partnerId: r.partnerId,
        caseId: r.caseId,
        closeCode: r.closeCode,
        comment: r.comment || null,
        actor: r.actor,
        requestId: call.requestId,
      });
      return { account: accountMessage(out.account), accountEvents: eventsMessage(out.accountChanges) };
    },
    GetAudit: async (r) => {
      const account = await q.findAccount(ctx.db, r.partnerId, r.caseId);
      if (!account) throw new DomainError('CaseNotFound', 'Case not found');
      const { rows, total } = await q.listAudit(ctx.db, r.caseId, pageWindow(r.page, r.pageSize));
      return {
        totalResults: total,
        entries: rows.map((e) => ({
          id: e.id,
          type: e.type,
          paymentId: e.payment_id ?? '',
          beforeJson: e.before === null ? '' : JSON.stringify(e.before),
          afterJson: e.after === null ? '' : JSON.stringify(e.after),
          actor: e.actor,
          at: iso(e.at),
        })),
      };
    },
    RunInvoicing: async (r) => {
      const out = await runInvoicing(ctx, r.partnerId || undefined);
      return {
        invoicedPayouts: out.invoicedPayouts,
        invoices: out.invoices.map((i) => ({ ...i, totalPlatformFee: i.totalPlatformFee.toString(), createdAt: iso(i.createdAt) })),
      };
    },
    ListInvoices: async (r) => {
      const out = await listInvoices(ctx, { partnerId: r.partnerId || undefined, currency: r.currency || undefined, page: r.page, pageSize: r.pageSize });
      return { invoices: out.invoices.map(invoiceMessage), totalResults: out.totalResults };
    },
    GetInvoice: async (r) => {
      const out = await getInvoice(ctx, r.id);
      return { invoice: invoiceMessage(out.invoice), payouts: out.payouts.map(invoicePayoutMessage) };
    },
    PurgeTestAccounts: async (r) => ({ purged: await q.purgeAccounts(ctx.db, r.partnerId, r.caseIds) }),
    UpdateFees: async (r, call) => {
      const given = (has: boolean, value: string) => (has ? BigInt(value) : undefined);
      const account = await updateFees(ctx, {
        partnerId: r.partnerId,
        caseId: r.caseId,
        grossAmount: given(r.hasGrossAmount, r.grossAmount),
        interestFees: given(r.hasInterestFees, r.interestFees),
        reminderFees: given(r.hasReminderFees, r.reminderFees),
        collectionFees: given(r.hasCollectionFees, r.collectionFees),
        createdWith: {
          interestFees: BigInt(r.createdInterestFees),
          reminderFees: BigInt(r.createdReminderFees),
          collectionFees: BigInt(r.createdCollectionFees),
        },
        actor: r.actor,
        requestId: call.requestId,
      });
      return { account: accountMessage(account) };
    },
  };
}
