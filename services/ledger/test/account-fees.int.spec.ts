// Issue 14, the medium tier: openAccount and updateFees on the real PostgreSQL, without the other
// processes. An account is opened once per case id (a retry gets it back) with its currency's digits and
// its fee breakdown; a fee change (SPEC §10 PUT /cases/{id}/fees) replaces the amounts given, keeps the
// others, moves the remainder at once (the next payment sees it), writes one FeesUpdated audit entry and
// one account.fees_updated event, nothing when nothing changes, and is refused on a closed case.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeAccount } from '../src/app/close-account';
import { updateFees, type UpdateFeesCommand } from '../src/app/update-fees';
import type { AccountRow } from '../src/infra/ledger.queries';
import { caseRefOf, envelope, ledgerHarness, T0, type LedgerHarness } from './ledger-harness';

let h: LedgerHarness;
beforeAll(async () => {
  h = await ledgerHarness('fees');
});
afterAll(() => h?.close());

const fees = (account: AccountRow, over: Partial<UpdateFeesCommand> = {}) =>
  updateFees(h.ctx, {
    partnerId: account.partner_id,
    caseId: account.case_id,
    createdWith: { interestFees: 1_000n, reminderFees: 500n, collectionFees: 2_500n },
    actor: 'partner:test',
    ...over,
  });

describe('openAccount', () => {
  it.each([
    ['EUR', 2],
    ['JPY', 0],
    ['KWD', 3],
  ])('a %s account keeps %s digits, the fee breakdown and its sum, and starts Active with nothing paid', async (currency, digits) => {
    const account = await h.openCase({ currency });
    expect(account).toMatchObject({
      currency,
      digits,
      gross_amount: '100000',
      interest_fees: '1000',
      reminder_fees: '500',
      collection_fees: '2500',
      total_fees: '4000',
      total_payments: '0',
      payment_count: 0,
      success_fee_ppm: '205000',
      revenue_share_ppm: '400000',
      lifecycle: 'Active',
      close_code: null,
      closed_at: null,
    });
    // opening writes no event and no audit entry: case-lifecycle owns the case's creation
    expect(await h.outbox(account.case_id)).toEqual([]);
    expect(await h.audit(account.case_id)).toEqual([]);
  });

  it("opening a case id again answers the account as it is (a retry), without resetting its payments; another partner's id is refused", async () => {
    const account = await h.openCase();
    await h.record(account.case_id, account.partner_id, { amount: 4_000n });
    const again = await h.openCase({ caseId: account.case_id, partnerId: account.partner_id, grossAmount: 1n, reference: account.reference });
    expect(again).toMatchObject({ gross_amount: '100000', total_payments: '4000', payment_count: 1 });
    await expect(h.openCase({ caseId: account.case_id })).rejects.toMatchObject({ type: 'ValidationError', field: 'id' });
  });

  it('an unknown currency is refused', async () => {
    await expect(h.openCase({ currency: 'XXY' })).rejects.toMatchObject({ type: 'ValidationError', field: 'currency' });
  });
});

