// gRPC messages → the JSON shapes of the contract (SPEC §3, §4). Money leaves as major units here.
import { CLOSE_CODES, isCloseCode, rateToNumber } from '@pp/domain';
import { answerDate, majorUnits, publicPayment } from '@pp/events';
import type { caseLifecycleV1, ledgerV1 } from '@pp/proto';
import type { PartnerRow } from '../infra/gateway.queries';

const money = majorUnits;
const orNull = (s: string) => (s === '' ? null : s);

/** The original API's creditor fields that the platform does not record (SPEC §10: null). */
const CREDITOR_UNKNOWN = {
  companyRegistrationNumber: null,
  officePhone: null,
  address: null,
  city: null,
  zipCode: null,
  state: null,
  country: null,
  division: null,
};
const DEBTOR_UNKNOWN = {
  contactPerson: null,
  companyRegistrationNumber: null,
  address: null,
  zipCode: null,
  city: null,
  state: null,
  stateAlpha2: null,
  countryAlpha2: null,
  country: null,
  email: null,
  phone: null,
};
/** The original API's case fields with no meaning here (no contracts, divisions, bank accounts, users, buckets): null. */
const CASE_UNKNOWN = {
  creditorComments: null,
  claimDescription: null,
  claimType: null,
  creditorDivisionId: null,
  bankAccount: null,
  blendedAgeUpliftPoints: null,
  solutionUrl: null,
  signingHandoff: null,
  exclusivePeriodEndDate: null,
  disputeStatus: null,
  validation: null,
  assignedUser: null,
  allocationOutstanding: null,
};

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

/** The case as the API shows it (SPEC §3, §10); `partner` is the case's partner (the caller, or the operator's choice). */
export function caseJson(
  c: caseLifecycleV1.Case__Output,
  a: ledgerV1.Account__Output | undefined,
  partner: Pick<PartnerRow, 'id' | 'company_name' | 'office_email'>,
) {
  const amounts = caseAmounts(c, a);
  const fees = BigInt(amounts.totalAddedFees);
  const totalPayments = a?.totalPayments ?? '0';
  const remainder = BigInt(amounts.grossAmount) + fees - BigInt(totalPayments);
  // The ledger's account is authoritative for the lifecycle (read-your-writes); the case mirrors it.
  const lifecycle = a?.lifecycle || c.lifecycle;
  const closeCode = lifecycle === 'Closed' ? (orNull(a?.closeCode ?? '') ?? orNull(c.closeCode)) : null;
  // Every change of a case after its creation is the ledger's (payments, fees, close, reopen): its account's
  // updatedAt is the case's. case-lifecycle's own copy follows asynchronously, stamped with the event's time
  // (a moment later than the account's), so taking the later of the two made dateUpdated move by itself,
  // milliseconds after a write, once the consumer caught up.
  const updated = a?.updatedAt || c.updatedAt;
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
    // always the parties' objects with their ids (SPEC §3): a party not given at creation has null fields
    creditor: {
      id: c.creditor?.id ?? null,
      companyName: c.hasCreditor ? orNull(c.creditor?.companyName ?? '') : null,
      officeEmail: c.hasCreditor ? orNull(c.creditor?.officeEmail ?? '') : null,
      ...CREDITOR_UNKNOWN,
    },
    debtor: {
      id: c.debtor?.id ?? null,
      type: c.hasDebtor ? orNull(c.debtor?.type ?? '') : null,
      name: c.hasDebtor ? orNull(c.debtor?.name ?? '') : null,
      ...DEBTOR_UNKNOWN,
    },
    collectionPartner: {
      id: partner.id,
      name: partner.company_name,
      officeEmail: partner.office_email,
      officePhone: null,
      publicSite: null,
      surveyCadenceMode: null,
    },
    date: c.date ? answerDate(c.date) : null,
    dueDate: c.dueDate ? answerDate(c.dueDate) : null,
    dateCreated: c.createdAt,
    dateUpdated: updated,
    dateFinished: lifecycle === 'Closed' ? (orNull(a?.closedAt ?? '') ?? orNull(c.finishedAt)) : null,
    dateCollectionStarted: c.createdAt,
    ...CASE_UNKNOWN,
  };
}

export function paymentJson(p: ledgerV1.Payment__Output, invoice: { caseId: string; reference: string; lifecycle: string }) {
  return publicPayment(p, p.currency, invoice);
}

export function closeCodeDescription(code: string): string {
  return isCloseCode(code) ? CLOSE_CODES[code] : code;
}

export { money };

/** A partner as the API shows it (GET /me, and the start of every operator view of a partner). */
export function partnerProfileJson(p: PartnerRow) {
  return {
    id: p.id,
    companyName: p.company_name,
    officeEmail: p.office_email,
    preLegalRevenueShare: Number(p.pre_legal_share_ppm) / 1e6,
    legalRevenueShare: Number(p.legal_share_ppm) / 1e6,
  };
}
