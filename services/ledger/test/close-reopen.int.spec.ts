// Issue 14, the medium tier: closing and reopening a case's account on the real PostgreSQL, without the
// other processes, against today's API (closeAccount, recordPayment's closeCase, a correction's
// reopenConsent; account.closed / account.reopened events). Kept apart from the payment specs: the close
// and reopen path and the account events are changing (a per-account version, the ledger as the only
// lifecycle owner), and this file is the one to adapt.
// Rules (SPEC §3, §4.1, §4.4): Paid needs a payment and remainder ≤ 0, PartiallyPaid a payment and
// remainder > 0, the other codes nothing; a closed case refuses payments and a second close; closeCase
// closes as Paid only when the payment settles the balance; a correction leaving a Paid case with
// remainder > 0 needs consent and then reopens it; a case closed with another code stays closed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLOSE_CODE_NAMES } from '@pp/domain';
import { closeAccount } from '../src/app/close-account';
import { deletePayment, updatePayment } from '../src/app/correct-payment';
import type { AccountRow } from '../src/infra/ledger.queries';
import { caseRefOf, envelope, ledgerHarness, T0, type LedgerHarness } from './ledger-harness';

let h: LedgerHarness;
beforeAll(async () => {
  h = await ledgerHarness('close');
});
afterAll(() => h?.close());

const close = (account: AccountRow, closeCode: string, comment: string | null = null) =>
  closeAccount(h.ctx, { partnerId: account.partner_id, caseId: account.case_id, closeCode, comment, actor: 'partner:test', requestId: 'req-c' });

/** A case owing 1000 (no fees) with `paid` recorded in one payment (none when 0). */
async function caseWith(paid: bigint, over: { closeCase?: boolean } = {}) {
  const account = await h.openCase({ grossAmount: 1_000n, interestFees: 0n, reminderFees: 0n, collectionFees: 0n });
  const payment = paid > 0n ? (await h.record(account.case_id, account.partner_id, { amount: paid, ...over })).payment : undefined;
  return { account, payment };
}

describe('closeAccount: the close-code rules', () => {
  it.each([
    // code, paid of 1000, allowed
    ['Paid', 0n, false],
    ['Paid', 999n, false],
    ['Paid', 1_000n, true],
    ['Paid', 1_200n, true], // over-paid
    ['PartiallyPaid', 0n, false],
    ['PartiallyPaid', 999n, true],
    ['PartiallyPaid', 1_000n, false],
    ...CLOSE_CODE_NAMES.filter((c) => c !== 'Paid' && c !== 'PartiallyPaid').map((c) => [c, 0n, true] as const),
    ['Other', 1_000n, true],
  ] as const)('%s with %s paid of 1000: allowed %s', async (code, paid, allowed) => {
    const { account } = await caseWith(paid);
    if (allowed) {
      const out = await close(account, code);
      expect(out.account).toMatchObject({ lifecycle: 'Closed', close_code: code, closed_at: T0 });
      expect(out.accountChanges).toEqual([
        {
          eventId: expect.any(String),
          type: 'account.closed',
          caseId: account.case_id,
          closeCode: code,
          comment: '',
          occurredAt: T0.toISOString(),
          remainder: (1_000n - paid).toString(),
          oldLifecycle: 'Active',
          newLifecycle: 'Closed',
        },
      ]);
    } else {
      const before = await h.snapshotOf(account.case_id);
      await expect(close(account, code)).rejects.toMatchObject({ type: 'CloseCodeNotAllowed', field: 'closeCode' });
      expect(await h.snapshotOf(account.case_id)).toEqual(before);
    }
  });

  it('an unknown code is ValidationError; a closed case is CaseAlreadyClosed; neither writes anything', async () => {
    const { account } = await caseWith(0n);
    await expect(close(account, 'Settled')).rejects.toMatchObject({ type: 'ValidationError', field: 'closeCode' });
    await close(account, 'DebtorUntraceable');
    const before = await h.snapshotOf(account.case_id);
    await expect(close(account, 'Other')).rejects.toMatchObject({ type: 'CaseAlreadyClosed' });
    expect(await h.snapshotOf(account.case_id)).toEqual(before);
  });

  it('a Paused case can be closed; its old lifecycle is in the event', async () => {
    const { account } = await caseWith(0n);
    await h.db.raw(`UPDATE ledger.accounts SET lifecycle = 'Paused' WHERE case_id = ?`, [account.case_id]);
    expect((await close(account, 'WithdrawnByClient')).accountChanges[0]).toMatchObject({ oldLifecycle: 'Paused', newLifecycle: 'Closed' });
  });

  it('writes a CaseClosed audit entry and an account.closed event with the comment and the final remainder', async () => {
    const { account } = await caseWith(400n);
    await close(account, 'PartiallyPaid', 'debtor paid what they could');
    expect((await h.audit(account.case_id)).at(-1)).toEqual({
      type: 'CaseClosed',
      payment_id: null,
      before: { lifecycle: 'Active', closeCode: null },
      after: { lifecycle: 'Closed', closeCode: 'PartiallyPaid', comment: 'debtor paid what they could', remainder: '600' },
      actor: 'partner:test',
      at: T0,
    });
    const events = await h.outbox(account.case_id);
    expect(events.map((e) => e.envelope.type)).toEqual(['payment.recorded', 'account.closed']);
    expect(events[1]!.headers).toEqual({ 'x-request-id': 'req-c' });
    expect(events[1]!.envelope).toEqual(
      envelope('account.closed', account.case_id, {
        ...caseRefOf(account, 600n),
        closeCode: 'PartiallyPaid',
        comment: 'debtor paid what they could',
        oldLifecycle: 'Active',
        newLifecycle: 'Closed',
      }),
    );
  });

  it('a closed case refuses payments (CaseClosed) and nothing is written', async () => {
    const { account } = await caseWith(1_000n);
    await close(account, 'Paid');
    const before = await h.snapshotOf(account.case_id);
    await expect(h.record(account.case_id, account.partner_id, { amount: 1n })).rejects.toMatchObject({ type: 'CaseClosed' });
    expect(await h.snapshotOf(account.case_id)).toEqual(before);
  });
});

