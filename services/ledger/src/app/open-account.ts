// Opens the money side of a new case. Idempotent by case id, so case-lifecycle can retry it.
import { currencyDigits, DomainError } from '@pp/domain';
import * as q from '../infra/ledger.queries';
import type { LedgerContext } from './context';

export interface OpenAccountCommand {
  caseId: string;
  partnerId: string;
  reference: string;
  currency: string;
  grossAmount: bigint;
  interestFees: bigint;
  reminderFees: bigint;
  collectionFees: bigint;
  successFeePpm: bigint;
  revenueSharePpm: bigint;
  isTest: boolean;
  notifyEmail: string;
}

export async function openAccount(ctx: LedgerContext, cmd: OpenAccountCommand): Promise<q.AccountRow> {
  return ctx.uow.run(async (tx) => {
    await q.insertAccount(tx.trx, {
      case_id: cmd.caseId,
      partner_id: cmd.partnerId,
      reference: cmd.reference,
      currency: cmd.currency,
      digits: currencyDigits(cmd.currency),
      gross_amount: cmd.grossAmount.toString(),
      total_fees: (cmd.interestFees + cmd.reminderFees + cmd.collectionFees).toString(),
      interest_fees: cmd.interestFees.toString(),
      reminder_fees: cmd.reminderFees.toString(),
      collection_fees: cmd.collectionFees.toString(),
      success_fee_ppm: cmd.successFeePpm.toString(),
      revenue_share_ppm: cmd.revenueSharePpm.toString(),
      is_test: cmd.isTest,
      notify_email: cmd.notifyEmail,
      lifecycle: 'Active',
    });
    const account = await q.findAccount(tx.trx, cmd.partnerId, cmd.caseId);
    if (!account) throw new DomainError('ValidationError', 'The case id is already in use', 'id');
    return account;
  });
}
