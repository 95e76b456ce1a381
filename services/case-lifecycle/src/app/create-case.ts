// Writes a new case. The gateway has opened its ledger account under the same id and reference
// before (the ledger owns the money and the lifecycle), so a case row never exists without its
// account and a payment right after creation works. Idempotent by id: the same id again answers the
// case written first. A reference another case holds is refused on `reference`: the gateway then
// opens another account under a new id and reference (the first one stays empty and unseen).
import { currencyDigits, DomainError, remainderOf, toMajor } from '@pp/domain';
import * as q from '../infra/cases.queries';
import type { CaseContext } from './context';

export interface CreateCaseCommand {
  id: string;
  reference: string;
  partnerId: string;
  currency: string;
  grossAmount: bigint;
  interestFees: bigint;
  reminderFees: bigint;
  collectionFees: bigint;
  successFeePpm: bigint;
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
}

export const REFERENCE_TAKEN = 'reference is taken by another case';

export async function createCase(ctx: CaseContext, cmd: CreateCaseCommand): Promise<q.CaseRow> {
  const existing = await q.findCase(ctx.db, cmd.partnerId, cmd.id);
  if (existing) return existing; // a retry of this creation
  const now = ctx.clock();
  try {
    await q.insertCase(ctx.db, {
      id: cmd.id,
      partner_id: cmd.partnerId,
      reference: cmd.reference,
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
      creditor_id: ctx.newId(),
      debtor_id: cmd.debtorId ?? ctx.newId(),
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
  } catch (error) {
    if ((error as { code?: string }).code !== '23505') throw error;
    // the same id written meanwhile by a concurrent retry answers that case; otherwise the reference is taken
    const raced = await q.findCase(ctx.db, cmd.partnerId, cmd.id);
    if (raced) return raced;
    throw new DomainError('ValidationError', REFERENCE_TAKEN, 'reference');
  }
  return (await q.findCase(ctx.db, cmd.partnerId, cmd.id))!;
}
