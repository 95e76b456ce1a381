// Issue 14, the medium tier: recordPayment on the real PostgreSQL, without the other processes. How one
// payment is divided (SPEC §4.1): the partner's commission = round_half_up(amount × successFee), the
// creditor gets the rest, the platform's fee = round_half_up(commission × revenue share), in the minor
// units of the case's currency (JPY 0, EUR 2, KWD 3 decimals); an explicit split within 0.01; the
// recipient and the commission status; the advisory warnings. Every amount is read back from the rows.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WARNINGS } from '@pp/domain';
import { ledgerHarness, type LedgerHarness } from './ledger-harness';

let h: LedgerHarness;
beforeAll(async () => {
  h = await ledgerHarness('split');
});
afterAll(() => h?.close());

/** Records one payment on a fresh case and returns the split as stored (payouts row) and as answered. */
async function split(currency: string, amount: bigint, successFeePpm: bigint, revenueSharePpm: bigint) {
  const account = await h.openCase({ currency, successFeePpm, revenueSharePpm, grossAmount: 10n ** 16n });
  const out = await h.record(account.case_id, account.partner_id, { amount });
  const [stored] = await h.payments(account.case_id);
  expect([out.payment.payout_creditor, out.payment.payout_collection_partner, out.payment.platform_fee]).toEqual([
    stored!.payout_creditor,
    stored!.payout_collection_partner,
    stored!.platform_fee,
  ]);
  await h.expectJournalBalanced(account.case_id);
  return [stored!.payout_creditor, stored!.payout_collection_partner, stored!.platform_fee];
}

describe('default split (SPEC §4.1)', () => {
  it.each([
    // currency, amount (minor), success fee ppm, revenue share ppm → creditor, partner, platform fee
    ['EUR', 12_345n, 205_000n, 400_000n, ['9814', '2531', '1012']], // 2530.725 → 2531; 1012.4 → 1012
    ['EUR', 10n, 150_000n, 250_000n, ['8', '2', '1']], // ties round half up: 1.5 → 2, 0.5 → 1
    ['EUR', 1n, 205_000n, 400_000n, ['1', '0', '0']], // one cent: no commission
    ['JPY', 5_000n, 205_000n, 400_000n, ['3975', '1025', '410']],
    ['JPY', 333n, 205_000n, 400_000n, ['265', '68', '27']], // 68.265 → 68 yen; 27.2 → 27
    ['KWD', 1_125n, 205_000n, 400_000n, ['894', '231', '92']], // 1.125 KWD: 230.625 → 231 fils
    ['KWD', 7n, 500_000n, 500_000n, ['3', '4', '2']], // 3.5 → 4, 2 → 2
    ['EUR', 999_999_999_999_999n, 205_000n, 333_333n, ['794999999999999', '205000000000000', '68333265000000']], // exact, no double
    ['EUR', 10_000n, 0n, 400_000n, ['10000', '0', '0']], // no success fee
    ['EUR', 10_000n, 1_000_000n, 1_000_000n, ['0', '10000', '10000']], // all to the partner, all of it shared
  ] as const)('%s %s at %s ppm, share %s ppm → creditor, partner, platform %j', async (currency, amount, fee, share, expected) => {
    expect(await split(currency, amount, fee, share)).toEqual(expected);
  });

  it("takes the rates from the case's account, not from anywhere else: two cases, two splits of one amount", async () => {
    expect(await split('EUR', 20_000n, 100_000n, 500_000n)).toEqual(['18000', '2000', '1000']);
    expect(await split('EUR', 20_000n, 300_000n, 200_000n)).toEqual(['14000', '6000', '1200']);
  });
});

describe('explicit split', () => {
  const explicit = async (currency: string, amount: bigint, payoutCreditor: bigint, payoutCollectionPartner: bigint) => {
    const account = await h.openCase({ currency });
    const out = await h.record(account.case_id, account.partner_id, { amount, explicitSplit: { payoutCreditor, payoutCollectionPartner } });
    const [stored] = await h.payments(account.case_id);
    await h.expectJournalBalanced(account.case_id);
    return { out, stored: [stored!.payout_creditor, stored!.payout_collection_partner, stored!.platform_fee] };
  };

  it('is taken as sent when it sums to the amount; the platform fee is the share of the partner part', async () => {
    const { stored, out } = await explicit('EUR', 10_000n, 7_000n, 3_000n);
    expect(stored).toEqual(['7000', '3000', '1200']);
    expect(out.result.warnings).toEqual([]);
  });

  it.each([
    ['EUR', 10_000n, 8_000n, 1_999n, ['8001', '1999', '800']], // 1 cent short: the creditor absorbs it
    ['EUR', 10_000n, 8_001n, 2_000n, ['8000', '2000', '800']], // 1 cent over
    ['KWD', 1_000n, 795n, 200n, ['800', '200', '80']], // 5 fils short, tolerance 10 fils
    ['KWD', 1_000n, 810n, 200n, ['800', '200', '80']], // 10 fils over, at the tolerance
    ['JPY', 1_000n, 800n, 200n, ['800', '200', '80']], // exact: yen have no cents
  ] as const)('%s %s sent as %s + %s is within 0.01: stored %j, summing to the amount', async (currency, amount, c, p, expected) => {
    expect((await explicit(currency, amount, c, p)).stored).toEqual(expected);
  });

  it.each([
    ['EUR', 10_000n, 8_000n, 1_998n, 'payoutCreditor'], // 2 cents short
    ['KWD', 1_000n, 811n, 200n, 'payoutCreditor'], // 11 fils over
    ['JPY', 1_000n, 799n, 200n, 'payoutCreditor'], // one yen is more than 0.01
    ['EUR', 100n, 0n, 101n, 'payoutCollectionPartner'], // within 0.01, but more than the payment to the partner
  ] as const)('%s %s sent as %s + %s is refused (ValidationError on %s) and nothing is written', async (currency, amount, c, p, field) => {
    const account = await h.openCase({ currency });
    const before = await h.snapshotOf(account.case_id);
    await expect(
      h.record(account.case_id, account.partner_id, { amount, explicitSplit: { payoutCreditor: c, payoutCollectionPartner: p } }),
    ).rejects.toMatchObject({ type: 'ValidationError', field });
    expect(await h.snapshotOf(account.case_id)).toEqual(before);
  });
});

