// Applies one decision of the follow-up machine: the state, the tasks, the timers and the queued mail
// change in the caller's transaction, so an input is applied entirely or not at all.
import { currencyDigits, decideFollowUp, toMajor, type EmailKind, type FollowUpInput } from '@pp/domain';
import type { Trx } from '@pp/platform';
import * as f from '../infra/followups.queries';
import * as q from '../infra/tasks.queries';
import type { FollowUpContext } from './context';

export async function applyInput(ctx: FollowUpContext, trx: Trx, row: f.FollowUpRow, input: FollowUpInput): Promise<{ mailQueued: boolean }> {
  const now = ctx.clock();
  const decision = decideFollowUp(f.stateOf(row), input, { now, chaseAfterMs: ctx.chaseAfterMs, reminderIntervalMs: ctx.reminderIntervalMs });
  let amountOwed = row.amount_owed;
  let mailQueued = false;
  for (const effect of decision.effects) {
    switch (effect.type) {
      case 'updateAmount':
        amountOwed = effect.amountOwed.toString();
        await q.setAmountOwed(trx, row.payment_id, amountOwed);
        break;
      case 'openTask':
        await q.openTask(trx, {
          id: ctx.newId(),
          type: effect.task,
          status: 'Open',
          case_id: row.case_id,
          partner_id: row.partner_id,
          payment_id: row.payment_id,
          amount_owed: amountOwed,
          currency: row.currency,
          due_at: effect.dueAt,
          reminder_count: 0,
          created_at: now,
          completed_at: null,
        });
        break;
      case 'escalateInvoiceTask':
        await q.setTaskStatus(trx, row.payment_id, { type: 'InvoiceClient', status: 'Open' }, { status: 'Escalated' });
        break;
      case 'closeOpenTask':
        await q.setTaskStatus(trx, row.payment_id, { status: 'Open' }, { status: effect.status, completed_at: now });
        break;
      case 'countReminder':
        await q.countReminder(trx, row.payment_id, effect.reminderCount, effect.nextDueAt);
        break;
      case 'schedule':
        await f.insertTimer(trx, {
          id: ctx.newId(),
          payment_id: row.payment_id,
          kind: effect.timer,
          generation: effect.generation,
          step: effect.step,
          due_at: effect.at,
        });
        break;
      case 'email': {
        const text = composeEmail(effect.kind, { ...row, amount_owed: amountOwed }, effect.stepId);
        await f.insertEmail(trx, {
          id: ctx.newId(),
          step_id: `${row.payment_id}:${effect.stepId}`,
          partner_id: row.partner_id,
          case_id: row.case_id,
          payment_id: row.payment_id,
          kind: effect.kind,
          to: row.notify_email,
          subject: text.subject,
          text: text.body,
          next_attempt_at: now,
          created_at: now,
        });
        mailQueued = true;
        break;
      }
    }
  }
  const s = decision.state;
  await f.saveFollowUp(trx, row.payment_id, {
    stage: s.stage,
    generation: s.generation,
    reminders: s.reminders,
    escalated: s.escalated,
    amount_owed: amountOwed,
    updated_at: now,
  });
  return { mailQueued };
}

function formatAmount(minor: string, currency: string): string {
  const digits = currencyDigits(currency);
  return `${currency} ${toMajor(BigInt(minor), digits).toFixed(digits)}`;
}

/** The partner-facing text of each step (SPEC §5: amount owed, currency, case reference). */
export function composeEmail(
  kind: EmailKind,
  row: Pick<f.FollowUpRow, 'case_reference' | 'currency' | 'amount_owed' | 'payment_id'>,
  stepId: string,
): { subject: string; body: string } {
  const amount = formatAmount(row.amount_owed, row.currency);
  const ref = row.case_reference;
  const facts = [`Case reference: ${ref}`, `Amount owed: ${amount}`, `Currency: ${row.currency}`, `Payment: ${row.payment_id}`].join('\n');
  switch (kind) {
    case 'invoice':
      return {
        subject: `Commission owed on case ${ref}: ${amount}`,
        body: `The debtor paid the creditor directly on case ${ref}, so your commission of ${amount} is still owed by the creditor.\nPlease invoice the client for it. Once the creditor has paid, mark the commission as paid in the Portal.\n\n${facts}\n`,
      };
    case 'chase':
      return {
        subject: `Chase the client: commission on case ${ref} still unpaid (${amount})`,
        body: `Your commission of ${amount} on case ${ref} is still unpaid. The "invoice the client" task has been escalated: please chase the client for payment.\n\n${facts}\n`,
      };
    case 'reminder': {
      const n = stepId.split(':').at(-1) ?? '';
      return {
        subject: `Reminder ${n}: commission on case ${ref} still unpaid (${amount})`,
        body: `This is reminder ${n}: your commission of ${amount} on case ${ref} is still unpaid by the client.\n\n${facts}\n`,
      };
    }
  }
}
