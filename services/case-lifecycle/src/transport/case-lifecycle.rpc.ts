// One thin handler per RPC.
import { DomainError, validationError } from '@pp/domain';
import { pageWindow, type PromiseHandlers } from '@pp/platform';
import type { CaseLifecycleDefinition, caseLifecycleV1 } from '@pp/proto';
import type { CaseContext } from '../app/context';
import { createCase } from '../app/create-case';
import { readEventStream } from '../app/event-stream';
import { createWebhook, deleteWebhook, getWebhook, replayEvent, updateWebhook } from '../app/webhooks';
import { fireTestEvent, replayLastEvent } from '../app/test-webhooks';
import * as q from '../infra/cases.queries';
import * as w from '../infra/webhooks.queries';

const iso = (d: Date | null) => (d ? new Date(d).toISOString() : '');

const deliveryMessage = (d: w.DeliveryRow) => ({
  id: d.id,
  subscriptionId: d.subscription_id,
  caseId: d.case_id,
  eventType: d.event_type,
  payload: d.payload,
  createdAt: iso(d.created_at),
  deliveredAt: iso(d.delivered_at),
  attemptCount: d.attempt_count,
  lastResponseCode: d.last_response_code ?? 0,
  lastError: d.last_error ?? '',
});
/** A party of the case: always its id (assigned when none was given), and what was given (has_creditor/has_debtor say whether). */
const party = (p: q.Party | null | undefined, id: string): caseLifecycleV1.Party => ({
  companyName: p?.companyName ?? '',
  officeEmail: p?.officeEmail ?? '',
  type: p?.type ?? '',
  name: p?.name ?? '',
  id,
});
/** A calendar date column as YYYY-MM-DD ('' when null). */
const day = (d: string | Date | null): string => (d === null ? '' : typeof d === 'string' ? d.slice(0, 10) : d.toISOString().slice(0, 10));

/** Served by the platform's dead-letter handlers (deadLetterRpcHandlers in service.ts). */
type DeadLetterRpcs = 'ListDeadLetters' | 'RetryDeadLetter';

export function caseMessage(c: q.CaseRow): caseLifecycleV1.Case {
  return {
    id: c.id,
    partnerId: c.partner_id,
    reference: c.reference,
    isTest: c.is_test,
    lifecycle: c.lifecycle,
    closeCode: c.close_code ?? '',
    currency: c.currency,
    grossAmount: c.gross_amount,
    interestFees: c.interest_fees,
    reminderFees: c.reminder_fees,
    collectionFees: c.collection_fees,
    successFeePpm: c.success_fee_ppm,
    engagementPhase: c.engagement_phase,
    creditorReference: c.creditor_reference ?? '',
    hasCreditorReference: c.creditor_reference !== null,
    creditor: party(c.creditor, c.creditor_id),
    hasCreditor: c.creditor !== null,
    debtor: party(c.debtor, c.debtor_id),
    hasDebtor: c.debtor !== null,
    createdAt: iso(c.created_at),
    updatedAt: iso(c.updated_at),
    finishedAt: iso(c.finished_at),
    tag: c.tag ?? '',
    date: day(c.date),
    dueDate: day(c.due_date),
  };
}

const optionalParty = (p: caseLifecycleV1.Party__Output | null, present: boolean): q.Party | null => {
  if (!present || !p) return null;
  const out: q.Party = {};
  if (p.companyName) out.companyName = p.companyName;
  if (p.officeEmail) out.officeEmail = p.officeEmail;
  if (p.type) out.type = p.type;
  if (p.name) out.name = p.name;
  return out;
};

