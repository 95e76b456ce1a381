// Creating a case spans two owners: the ledger opens the case's account (money and lifecycle), then
// case-lifecycle writes the case (reference, parties, terms) under the same id. The account comes
// first, so a case never exists without one; an account whose case was never written (a crash between
// the two, or a reference already taken) stays empty and is never shown. The reference is drawn here
// and its uniqueness is checked by case-lifecycle: on a collision, another id and reference are tried.
import { randomBytes, randomUUID } from 'node:crypto';
import { caseReference, DomainError, revenueShareFor, type EngagementPhase } from '@pp/domain';
import type { CallContext, GrpcClient } from '@pp/platform';
import type { CaseLifecycleDefinition, caseLifecycleV1, LedgerDefinition } from '@pp/proto';

export interface CreateCaseDeps {
  readonly ledger: Pick<GrpcClient<LedgerDefinition>, 'OpenAccount'>;
  readonly cases: Pick<GrpcClient<CaseLifecycleDefinition>, 'CreateCase'>;
  readonly newId?: () => string;
  readonly randomBytes?: (n: number) => Uint8Array;
}

export type NewCase = Omit<caseLifecycleV1.CreateCaseRequest, 'id' | 'reference'> & {
  partnerId: string;
  currency: string;
  grossAmount: string;
  interestFees: string;
  reminderFees: string;
  collectionFees: string;
  successFeePpm: string;
  isTest: boolean;
  engagementPhase: string;
};

export interface PartnerTerms {
  readonly officeEmail: string;
  readonly preLegalSharePpm: bigint;
  readonly legalSharePpm: bigint;
}

const ATTEMPTS = 5;

export async function createCase(deps: CreateCaseDeps, c: NewCase, partner: PartnerTerms, call: CallContext): Promise<caseLifecycleV1.Case__Output> {
  const newId = deps.newId ?? randomUUID;
  const bytes = deps.randomBytes ?? randomBytes;
  const revenueSharePpm = revenueShareFor(c.engagementPhase as EngagementPhase, partner.preLegalSharePpm, partner.legalSharePpm);
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const id = newId();
    const reference = caseReference(bytes);
    await deps.ledger.OpenAccount(
      {
        caseId: id,
        partnerId: c.partnerId,
        reference,
        currency: c.currency,
        grossAmount: c.grossAmount,
        interestFees: c.interestFees,
        reminderFees: c.reminderFees,
        collectionFees: c.collectionFees,
        successFeePpm: c.successFeePpm,
        revenueSharePpm: revenueSharePpm.toString(),
        isTest: c.isTest,
        notifyEmail: partner.officeEmail,
      },
      call,
    );
    try {
      return await deps.cases.CreateCase({ ...c, id, reference }, call);
    } catch (error) {
      if (!(error instanceof DomainError && error.type === 'ValidationError' && error.field === 'reference')) throw error;
    }
  }
  throw new DomainError('InternalError', 'Could not allocate a unique case reference');
}
