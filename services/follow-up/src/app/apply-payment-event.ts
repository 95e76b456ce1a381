// Turns the ledger's payment events into inputs of the follow-up machine. Idempotent: the inbox
// records the event id in the same transaction as the follow-up's change.
import { commissionOwed, type CommissionStatus, type FollowUpInput, type PaymentRecipient } from '@pp/domain';
import type { AnyEnvelope } from '@pp/events';
import { claimInbox } from '@pp/platform';
import * as f from '../infra/followups.queries';
import { SCHEMA } from '../migrations';
import type { FollowUpContext } from './context';
import { applyInput } from './perform';

const owed = (p: { recipient: string; commissionStatus: string }) => commissionOwed(p.recipient as PaymentRecipient, p.commissionStatus as CommissionStatus);

function inputOf(event: AnyEnvelope): FollowUpInput | undefined {
  switch (event.type) {
    case 'payment.recorded': {
      const p = event.payload;
      return owed(p.payment) ? { kind: 'owed', amountOwed: BigInt(p.payment.payoutCollectionPartner), mayStart: p.createFollowUp && !p.isTest } : undefined;
    }
    case 'payment.updated': {
      const p = event.payload;
      if (!owed(p.payment)) return { kind: 'cancelled' };
      // An edit that makes a payment Creditor + Unpaid starts the follow-up; otherwise it updates the amount.
      return { kind: 'owed', amountOwed: BigInt(p.payment.payoutCollectionPartner), mayStart: !owed(p.before) && !p.isTest };
    }
    case 'payment.deleted':
      return { kind: 'cancelled' };
    case 'commission.settled':
      return { kind: 'settled' };
    case 'account.closed':
    case 'account.reopened':
    case 'account.fees_updated':
    case 'account.balance_announced':
    case 'webhook.disabled':
      return undefined;
  }
}

export async function applyPaymentEvent(ctx: FollowUpContext, event: AnyEnvelope): Promise<void> {
  const input = inputOf(event);
  let mailQueued = false;
  await ctx.uow.run(async ({ trx }) => {
    // Every event is recorded as applied, also those that change nothing: the inbox is the progress.
    if (!(await claimInbox(trx, SCHEMA, 'follow-up', event.id))) return;
    if (
      !input ||
      event.type === 'account.closed' ||
      event.type === 'account.reopened' ||
      event.type === 'account.fees_updated' ||
      event.type === 'account.balance_announced' ||
      event.type === 'webhook.disabled'
    )
      return;
    const p = event.payload;
    // Only an input that may start a follow-up creates its row; the others touch an existing one.
    const row =
      input.kind === 'owed' && input.mayStart
        ? await f.lockFollowUp(trx, {
            payment_id: p.payment.id,
            case_id: p.caseId,
            partner_id: p.partnerId,
            case_reference: p.reference,
            notify_email: p.notifyEmail,
            currency: p.currency,
            amount_owed: p.payment.payoutCollectionPartner,
            stage: 'None',
            generation: 0,
            reminders: 0,
            escalated: false,
            updated_at: ctx.clock(),
          })
        : await f.lockExistingFollowUp(trx, p.payment.id);
    if (!row) return;
    mailQueued = (await applyInput(ctx, trx, row, input)).mailQueued;
  });
  if (mailQueued) ctx.mailQueued();
}
