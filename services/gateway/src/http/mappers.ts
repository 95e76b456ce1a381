// gRPC messages → the JSON shapes of the contract (SPEC §3, §4). Money leaves as major units here.
import { CLOSE_CODES, isCloseCode, rateToNumber } from '@pp/domain';
import { majorUnits, publicPayment } from '@pp/events';
import type { caseLifecycleV1, ledgerV1 } from '@pp/proto';

const money = majorUnits;
const orNull = (s: string) => (s === '' ? null : s);

/**
 * The principal and fee breakdown of a case. The ledger owns the money and changes them (PUT /cases/{id}/fees),
 * so its account is the truth; only an account opened before the ledger kept the breakdown falls back to
 * the breakdown the case was created with (case-lifecycle's record, never changed since).
 */
export function caseAmounts(c: caseLifecycleV1.Case__Output, a: ledgerV1.Account__Output | undefined) {
  const source = a?.hasFeeBreakdown ? a : c;
  return {
    grossAmount: a?.grossAmount ?? c.grossAmount,
    interestFees: source.interestFees,
    reminderFees: source.reminderFees,
    collectionFees: source.collectionFees,
    totalAddedFees: (BigInt(source.interestFees) + BigInt(source.reminderFees) + BigInt(source.collectionFees)).toString(),
  };
}

export function caseJson(c: caseLifecycleV1.Case__Output, a: ledgerV1.Account__Output | undefined) {
  const amounts = caseAmounts(c, a);
  const fees = BigInt(amounts.totalAddedFees);
  const totalPayments = a?.totalPayments ?? '0';
  const remainder = BigInt(amounts.grossAmount) + fees - BigInt(totalPayments);
  // The ledger's account is authoritative for the lifecycle (read-your-writes); the case mirrors it.
  const lifecycle = a?.lifecycle || c.lifecycle;
  const closeCode = lifecycle === 'Closed' ? orNull(a?.closeCode ?? '') ?? orNull(c.closeCode) : null;
  const updated = [c.updatedAt, a?.updatedAt ?? ''].filter(Boolean).sort().at(-1) ?? c.updatedAt;
  return {
    id: c.id,
    reference: c.reference,
    isTestCase: c.isTest,
    lifecycle,
    closeCode,
    currency: c.currency,
    grossAmount: money(amounts.grossAmount, c.currency),
    interestFees: money(amounts.interestFees, c.currency),
    reminderFees: money(amounts.reminderFees, c.currency),
    collectionFees: money(amounts.collectionFees, c.currency),
    totalAddedFees: money(fees.toString(), c.currency),
    totalPayments: money(totalPayments, c.currency),
    remainder: money(remainder.toString(), c.currency),
    preLegalSuccessFee: rateToNumber(BigInt(c.successFeePpm), 100),
    currentEngagementPhase: c.engagementPhase,
    creditorReference: c.hasCreditorReference ? c.creditorReference : null,
    creditor: c.hasCreditor && c.creditor ? { companyName: orNull(c.creditor.companyName), officeEmail: orNull(c.creditor.officeEmail) } : null,
    debtor: c.hasDebtor && c.debtor ? { type: orNull(c.debtor.type), name: orNull(c.debtor.name) } : null,
    dateCreated: c.createdAt,
    dateUpdated: updated,
    dateFinished: lifecycle === 'Closed' ? orNull(a?.closedAt ?? '') ?? orNull(c.finishedAt) : null,
  };
}

export function paymentJson(p: ledgerV1.Payment__Output, invoice: { caseId: string; reference: string; lifecycle: string }) {
  return publicPayment(p, p.currency, invoice);
}

export function closeCodeDescription(code: string): string {
  return isCloseCode(code) ? CLOSE_CODES[code] : code;
}

export { money };