export function caseLifecycleHandlers(ctx: CaseContext): Omit<PromiseHandlers<CaseLifecycleDefinition>, DeadLetterRpcs> {
  return {
    CreateCase: async (r) =>
      caseMessage(
        await createCase(ctx, {
          id: r.id,
          reference: r.reference,
          partnerId: r.partnerId,
          currency: r.currency,
          grossAmount: BigInt(r.grossAmount),
          interestFees: BigInt(r.interestFees),
          reminderFees: BigInt(r.reminderFees),
          collectionFees: BigInt(r.collectionFees),
          successFeePpm: BigInt(r.successFeePpm),
          isTest: r.isTest,
          managed: r.managed,
          engagementPhase: r.engagementPhase,
          creditorReference: r.creditorReference || null,
          creditor: optionalParty(r.creditor, r.creditor !== null),
          debtor: optionalParty(r.debtor, r.debtor !== null),
          debtorId: r.debtor?.id || null,
          date: r.date || null,
          dueDate: r.dueDate || null,
          tag: r.tag || null,
        }),
      ),
    GetCase: async (r) => {
      const row = r.caseId
        ? await q.findCase(ctx.db, r.partnerId, r.caseId)
        : r.reference
          ? await q.findCaseByReference(ctx.db, r.partnerId, r.reference)
          : undefined;
      if (!row || (r.managedOnly && !row.managed)) throw new DomainError('CaseNotFound', 'Case not found');
      return caseMessage(row);
    },
    ListCases: async (r) => {
      const sort = r.sort === '' ? undefined : r.sort;
      if (sort !== undefined && !Object.hasOwn(q.CASE_SORTS, sort)) throw validationError([{ field: 'Sort', message: `Sort: unknown order ${sort}` }]);
      const out = await q.listCases(ctx.db, r.partnerId, {
        statuses: r.statuses,
        includeTest: r.includeTestCases,
        page: Math.max(1, r.page),
        pageSize: Math.max(1, r.pageSize),
        managedOnly: r.managedOnly,
        ids: r.ids,
        debtorIds: r.debtorIds,
        lifecycleOverrides: r.lifecycleOverrides,
        ...(sort !== undefined ? { sort: sort as q.CaseSort } : {}),
      });
      return { cases: out.rows.map(caseMessage), totalResults: out.total };
    },
    FindTestCases: async (r) => ({
      caseIds: (await q.findTestCaseIds(ctx.db, r.partnerId, { caseId: r.caseId || undefined, tag: r.tag || undefined })).map((c) => {
        if (!c.is_test) throw new DomainError('ValidationError', 'Only test cases can be deleted or advanced', 'id');
        return c.id;
      }),
    }),
    DeleteTestCases: async (r) => ({
      deleted: await ctx.db.transaction(async (trx) => {
        await w.deleteDeliveriesOfCases(trx, r.caseIds);
        return q.deleteCases(trx, r.partnerId, r.caseIds);
      }),
    }),
    CreateWebhook: async (r) =>
      webhookMessage(
        await createWebhook(ctx, { partnerId: r.partnerId, url: r.url, events: r.events, isTestMode: r.isTestMode, officeEmail: r.officeEmail }),
        true,
      ),
    ListWebhooks: async (r) => ({ webhooks: (await w.listSubscriptions(ctx.db, r.partnerId)).map((row) => webhookMessage(row, false)) }),
    GetWebhook: async (r) => webhookMessage(await getWebhook(ctx, r.partnerId, r.id), false),
    UpdateWebhook: async (r) => {
      const out = await updateWebhook(ctx, r.partnerId, r.id, {
        url: r.hasUrl ? r.url : undefined,
        events: r.hasEvents ? r.events : undefined,
        isActive: r.hasIsActive ? r.isActive : undefined,
        regenerateSecret: r.regenerateSecret,
        officeEmail: r.officeEmail,
      });
      return webhookMessage(out.row, out.secretShown);
    },
    DeleteWebhook: async (r) => {
      await deleteWebhook(ctx, r.partnerId, r.id);
      return {};
    },
    ReadEventStream: (r) => readEventStream(ctx, r.partnerId, r.isTest, r.after, r.limit),
    ListWebhookAttempts: async (r) => {
      const delivery = await w.findDelivery(ctx.db, r.partnerId, r.eventId);
      if (!delivery) throw new DomainError('EventNotFound', 'Event not found');
      const attempts = await w.listAttempts(ctx.db, delivery.id);
      return {
        attempts: attempts.map((a) => ({
          attempt: a.attempt,
          at: a.at.toISOString(),
          responseCode: a.response_code ?? 0,
          error: a.error ?? '',
          latencyMs: a.latency_ms,
          replay: a.replay,
          responseExcerpt: a.response_excerpt ?? '',
          hasResponseExcerpt: a.response_excerpt !== null,
        })),
      };
    },
    ListWebhookEvents: async (r) => {
      const filter = { caseId: r.caseId || undefined, since: r.since ? new Date(r.since) : undefined };
      // Without a page, the newest `limit` (at most 1,000: the unpaginated REST answer's bound); total says how many there are.
      const window = pageWindow(r.page, r.pageSize) ?? { offset: 0, limit: Math.min(Math.max(r.limit || 100, 1), 1000) };
      const { rows, total } = await w.listDeliveries(ctx.db, r.partnerId, filter, window);
      return { totalResults: total, events: rows.map(deliveryMessage) };
    },
    ReplayWebhookEvent: async (r) => {
      const d = await replayEvent(ctx, r.partnerId, r.eventId);
      return { eventId: d.id, subscriptionId: d.subscription_id, eventType: d.event_type };
    },
    FireTestWebhook: async (r) =>
      fireTestEvent(ctx, {
        partnerId: r.partnerId,
        caseId: r.caseId,
        event: r.event,
        subscriptionId: r.subscriptionId || undefined,
        ledger: { account: r.account, payments: r.payments, audit: r.audit },
      }),
    ReplayLastCaseEvent: async (r) => {
      const d = await replayLastEvent(ctx, r.partnerId, r.caseId);
      return { eventId: d.id, subscriptionId: d.subscription_id, eventType: d.event_type };
    },
  };
}

function webhookMessage(row: w.SubscriptionRow, withSecret: boolean): caseLifecycleV1.Webhook {
  return {
    id: row.id,
    url: row.url,
    events: row.events,
    isActive: row.is_active,
    isTestMode: row.is_test_mode,
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
    disabledReason: row.disabled_reason ?? '',
    secret: withSecret ? row.secret : '',
  };
}
