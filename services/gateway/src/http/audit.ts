// The values of an audit entry as the API shows them (SPEC §10, last point). The ledger stores what it
// knew at the time: a payment snapshot or a case's lifecycle values, with amounts in minor units as
// strings and its own field names (`amount: "30000"`). A partner reads that as thirty thousand, so the
// trail is mapped when read: the API's names (`paymentAmount`, `paymentRecipient`, …), money in major
// units of the case's currency (§1), dates as the API answers them. Mapping at read time covers every
// entry ever written, old ones included, and the stored history stays exactly as it was recorded.
import { answerDate, majorUnits } from '@pp/events';

/** Stored name → the API's name. Names not listed keep theirs (lifecycle, closeCode, comment, id). */
const NAMES: Readonly<Record<string, string>> = {
  amount: 'paymentAmount',
  recipient: 'paymentRecipient',
  commissionStatus: 'commissionPaymentStatus',
  invoiceId: 'platformInvoiceId',
  createdAt: 'dateCreated',
  updatedAt: 'dateUpdated',
  totalFees: 'totalAddedFees',
};

/** Stored fields that hold money in minor units (by their stored name). */
const MONEY = new Set([
  'amount',
  'payoutCreditor',
  'payoutCollectionPartner',
  'platformFee',
  'remainder',
  'grossAmount',
  'principal',
  'interestFees',
  'reminderFees',
  'collectionFees',
  'totalFees',
  'totalAddedFees',
]);

const MINOR_UNITS = /^-?\d{1,30}$/;

/** One stored `before`/`after` value as the API shows it; null stays null. */
export function auditValues(stored: unknown, currency: string): unknown {
  if (stored === null || typeof stored !== 'object' || Array.isArray(stored)) return stored;
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(stored as Record<string, unknown>)) {
    const shown = NAMES[name] ?? name;
    if (MONEY.has(name) && typeof value === 'string' && MINOR_UNITS.test(value)) out[shown] = majorUnits(value, currency);
    else if (name === 'date' && typeof value === 'string') out[shown] = answerDate(value);
    else if (name === 'invoiceId') out[shown] = value || null;
    else out[shown] = value;
  }
  // a payment snapshot says whether an invoicing run froze it, as the Payment object does (§4.3)
  if ('invoiceId' in (stored as Record<string, unknown>)) out.invoiced = Boolean(out.platformInvoiceId);
  return out;
}
