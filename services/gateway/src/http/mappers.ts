// gRPC messages → the JSON shapes of the contract (SPEC §3, §4). Money leaves as major units here.
import { CLOSE_CODES, isCloseCode, rateToNumber } from '@pp/domain';
import { majorUnits, publicPayment } from '@pp/events';
import type { caseLifecycleV1, ledgerV1 } from '@pp/proto';

const money = majorUnits;
const orNull = (s: string) => (s === '' ? null : s);

export function caseJson(c: caseLifecycleV1.Case__Output, a: ledgerV1.Account__Output | undefined) {
  const fees = BigInt(c.interestFees) + BigInt(c.reminderFees) + BigInt(c.collectionFees);
  const totalPayments = a?.totalPayments ?? '0';
  const remainder = BigInt(c.grossAmount) + fees - BigInt(totalPayments);
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
    grossAmount: money(c.grossAmount, c.currency),
    interestFees: money(c.interestFees, c.currency),
    reminderFees: money(c.reminderFees, c.currency),
    collectionFees: money(c.collectionFees, c.currency),
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
