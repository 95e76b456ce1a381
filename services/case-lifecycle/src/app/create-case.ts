// Creates a case: the ledger opens its account first (idempotent by case id), then the case row is
// written. A case row never exists without its account, so a payment right after creation works.
import { caseReference, currencyDigits, DomainError, remainderOf, toMajor } from '@pp/domain';
import * as q from '../infra/cases.queries';
import type { CaseContext } from './context';

export interface CreateCaseCommand {
  partnerId: string;
  partnerOfficeEmail: string;
  currency: string;
  grossAmount: bigint;
  interestFees: bigint;
  reminderFees: bigint;
  collectionFees: bigint;
  successFeePpm: bigint;
  revenueSharePpm: bigint;
  isTest: boolean;
  /** created by the partner itself (POST /managed-cases) */
  managed: boolean;
  engagementPhase: string;
  creditorReference: string | null;
  creditor: q.Party | null;
  debtor: q.Party | null;
  /** the debtor's id as the caller gave it; the platform assigns one when absent */
  debtorId: string | null;
  /** the claim's calendar dates, YYYY-MM-DD */
  date: string | null;
  dueDate: string | null;
  tag: string | null;
  requestId?: string;
}

export async function createCase(ctx: CaseContext, cmd: CreateCaseCommand): Promise<q.CaseRow> {
  const id = ctx.newId();
  const creditorId = ctx.newId();
  const debtorId = cmd.debtorId ?? ctx.newId();
  for (let attempt = 0; attempt < 5; attempt++) {
    const reference = caseReference(ctx.randomBytes);
    await ctx.ledger.OpenAccount(
      {
        caseId: id,
        partnerId: cmd.partnerId,
        reference,
        currency: cmd.currency,
        grossAmount: cmd.grossAmount.toString(),
        interestFees: cmd.interestFees.toString(),
        reminderFees: cmd.reminderFees.toString(),
        collectionFees: cmd.collectionFees.toString(),
        successFeePpm: cmd.successFeePpm.toString(),
        revenueSharePpm: cmd.revenueSharePpm.toString(),
        isTest: cmd.isTest,
        notifyEmail: cmd.partnerOfficeEmail,
      },
      { requestId: cmd.requestId ?? id },
    );
    const now = ctx.clock();
    try {
      await q.insertCase(ctx.db, {
        id,
        partner_id: cmd.partnerId,
        reference,
        is_test: cmd.isTest,
        managed: cmd.managed,
        lifecycle: 'Active',
        currency: cmd.currency,
        gross_amount: cmd.grossAmount.toString(),
        interest_fees: cmd.interestFees.toString(),
        reminder_fees: cmd.reminderFees.toString(),
        collection_fees: cmd.collectionFees.toString(),
        success_fee_ppm: cmd.successFeePpm.toString(),
        engagement_phase: cmd.engagementPhase,
        creditor_reference: cmd.creditorReference,
        creditor: cmd.creditor,
        debtor: cmd.debtor,
        date: cmd.date,
        due_date: cmd.dueDate,
        creditor_id: creditorId,
        debtor_id: debtorId,
        tag: cmd.tag,
        // nothing paid yet: the remainder copy starts at what is owed (remainder_at NULL: any event is newer)
        remainder: String(
          toMajor(
            remainderOf({ grossAmount: cmd.grossAmount, totalFees: cmd.interestFees + cmd.reminderFees + cmd.collectionFees, totalPayments: 0n }),
            currencyDigits(cmd.currency),
          ),
        ),
        created_at: now,
        updated_at: now,
      });
      return (await q.findCase(ctx.db, cmd.partnerId, id))!;
    } catch (error) {
      // A reference collision: try another one (the ledger account keeps its first reference only
      // when the case row is written, so open it again under the same id is a no-op).
      if ((error as { code?: string }).code !== '23505') throw error;
    }
  }
  throw new DomainError('InternalError', 'Could not allocate a unique case reference');
}