describe('recordPayment with closeCase', () => {
  it('a payment settling the balance closes the case as Paid in the same transaction: audit, then account.closed after payment.recorded', async () => {
    const { account } = await caseWith(600n);
    const out = await h.record(account.case_id, account.partner_id, { amount: 400n, closeCase: true, requestId: 'req-r' });
    expect(out.result).toEqual({ caseClosed: true, closeCode: 'Paid', remainder: '0', warnings: [] });
    expect(out.account).toMatchObject({ lifecycle: 'Closed', close_code: 'Paid', closed_at: T0 });
    expect(out.accountChanges).toMatchObject([{ type: 'account.closed', closeCode: 'Paid', remainder: '0', oldLifecycle: 'Active', newLifecycle: 'Closed' }]);
    expect(await h.account(account.case_id)).toMatchObject({ lifecycle: 'Closed', close_code: 'Paid', total_payments: '1000', payment_count: 2 });
    expect((await h.audit(account.case_id)).map((a) => [a.type, a.payment_id])).toEqual([
      ['PaymentRecorded', expect.any(String)],
      ['PaymentRecorded', out.payment.id],
      ['CaseClosed', out.payment.id],
    ]);
    expect((await h.audit(account.case_id)).at(-1)!.after).toEqual({ lifecycle: 'Closed', closeCode: 'Paid', remainder: '0' });
    const events = await h.outbox(account.case_id);
    expect(events.map((e) => e.envelope.type)).toEqual(['payment.recorded', 'payment.recorded', 'account.closed']);
    expect(events[2]!.envelope).toEqual(
      envelope('account.closed', account.case_id, {
        ...caseRefOf(account, 0n),
        closeCode: 'Paid',
        comment: null,
        oldLifecycle: 'Active',
        newLifecycle: 'Closed',
      }),
    );
    expect(events[2]!.envelope.id).toBe(out.accountChanges[0]!.eventId);
  });

  it('an over-payment with closeCase closes as Paid with a negative remainder', async () => {
    const { account } = await caseWith(0n);
    const out = await h.record(account.case_id, account.partner_id, { amount: 1_500n, closeCase: true });
    expect(out.result).toMatchObject({ caseClosed: true, closeCode: 'Paid', remainder: '-500' });
  });

  it('a payment leaving a balance with closeCase is recorded and the case stays open, without an error', async () => {
    const { account } = await caseWith(0n);
    const out = await h.record(account.case_id, account.partner_id, { amount: 999n, closeCase: true });
    expect(out.result).toEqual({ caseClosed: false, closeCode: null, remainder: '1', warnings: [] });
    expect(out.accountChanges).toEqual([]);
    expect(await h.account(account.case_id)).toMatchObject({ lifecycle: 'Active', close_code: null, closed_at: null });
    expect((await h.outbox(account.case_id)).map((e) => e.envelope.type)).toEqual(['payment.recorded']);
  });

  it('a settled balance without closeCase does not close the case (never from the balance alone)', async () => {
    const { account } = await caseWith(1_000n);
    expect(await h.account(account.case_id)).toMatchObject({ lifecycle: 'Active', close_code: null });
  });
});

