import type { caseLifecycleV1, ledgerV1 } from '@pp/proto';
import { describe, expect, it } from 'vitest';
import { caseJson } from './mappers';

const partner = { id: 'p1', company_name: 'P', office_email: 'p@example.test' };
const theCase = {
  id: 'c1',
  partnerId: 'p1',
  reference: 'REF',
  currency: 'EUR',
  grossAmount: '100000',
  interestFees: '0',
  reminderFees: '0',
  collectionFees: '0',
  successFeePpm: '200000',
  engagementPhase: 'Pre-legal',
  lifecycle: 'Active',
  createdAt: '2026-11-01T10:00:00.000Z',
  // the consumer's copy, stamped with the event's time: a moment after the account's
  updatedAt: '2026-11-01T10:05:00.004Z',
} as unknown as caseLifecycleV1.Case__Output;
const account = {
  caseId: 'c1',
  currency: 'EUR',
  grossAmount: '100000',
  interestFees: '0',
  reminderFees: '0',
  collectionFees: '0',
  totalPayments: '2000',
  hasFeeBreakdown: true,
  lifecycle: 'Active',
  updatedAt: '2026-11-01T10:05:00.001Z',
} as unknown as ledgerV1.Account__Output;

describe('caseJson', () => {
  it("dates the case's last change by its ledger account, whether or not case-lifecycle's copy has caught up", () => {
    const caughtUp = caseJson(theCase, account, partner);
    const behind = caseJson({ ...theCase, updatedAt: '2026-11-01T10:00:00.000Z' }, account, partner);
    expect(caughtUp.dateUpdated).toBe('2026-11-01T10:05:00.001Z');
    expect(behind.dateUpdated).toBe(caughtUp.dateUpdated);
    expect(caseJson(theCase, undefined, partner).dateUpdated).toBe(theCase.updatedAt);
  });
});
