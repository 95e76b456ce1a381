// The case account's lifecycle rules: when a payment may be recorded, when a case may close,
// and when a correction needs the partner's consent to reopen a case closed as Paid.
import { type Decision, ok, refuse } from './errors';
import type { Minor } from './money';

export const LIFECYCLES = ['Active', 'Paused', 'Closed'] as const;
export type Lifecycle = (typeof LIFECYCLES)[number];

export const CLOSE_CODES = {
  Paid: 'Full payment received from debtor',
  PartiallyPaid: 'Some payment received but not the full amount',
  DebtorInsolventBankrupt: 'Debtor declared bankruptcy or insolvent',
  DebtorUntraceable: 'Unable to locate or contact debtor',
  DisputedLegalActionDeclinedByClient: 'Debt disputed, creditor declined legal action',
  WithdrawnByClient: 'Creditor requested case withdrawal',
  PreLegalExhaustedNoPayment: 'All pre-legal attempts exhausted without payment',
  StatuteOfLimitationsExpired: 'Legal time limit to collect has passed',
  SettlementRejectedByClient: 'Proposed settlement rejected by creditor',
  UnresponsiveClient: 'Creditor not responding to collection partner',
  UneconomicalToPursue: 'Further collection is uneconomical',
  Other: 'Other reason',
} as const;
export type CloseCode = keyof typeof CLOSE_CODES;
export const CLOSE_CODE_NAMES = Object.keys(CLOSE_CODES) as CloseCode[];

export function isCloseCode(value: string): value is CloseCode {
  return Object.prototype.hasOwnProperty.call(CLOSE_CODES, value);
}

export interface AccountState {
  readonly lifecycle: Lifecycle;
  readonly closeCode: CloseCode | null;
  readonly grossAmount: Minor;
  readonly totalFees: Minor;
  readonly totalPayments: Minor;
  readonly paymentCount: number;
}

export function remainderOf(account: Pick<AccountState, 'grossAmount' | 'totalFees' | 'totalPayments'>): Minor {
  return account.grossAmount + account.totalFees - account.totalPayments;
}

export interface RecordOutcome {
  /** true when closeCase was asked and this payment settles the balance. */
  readonly closeAsPaid: boolean;
  readonly remainderAfter: Minor;
}

export function decideRecord(account: AccountState, amount: Minor, closeCase: boolean): Decision<RecordOutcome> {
  if (account.lifecycle === 'Closed') return refuse('CaseClosed', 'The case is closed; payments cannot be recorded on it');
  const remainderAfter = remainderOf(account) - amount;
  return ok({ closeAsPaid: closeCase && remainderAfter <= 0n, remainderAfter });
}

export function decideClose(account: AccountState, code: CloseCode): Decision<CloseCode> {
  if (account.lifecycle === 'Closed') return refuse('CaseAlreadyClosed', 'The case is already closed');
  const remainder = remainderOf(account);
  if (code === 'Paid' && (account.paymentCount < 1 || remainder > 0n)) {
    return refuse('CloseCodeNotAllowed', 'Paid requires at least one payment and no outstanding balance', 'closeCode');
  }
  if (code === 'PartiallyPaid' && (account.paymentCount < 1 || remainder <= 0n)) {
    return refuse('CloseCodeNotAllowed', 'PartiallyPaid requires at least one payment and an outstanding balance', 'closeCode');
  }
  return ok(code);
}

export interface CorrectionInput {
  /** total payments of the case once the correction applies */
  readonly totalPaymentsAfter: Minor;
  readonly invoiced: boolean;
  readonly reopenConsent: boolean;
}

export interface CorrectionOutcome {
  readonly reopen: boolean;
  readonly remainderAfter: Minor;
}

/**
 * An invoiced payout is frozen (422). A correction that leaves a case closed as Paid with a positive
 * remainder needs consent (409) and then reopens it; a case closed with any other code stays closed.
 */
export function decideCorrection(account: AccountState, input: CorrectionInput): Decision<CorrectionOutcome> {
  if (input.invoiced) return refuse('PaymentInvoiced', 'The payment has been invoiced and is frozen; a credit note is needed');
  const remainderAfter = remainderOf({ ...account, totalPayments: input.totalPaymentsAfter });
  const wouldReopen = account.lifecycle === 'Closed' && account.closeCode === 'Paid' && remainderAfter > 0n;
  if (wouldReopen && !input.reopenConsent) {
    return refuse('ReopenConsentRequired', 'The correction would reopen a case closed as Paid; resend with reopenCaseIfNeeded=true');
  }
  return ok({ reopen: wouldReopen, remainderAfter });
}

export const WARNINGS = {
  creditorGetsNothing: 'The explicit split allocates nothing to the creditor; review the payout split.',
  noOutstandingBalance: 'The case had no outstanding balance before this payment; check for a duplicate payment.',
} as const;

/** Advisory warnings, only for explicit splits. */
export function paymentWarnings(explicitSplit: boolean, payoutCreditor: Minor, remainderBefore: Minor): string[] {
  if (!explicitSplit) return [];
  const warnings: string[] = [];
  if (payoutCreditor === 0n) warnings.push(WARNINGS.creditorGetsNothing);
  if (remainderBefore <= 0n) warnings.push(WARNINGS.noOutstandingBalance);
  return warnings;
}

/** A case's principal and added fees (SPEC §3): totalAddedFees = interestFees + reminderFees + collectionFees. */
export interface CaseAmounts {
  readonly grossAmount: Minor;
  readonly interestFees: Minor;
  readonly reminderFees: Minor;
  readonly collectionFees: Minor;
}

export const totalAddedFees = (a: Pick<CaseAmounts, 'interestFees' | 'reminderFees' | 'collectionFees'>): Minor =>
  a.interestFees + a.reminderFees + a.collectionFees;

/**
 * SPEC §10 PUT /cases/{id}/fees: each amount given replaces the current one, an omitted one is kept; a
 * closed case refuses (CaseClosed) and keeps its amounts. The remainder follows from the new amounts.
 */
export function decideFeeChange(lifecycle: Lifecycle, current: CaseAmounts, given: Partial<CaseAmounts>): Decision<CaseAmounts> {
  if (lifecycle === 'Closed') return refuse('CaseClosed', 'The case is closed; its fees cannot be changed');
  const amounts = {
    grossAmount: given.grossAmount ?? current.grossAmount,
    interestFees: given.interestFees ?? current.interestFees,
    reminderFees: given.reminderFees ?? current.reminderFees,
    collectionFees: given.collectionFees ?? current.collectionFees,
  };
  for (const [name, value] of Object.entries(amounts)) if (value < 0n) return refuse('ValidationError', `${name}: must not be negative`, name);
  return ok(amounts);
}