describe('recipient and commission status', () => {
  it.each([
    ['CollectionPartner', undefined, 'Paid'],
    ['CollectionPartner', 'Unpaid', 'Paid'], // ignored: the partner holds its commission
    ['Platform', 'Unpaid', 'Paid'],
    ['Creditor', 'Unpaid', 'Unpaid'],
    ['Creditor', 'Paid', 'Paid'],
  ] as const)('recipient %s with status %s is stored with commission %s, the split unchanged', async (recipient, commissionStatus, stored) => {
    const account = await h.openCase();
    const out = await h.record(account.case_id, account.partner_id, { amount: 12_345n, recipient, commissionStatus });
    expect(out.payment).toMatchObject({
      recipient,
      commission_status: stored,
      payout_creditor: '9814',
      payout_collection_partner: '2531',
      platform_fee: '1012',
    });
    const { rows } = await h.db.raw<{ rows: { recipient: string; commission_status: string }[] }>(
      'SELECT recipient, commission_status FROM ledger.payments WHERE case_id = ?',
      [account.case_id],
    );
    expect(rows).toEqual([{ recipient, commission_status: stored }]);
  });

  it('a Creditor payment without a commission status is refused (ValidationError on commissionPaymentStatus); nothing is written', async () => {
    const account = await h.openCase();
    const before = await h.snapshotOf(account.case_id);
    await expect(h.record(account.case_id, account.partner_id, { recipient: 'Creditor' })).rejects.toMatchObject({
      type: 'ValidationError',
      field: 'commissionPaymentStatus',
    });
    expect(await h.snapshotOf(account.case_id)).toEqual(before);
  });
});

describe('warnings (advisory, explicit splits only)', () => {
  it('an explicit split giving the creditor nothing is recorded with the creditorGetsNothing warning', async () => {
    const account = await h.openCase();
    const out = await h.record(account.case_id, account.partner_id, { amount: 500n, explicitSplit: { payoutCreditor: 0n, payoutCollectionPartner: 500n } });
    expect(out.result.warnings).toEqual([WARNINGS.creditorGetsNothing]);
    expect((await h.payments(account.case_id)).map((p) => [p.payout_creditor, p.payout_collection_partner, p.platform_fee])).toEqual([['0', '500', '200']]);
  });

  it('an explicit split on a case with nothing left to pay warns of a duplicate; a default split never warns', async () => {
    const account = await h.openCase({ grossAmount: 1_000n, interestFees: 0n, reminderFees: 0n, collectionFees: 0n });
    expect((await h.record(account.case_id, account.partner_id, { amount: 1_000n })).result.warnings).toEqual([]);
    expect((await h.record(account.case_id, account.partner_id, { amount: 1_000n })).result.warnings).toEqual([]);
    const both = await h.record(account.case_id, account.partner_id, { amount: 100n, explicitSplit: { payoutCreditor: 0n, payoutCollectionPartner: 100n } });
    expect(both.result.warnings).toEqual([WARNINGS.creditorGetsNothing, WARNINGS.noOutstandingBalance]);
    const dup = await h.record(account.case_id, account.partner_id, { amount: 100n, explicitSplit: { payoutCreditor: 50n, payoutCollectionPartner: 50n } });
    expect(dup.result.warnings).toEqual([WARNINGS.noOutstandingBalance]);
    // the warning is stored with the answer, as an idempotent replay gives it back
    const { rows } = await h.db.raw<{ rows: { record_result: { warnings: string[] } }[] }>('SELECT record_result FROM ledger.payments WHERE id = ?', [
      dup.payment.id,
    ]);
    expect(rows[0]!.record_result.warnings).toEqual([WARNINGS.noOutstandingBalance]);
  });
});
