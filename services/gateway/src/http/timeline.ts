// GET /cases/{id}/timeline (SPEC §10): the readable view of the audit trail. One item for the case's
// creation, then one per audit entry in the trail's order (oldest first), each with a title and a
// sentence a person reads. Amounts are written as the API shows money (§1: `300 EUR` for 300.00), from
// the values ./audit maps to the API's names, never the ledger's minor units or field names.
import { CLOSE_CODES, isCloseCode } from '@pp/domain';
import { majorUnits } from '@pp/events';
import { auditValues } from './audit';

export const ACTOR_TYPES = ['Partner', 'Operator', 'System'] as const;
export type ActorType = (typeof ACTOR_TYPES)[number];

export interface TimelineItem {
  date: string;
  type: string;
  title: string;
  description: string;
  actor: { type: ActorType; name: string | null };
}

/** An audit entry as GET /cases/{id}/audit reads it from the ledger (JSON text, '' for none). */
export interface StoredEntry {
  type: string;
  beforeJson: string;
  afterJson: string;
  actor: string;
  at: string;
}

export interface CaseFacts {
  reference: string;
  currency: string;
  createdAt: string;
  /** as created: case-lifecycle's record, which fee changes never touch */
  grossAmount: string;
  interestFees: string;
  reminderFees: string;
  collectionFees: string;
  /** who created it: the partner itself (POST /managed-cases) or the operator (POST /admin/cases) */
  createdBy: { type: ActorType; name: string | null };
}

type Values = Record<string, unknown>;

const TITLES: Readonly<Record<string, string>> = {
  CaseCreated: 'Case created',
  PaymentRecorded: 'Payment recorded',
  PaymentUpdated: 'Payment corrected',
  PaymentDeleted: 'Payment deleted',
  CommissionSettled: 'Commission settled',
  FeesUpdated: 'Fees updated',
  CaseClosed: 'Case closed',
  CaseReopened: 'Case reopened',
};

/** paymentRecipient in words (SPEC §4.1). */
const PAID_TO: Readonly<Record<string, string>> = {
  CollectionPartner: 'paid to the collection partner',
  Creditor: 'paid to the creditor directly',
  Platform: 'paid through the platform',
};

const FEE_LABELS: readonly (readonly [string, string])[] = [
  ['grossAmount', 'principal'],
  ['interestFees', 'interest fees'],
  ['reminderFees', 'reminder fees'],
  ['collectionFees', 'collection fees'],
  ['totalAddedFees', 'total added fees'],
  ['remainder', 'remainder'],
];

export function timeline(c: CaseFacts, entries: readonly StoredEntry[]): TimelineItem[] {
  const amount = (value: unknown) => `${typeof value === 'number' ? value : 0} ${c.currency}`;
  const minor = (value: string) => amount(majorUnits(value, c.currency));
  const fees = (BigInt(c.interestFees || '0') + BigInt(c.reminderFees || '0') + BigInt(c.collectionFees || '0')).toString();
  const created: TimelineItem = {
    date: c.createdAt,
    type: 'CaseCreated',
    title: TITLES.CaseCreated!,
    description: `Case ${c.reference} created with a principal of ${minor(c.grossAmount)} and added fees of ${minor(fees)}.`,
    actor: c.createdBy,
  };
  const day = (v: Values) => String(v.date ?? '').slice(0, 10);
  const paidTo = (v: Values) => PAID_TO[String(v.paymentRecipient)] ?? `paid to ${String(v.paymentRecipient)}`;
  const payment = (v: Values) => `${amount(v.paymentAmount)} dated ${day(v)}`;
  const read = (json: string): Values => {
    const parsed = json === '' ? null : auditValues(JSON.parse(json) as unknown, c.currency);
    return parsed !== null && typeof parsed === 'object' ? (parsed as Values) : {};
  };
  const describe = (type: string, before: Values, after: Values): string => {
    switch (type) {
      case 'PaymentRecorded':
        return `Payment of ${payment(after)} recorded, ${paidTo(after)}: ${amount(after.payoutCreditor)} to the creditor, ${amount(after.payoutCollectionPartner)} to the collection partner.`;
      case 'PaymentUpdated':
        return `Payment of ${payment(before)} (${paidTo(before)}) corrected to ${payment(after)} (${paidTo(after)}).`;
      case 'PaymentDeleted':
        return `Payment of ${payment(before)} deleted.`;
      case 'CommissionSettled':
        return `Commission of ${amount(after.payoutCollectionPartner)} on the payment of ${payment(after)} marked paid.`;
      case 'FeesUpdated': {
        const changes = FEE_LABELS.filter(([name]) => before[name] !== after[name]).map(
          ([name, label]) => `${label} ${amount(before[name])} → ${amount(after[name])}`,
        );
        return `${changes.join('; ')}.`.replace(/^./, (s) => s.toUpperCase());
      }
      case 'CaseClosed': {
        const code = String(after.closeCode);
        const why = isCloseCode(code) ? ` (${CLOSE_CODES[code]})` : '';
        const comment = typeof after.comment === 'string' && after.comment !== '' ? ` Comment: ${after.comment}` : '';
        return `Closed as ${code}${why} with a remainder of ${amount(after.remainder)}.${comment}`;
      }
      case 'CaseReopened':
        return `Reopened from ${String(before.closeCode)} by a payment correction; remainder ${amount(after.remainder)}.`;
      default:
        return type;
    }
  };
  const items = entries.map((e): TimelineItem => ({
    date: e.at,
    type: e.type,
    title: TITLES[e.type] ?? e.type,
    description: describe(e.type, read(e.beforeJson), read(e.afterJson)),
    // every entry so far is written on a partner's call, under its company name; none means the platform
    actor: e.actor === '' ? { type: 'System', name: null } : { type: 'Partner', name: e.actor },
  }));
  return [created, ...items];
}
