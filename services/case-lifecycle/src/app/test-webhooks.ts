// Webhook testing (SPEC §10). A fired event is a real event of the test case: built from its current
// state in the shape the real event of that type has (SPEC §6), appended to the case's public event log
// with the next sequence, and fanned out by appendPublic like every other event, so it is signed,
// retried, logged in GET /webhooks/events and replayable. Only test-mode subscriptions receive it,
// because a test case's events go only to those. Replay-last-event is POST /webhooks/events/{id}/replay
// on the case's newest delivery.
import { DomainError, isWebhookEvent, validationError, type WebhookEvent } from '@pp/domain';
import { majorUnits, publicPayment } from '@pp/events';
import type { ledgerV1 } from '@pp/proto';
import * as q from '../infra/cases.queries';
import * as w from '../infra/webhooks.queries';
import type { CaseContext } from './context';
import { appendPublic } from './public-events';
import { replayEvent } from './webhooks';

const caseNotFound = () => new DomainError('CaseNotFound', 'Case not found');
const missing = (message: string) => new DomainError('EventDataMissing', message);

/** The caller's test case; a foreign or unknown one is CaseNotFound, a production one a ValidationError on `field`. */
async function testCase(ctx: CaseContext, partnerId: string, caseId: string, field: string): Promise<q.CaseRow> {
  const row = await q.findCase(ctx.db, partnerId, caseId);
  if (!row) throw caseNotFound();
  if (!row.is_test) throw validationError([{ field, message: `${field}: only test cases can be used for webhook testing` }]);
  return row;
}

const newest = <T>(items: readonly T[], at: (item: T) => string): T | undefined =>
  items.reduce<T | undefined>((best, item) => (best === undefined || Date.parse(at(item)) > Date.parse(at(best)) ? item : best), undefined);

/** What the ledger holds of the case now, read by the gateway: the account, live payments, audit trail (oldest first). */
export interface LedgerView {
  readonly account: ledgerV1.Account__Output | null;
  readonly payments: readonly ledgerV1.Payment__Output[];
  readonly audit: readonly ledgerV1.AuditEntry__Output[];
}

/** The newest audit entry of a type, with its stored values. */
function lastAudit(ledger: LedgerView, type: string): { before: Record<string, unknown>; after: Record<string, unknown> } | undefined {
  const entry = ledger.audit.filter((e) => e.type === type).at(-1);
  const parse = (json: string) => (json ? (JSON.parse(json) as Record<string, unknown>) : {});
  return entry && { before: parse(entry.beforeJson), after: parse(entry.afterJson) };
}

/**
 * The `data` of a `type` event from the case as it is now (the ledger is authoritative for the lifecycle,
 * the balance and the payments). What no state of the case can fill → EventDataMissing (422).
 */
function currentData(ledger: LedgerView, row: q.CaseRow, type: WebhookEvent): Record<string, unknown> {
  const account = ledger.account;
  const lifecycle = account?.lifecycle || row.lifecycle;
  const remainder = majorUnits(account?.remainder ?? '0', row.currency);
  const base = { caseId: row.id, reference: row.reference };
  switch (type) {
    case 'case.updated':
      return { ...base, oldLifecycle: lifecycle, newLifecycle: lifecycle, remainder };
    case 'case.closed': {
      const close = lastAudit(ledger, 'CaseClosed');
      const closeCode = (lifecycle === 'Closed' && account?.closeCode) || (typeof close?.after.closeCode === 'string' ? close.after.closeCode : '');
      if (!closeCode) throw missing('The case has never been closed: there is no close code for case.closed');
      const comment = typeof close?.after.comment === 'string' && close.after.comment ? close.after.comment : null;
      return { ...base, closeCode, comment, remainder };
    }
    case 'payment.created':
    case 'payment.updated': {
      const payment = type === 'payment.created' ? newest(ledger.payments, (p) => p.createdAt) : newest(ledger.payments, (p) => p.updatedAt);
      if (!payment) throw missing(`The case has no payment for ${type}`);
      return { ...base, payment: publicPayment(payment, row.currency, { caseId: row.id, reference: row.reference, lifecycle }) };
    }
    case 'payment.deleted': {
      const deleted = lastAudit(ledger, 'PaymentDeleted');
      if (!deleted || typeof deleted.before.id !== 'string') throw missing('No payment of the case has been deleted: there is nothing for payment.deleted');
      return { ...base, paymentId: deleted.before.id, paymentAmount: majorUnits(String(deleted.before.amount ?? '0'), row.currency) };
    }
  }
}

export interface FireCommand {
  readonly partnerId: string;
  readonly caseId: string;
  readonly event: string;
  /** only this subscription; undefined = every active test-mode subscription for the event */
  readonly subscriptionId?: string | undefined;
  readonly ledger: LedgerView;
}

export async function fireTestEvent(ctx: CaseContext, cmd: FireCommand): Promise<{ eventType: WebhookEvent; caseId: string; enqueuedCount: number }> {
  const event = cmd.event;
  if (!isWebhookEvent(event)) throw validationError([{ field: 'event', message: `event: unknown event ${event}` }]);
  const found = await testCase(ctx, cmd.partnerId, cmd.caseId, 'caseId');
  if (cmd.subscriptionId !== undefined) {
    const subscription = await w.findSubscription(ctx.db, cmd.partnerId, cmd.subscriptionId);
    if (!subscription) throw new DomainError('WebhookNotFound', 'Webhook not found');
    if (!subscription.is_test_mode)
      throw validationError([
        {
          field: 'subscriptionId',
          message: 'subscriptionId: not a test-mode subscription (isTestMode: false); a test case only sends to test-mode subscriptions',
        },
      ]);
  }
  const data = currentData(cmd.ledger, found, event);
  const enqueued = await ctx.uow.run(async (tx) => {
    const row = await q.lockCaseById(tx.trx, found.id);
    if (!row) throw caseNotFound(); // purged meanwhile
    const out = await appendPublic(ctx, tx, row, event, data, ctx.clock(), cmd.subscriptionId);
    await q.bumpSequence(tx.trx, row.id, row.event_sequence);
    return out.enqueued;
  });
  return { eventType: event, caseId: found.id, enqueuedCount: enqueued };
}

/** The newest delivery of the caller's test case, delivered again as POST /webhooks/events/{id}/replay does. */
export async function replayLastEvent(ctx: CaseContext, partnerId: string, caseId: string): Promise<w.DeliveryRow> {
  await testCase(ctx, partnerId, caseId, 'id');
  const {
    rows: [last],
  } = await w.listDeliveries(ctx.db, partnerId, { caseId }, { offset: 0, limit: 1 });
  if (!last) throw new DomainError('EventNotFound', 'No webhook event has been sent for this case yet');
  return replayEvent(ctx, partnerId, last.id);
}