describe('updateFees', () => {
  it('replaces the amounts given, keeps the others, and moves the remainder the next payment sees', async () => {
    const account = await h.openCase();
    await h.record(account.case_id, account.partner_id, { amount: 4_000n });
    const updated = await fees(account, { interestFees: 3_000n, grossAmount: 90_000n });
    expect(updated).toMatchObject({
      gross_amount: '90000',
      interest_fees: '3000',
      reminder_fees: '500',
      collection_fees: '2500',
      total_fees: '6000',
      total_payments: '4000',
    });
    const next = await h.record(account.case_id, account.partner_id, { amount: 1_000n });
    expect(next.result.remainder).toBe('91000'); // 90000 + 6000 − 5000
  });

  it('writes one FeesUpdated audit entry with the amounts before and after, and an account.fees_updated event', async () => {
    const account = await h.openCase({ currency: 'KWD' });
    await h.record(account.case_id, account.partner_id, { amount: 1_125n });
    const at = new Date('2026-12-05T07:00:00.000Z');
    h.setNow(at);
    await fees(account, { reminderFees: 0n, collectionFees: 10_000n, actor: 'operator:1', requestId: 'req-f' });
    h.setNow(T0);
    const audit = (await h.audit(account.case_id)).filter((a) => a.type === 'FeesUpdated');
    expect(audit).toEqual([
      {
        type: 'FeesUpdated',
        payment_id: null,
        before: { grossAmount: '100000', interestFees: '1000', reminderFees: '500', collectionFees: '2500', totalAddedFees: '4000', remainder: '102875' },
        after: { grossAmount: '100000', interestFees: '1000', reminderFees: '0', collectionFees: '10000', totalAddedFees: '11000', remainder: '109875' },
        actor: 'operator:1',
        at,
      },
    ]);
    const events = await h.outbox(account.case_id);
    expect(events.map((e) => e.envelope.type)).toEqual(['payment.recorded', 'account.fees_updated']);
    expect(events[1]!.headers).toEqual({ 'x-request-id': 'req-f' });
    expect(events[1]!.envelope).toEqual(envelope('account.fees_updated', account.case_id, caseRefOf(account, 109_875n), at));
    expect((await h.account(account.case_id)).updated_at).toEqual(at);
  });

  it('an update that changes nothing writes nothing (no audit entry, no event)', async () => {
    const account = await h.openCase();
    const before = await h.snapshotOf(account.case_id);
    await fees(account, {});
    await fees(account, { grossAmount: 100_000n, interestFees: 1_000n });
    expect(await h.snapshotOf(account.case_id)).toEqual(before);
  });

  it('a negative amount is refused (ValidationError on that field) and changes nothing', async () => {
    const account = await h.openCase();
    const before = await h.snapshotOf(account.case_id);
    await expect(fees(account, { reminderFees: -1n })).rejects.toMatchObject({ type: 'ValidationError', field: 'reminderFees' });
    expect(await h.snapshotOf(account.case_id)).toEqual(before);
  });

  it('a closed case refuses (CaseClosed) and keeps its amounts; an unknown case is CaseNotFound', async () => {
    const account = await h.openCase();
    await closeAccount(h.ctx, { partnerId: account.partner_id, caseId: account.case_id, closeCode: 'Other', comment: null, actor: 'partner:test' });
    const before = await h.snapshotOf(account.case_id);
    await expect(fees(account, { interestFees: 0n })).rejects.toMatchObject({ type: 'CaseClosed' });
    expect(await h.snapshotOf(account.case_id)).toEqual(before);
    await expect(fees({ ...account, case_id: randomUUID() }, { interestFees: 0n })).rejects.toMatchObject({ type: 'CaseNotFound' });
  });

  it('an account opened before the breakdown was kept takes it from the case when it adds up, else its sum is interest', async () => {
    const legacy = async () => {
      const account = await h.openCase();
      await h.db.raw('UPDATE ledger.accounts SET interest_fees = NULL, reminder_fees = NULL, collection_fees = NULL WHERE case_id = ?', [account.case_id]);
      return account;
    };
    const adds = await legacy();
    expect(await fees(adds, { collectionFees: 0n })).toMatchObject({ interest_fees: '1000', reminder_fees: '500', collection_fees: '0', total_fees: '1500' });
    const off = await legacy();
    const out = await fees(off, { createdWith: { interestFees: 9n, reminderFees: 9n, collectionFees: 9n }, collectionFees: 100n });
    expect(out).toMatchObject({ interest_fees: '4000', reminder_fees: '0', collection_fees: '100', total_fees: '4100' });
  });

  it('a fee change racing payments on one case loses neither', async () => {
    const account = await h.openCase();
    await Promise.all([
      h.record(account.case_id, account.partner_id, { amount: 1_000n }),
      fees(account, { interestFees: 11_000n }),
      h.record(account.case_id, account.partner_id, { amount: 2_000n }),
    ]);
    expect(await h.account(account.case_id)).toMatchObject({ interest_fees: '11000', total_fees: '14000', total_payments: '3000', payment_count: 2 });
    const next = await h.record(account.case_id, account.partner_id, { amount: 0n });
    expect(next.result.remainder).toBe('111000');
  });
});
