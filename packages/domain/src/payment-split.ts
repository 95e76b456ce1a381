// How one payment is divided between creditor, partner commission and the platform's revenue share.
import { DomainError } from './errors';
import type { Minor } from './money';
import { applyRate, type Ppm } from './rate';

export const PAYMENT_RECIPIENTS = ['CollectionPartner', 'Creditor', 'Platform'] as const;
export type PaymentRecipient = (typeof PAYMENT_RECIPIENTS)[number];

export const COMMISSION_STATUSES = ['Paid', 'Unpaid'] as const;
export type CommissionStatus = (typeof COMMISSION_STATUSES)[number];

export const ENGAGEMENT_PHASES = ['Pre-legal', 'Legal'] as const;
export type EngagementPhase = (typeof ENGAGEMENT_PHASES)[number];

export interface SplitTerms {
  /** Partner's success fee as a fraction in ppm (20.5 % = 0.205 = 205000 ppm). */
  readonly successFeePpm: Ppm;
  /** Platform's revenue share of the partner's commission, ppm (0.40 = 400000). */
  readonly revenueSharePpm: Ppm;
}

export interface ExplicitSplit {
  readonly payoutCreditor: Minor;
  readonly payoutCollectionPartner: Minor;
}

export interface Split {
  readonly payoutCreditor: Minor;
  readonly payoutCollectionPartner: Minor;
  readonly platformFee: Minor;
}

/**
 * Default split: partner commission = amount × successFee/100, rounded half up; creditor gets the rest.
 * Explicit split: taken as sent when it sums to the amount within `tolerance`; the creditor's share
 * absorbs a difference inside the tolerance so the payouts always add up to the amount exactly.
 */
export function computeSplit(amount: Minor, terms: SplitTerms, explicit: ExplicitSplit | undefined, tolerance: Minor): Split {
  let partner: Minor;
  if (explicit === undefined) {
    partner = applyRate(amount, terms.successFeePpm);
  } else {
    const diff = explicit.payoutCreditor + explicit.payoutCollectionPartner - amount;
    if (diff > tolerance || -diff > tolerance) {
      throw new DomainError('ValidationError', 'payoutCreditor and payoutCollectionPartner must sum to paymentAmount', 'payoutCreditor');
    }
    if (explicit.payoutCollectionPartner > amount) {
      throw new DomainError('ValidationError', 'payoutCollectionPartner cannot exceed paymentAmount', 'payoutCollectionPartner');
    }
    partner = explicit.payoutCollectionPartner;
  }
  return { payoutCreditor: amount - partner, payoutCollectionPartner: partner, platformFee: applyRate(partner, terms.revenueSharePpm) };
}

/** Commission status as stored: only a Creditor payment can leave the commission unpaid. */
export function effectiveCommissionStatus(recipient: PaymentRecipient, requested: CommissionStatus | undefined): CommissionStatus | 'missing' {
  if (recipient !== 'Creditor') return 'Paid';
  return requested ?? 'missing';
}

export function commissionOwed(recipient: PaymentRecipient, status: CommissionStatus): boolean {
  return recipient === 'Creditor' && status === 'Unpaid';
}

export function revenueShareFor(phase: EngagementPhase, preLegal: Ppm, legal: Ppm): Ppm {
  return phase === 'Legal' ? legal : preLegal;
}
