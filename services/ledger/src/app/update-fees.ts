// SPEC §10 PUT /cases/{id}/fees: the principal and the fee breakdown change on the locked account, in the
// transaction that every payment and close takes the same lock in, so the close rules and the next
// payment see the new remainder at once and a fee change racing a payment loses neither.
import { decideFeeChange, DomainError, remainderOf, totalAddedFees, type CaseAmounts, type Lifecycle } from '@pp/domain';
import * as q from '../infra/ledger.queries';
import { caseRef, emitEvent, type LedgerContext } from './context';

export interface UpdateFeesCommand {
  partnerId: string;
  caseId: string;
  grossAmount?: bigint;
  interestFees?: bigint;
  reminderFees?: bigint;
  collectionFees?: bigint;
  /** The breakdown the case was created with, for an account opened before the ledger kept it. */
  createdWith: Pick<CaseAmounts, 'interestFees' | 'reminderFees' | 'collectionFees'>;
  actor: string;
  requestId?: string;
}

/** The account's amounts. An account opened before the breakdown was kept knows only its sum. */
export function amountsOf(account: q.AccountRow, createdWith: UpdateFeesCommand['createdWith']): CaseAmounts {
  const grossAmount = BigInt(account.gross_amount);
  if (account.interest_fees !== null && account.reminder_fees !== null && account.collection_fees !== null) {
    return {
      grossAmount,
      interestFees: BigInt(account.interest_fees),
      reminderFees: BigInt(account.reminder_fees),
      collectionFees: BigInt(account.collection_fees),
    };
  }
  // The case's own record is right as long as it adds up to the sum the ledger kept (fees could not
  // change before the ledger kept the breakdown); if it does not, the sum is the truth.
  if (totalAddedFees(createdWith) === BigInt(account.total_fees)) return { grossAmount, ...createdWith };
  return { grossAmount, interestFees: BigInt(account.total_fees), reminderFees: 0n, collectionFees: 0n };
}

/** The audit values of a case's amounts: minor units as strings under the API's names (http/audit.ts maps them). */
function auditAmounts(a: CaseAmounts, totalPayments: bigint) {
  const fees = totalAddedFees(a);
  return {
    grossAmount: a.grossAmount.toString(),
    interestFees: a.interestFees.toString(),
    reminderFees: a.reminderFees.toString(),
    collectionFees: a.collectionFees.toString(),
    totalAddedFees: fees.toString(),
    remainder: remainderOf({ grossAmount: a.grossAmount, totalFees: fees, totalPayments }).toString(),
  };
}

const same = (a: CaseAmounts, b: CaseAmounts) =>
  a.grossAmount === b.grossAmount && a.interestFees === b.interestFees && a.reminderFees === b.reminderFees && a.collectionFees === b.collectionFees;

export async function updateFees(ctx: LedgerContext, cmd: UpdateFeesCommand): Promise<q.AccountRow> {
  return ctx.uow.run(async (tx) => {
    const account = await q.lockAccount(tx.trx, cmd.partnerId, cmd.caseId);
    if (!account) throw new DomainError('CaseNotFound', 'Case not found');
    const before = amountsOf(account, cmd.createdWith);
    const given = { grossAmount: cmd.grossAmount, interestFees: cmd.interestFees, reminderFees: cmd.reminderFees, collectionFees: cmd.collectionFees };
    const decision = decideFeeChange(account.lifecycle as Lifecycle, before, Object.fromEntries(Object.entries(given).filter(([, v]) => v !== undefined)));
    if (!decision.ok) throw decision.error;
    const after = decision.value;
    // Nothing to change: no write and no audit entry (the trail lists changes, each once).
    if (same(before, after)) return account;
    const now = ctx.clock();
    await q.updateAccountFees(
      tx.trx,
      cmd.caseId,
      {
        gross_amount: after.grossAmount.toString(),
        total_fees: totalAddedFees(after).toString(),
        interest_fees: after.interestFees.toString(),
        reminder_fees: after.reminderFees.toString(),
        collection_fees: after.collectionFees.toString(),
      },
      now,
    );
    const paid = BigInt(account.total_payments);
    await q.appendAudit(tx.trx, {
      id: ctx.newId(),
      case_id: cmd.caseId,
      type: 'FeesUpdated',
      payment_id: null,
      before: auditAmounts(before, paid),
      after: auditAmounts(after, paid),
      actor: cmd.actor,
      at: now,
    });
    // not a lifecycle change (no webhook), but what is owed changed: case-lifecycle's remainder copy follows
    emitEvent(
      ctx,
      tx,
      'account.fees_updated',
      cmd.caseId,
      caseRef(account, remainderOf({ grossAmount: after.grossAmount, totalFees: totalAddedFees(after), totalPayments: paid })),
      cmd.requestId,
    );
    return (await q.findAccount(tx.trx, cmd.partnerId, cmd.caseId))!;
  });
}