describe('reopening through a correction', () => {
  const edit = (account: AccountRow, paymentId: string, amount: bigint, reopenConsent: boolean) =>
    updatePayment(h.ctx, {
      partnerId: account.partner_id,
      caseId: account.case_id,
      paymentId,
      date: '2026-11-30',
      amount,
      recipient: 'CollectionPartner',
      commissionStatus: undefined,
      explicitSplit: undefined,
      reopenConsent,
      actor: 'partner:test',
    });
  const remove = (account: AccountRow, paymentId: string, reopenConsent: boolean) =>
    deletePayment(h.ctx, { partnerId: account.partner_id, caseId: account.case_id, paymentId, reopenConsent, actor: 'partner:test' });

  it.each(['edit', 'delete'] as const)('a %s leaving a Paid case owing needs consent (ReopenConsentRequired), and nothing changes', async (how) => {
    const { account, payment } = await caseWith(1_000n, { closeCase: true });
    const before = await h.snapshotOf(account.case_id);
    const attempt = how === 'edit' ? edit(account, payment!.id, 999n, false) : remove(account, payment!.id, false);
    await expect(attempt).rejects.toMatchObject({ type: 'ReopenConsentRequired' });
    expect(await h.snapshotOf(account.case_id)).toEqual(before);
  });

  it('with consent an edit reopens the case: Active, no close code, a CaseReopened entry and account.reopened before payment.updated', async () => {
    const { account, payment } = await caseWith(1_000n, { closeCase: true });
    const out = await edit(account, payment!.id, 900n, true);
    expect(out.account).toMatchObject({ lifecycle: 'Active', close_code: null, closed_at: null, total_payments: '900' });
    expect(out.accountChanges).toEqual([
      {
        eventId: expect.any(String),
        type: 'account.reopened',
        caseId: account.case_id,
        closeCode: '',
        comment: '',
        occurredAt: T0.toISOString(),
        remainder: '100',
        oldLifecycle: 'Closed',
        newLifecycle: 'Active',
      },
    ]);
    const audit = await h.audit(account.case_id);
    expect(audit.map((a) => a.type)).toEqual(['PaymentRecorded', 'CaseClosed', 'PaymentUpdated', 'CaseReopened']);
    expect(audit[3]).toEqual({
      type: 'CaseReopened',
      payment_id: payment!.id,
      before: { lifecycle: 'Closed', closeCode: 'Paid' },
      after: { lifecycle: 'Active', closeCode: null, remainder: '100' },
      actor: 'partner:test',
      at: T0,
    });
    const events = await h.outbox(account.case_id);
    expect(events.map((e) => e.envelope.type)).toEqual(['payment.recorded', 'account.closed', 'account.reopened', 'payment.updated']);
    expect(events[2]!.envelope).toEqual(
      envelope('account.reopened', account.case_id, { ...caseRefOf(account, 100n), oldLifecycle: 'Closed', newLifecycle: 'Active' }),
    );
    // open again: it takes payments
    expect((await h.record(account.case_id, account.partner_id, { amount: 100n })).result.remainder).toBe('0');
  });

  it('with consent a delete reopens the case and gives the whole amount back to the balance', async () => {
    const { account, payment } = await caseWith(1_000n, { closeCase: true });
    const out = await remove(account, payment!.id, true);
    expect(out.account).toMatchObject({ lifecycle: 'Active', close_code: null, total_payments: '0', payment_count: 0 });
    expect(out.accountChanges).toMatchObject([{ type: 'account.reopened', remainder: '1000' }]);
    expect((await h.outbox(account.case_id)).map((e) => e.envelope.type)).toEqual([
      'payment.recorded',
      'account.closed',
      'account.reopened',
      'payment.deleted',
    ]);
    await h.expectJournalBalanced(account.case_id);
  });

  it('a correction keeping a Paid case settled needs no consent and the case stays closed', async () => {
    const { account, payment } = await caseWith(1_000n, { closeCase: true });
    const out = await edit(account, payment!.id, 1_300n, false);
    expect(out.account).toMatchObject({ lifecycle: 'Closed', close_code: 'Paid', total_payments: '1300' });
    expect(out.accountChanges).toEqual([]);
  });

  it('a correction on a case closed with another code applies, with or without consent, and the case stays closed with its code', async () => {
    const { account, payment } = await caseWith(500n);
    await close(account, 'DebtorInsolventBankrupt');
    const out = await edit(account, payment!.id, 200n, true);
    expect(out.account).toMatchObject({ lifecycle: 'Closed', close_code: 'DebtorInsolventBankrupt', total_payments: '200' });
    expect(out.accountChanges).toEqual([]);
    await remove(account, payment!.id, false);
    expect(await h.account(account.case_id)).toMatchObject({ lifecycle: 'Closed', close_code: 'DebtorInsolventBankrupt', total_payments: '0' });
    expect((await h.outbox(account.case_id)).map((e) => e.envelope.type)).toEqual(['payment.recorded', 'account.closed', 'payment.updated', 'payment.deleted']);
  });

  it('a case reopened by a correction can be closed again', async () => {
    const { account, payment } = await caseWith(1_000n, { closeCase: true });
    await edit(account, payment!.id, 400n, true);
    const out = await close(account, 'PartiallyPaid');
    expect(out.account).toMatchObject({ lifecycle: 'Closed', close_code: 'PartiallyPaid' });
    expect(out.accountChanges[0]).toMatchObject({ remainder: '600', oldLifecycle: 'Active' });
  });
});
