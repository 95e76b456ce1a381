// Concurrency through the REST API against the distributed stack: one Idempotency-Key raced by many
// clients, and a seeded storm of records, edits, deletes and closes over a few cases, after which the
// money, the audit trail and both services' view of every case must agree.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createDb, type Db } from '@pp/platform';
import { pollUntil, startStack, type RunningStack } from '@pp/testing';
import { ADMIN, client, newCase, newPartner, pay, type Json, type Reply } from './rest-harness';

let stack: RunningStack;
let db: Db;
const call = client(() => stack.gatewayUrl);

// Mostly the codes with rules; a case closed with any other code stays closed for good.
const CLOSE_CODES = ['Paid', 'Paid', 'Paid', 'Paid', 'PartiallyPaid', 'Other'];

/** mulberry32: a tiny seeded PRNG, so the storm is the same on every run. */
function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, int: (n: number) => Math.floor(next() * n), pick: <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)]! };
}

beforeAll(async () => {
  stack = await startStack({ databaseUrl: inject('databaseUrl'), kafkaBrokers: inject('kafkaBrokers'), env: { ADMIN_API_KEY: ADMIN } });
  db = createDb({ kind: 'pg', url: inject('databaseUrl'), poolMax: 2 });
});

afterAll(async () => {
  await stack?.stop();
  await db?.destroy();
});

describe('one Idempotency-Key, many clients', () => {
  it('records exactly one payment for 25 concurrent requests', async () => {
    const partner = await newPartner(call, 'Racer');
    const c = await newCase(call, partner.id);
    const body = { date: '2026-11-03', paymentAmount: 12.34, paymentRecipient: 'CollectionPartner' };
    const results = await Promise.all(
      Array.from({ length: 25 }, () => call('POST', `/cases/${c.id}/payments`, { key: partner.apiKey, body, headers: { 'Idempotency-Key': 'race-key' } })),
    );
    for (const r of results) {
      expect([200, 409], r.text).toContain(r.status);
      if (r.status === 409) {
        expect(r.body.error).toBe('IdempotencyKeyInUse');
        expect(r.headers.get('retry-after')).toBeTruthy();
      }
    }
    const ok = results.filter((r) => r.status === 200);
    expect(ok.length).toBeGreaterThan(0);
    expect(new Set(ok.map((r) => r.body.paymentId)).size).toBe(1);
    // the losers retry and get the stored answer
    const retry = await call('POST', `/cases/${c.id}/payments`, { key: partner.apiKey, body, headers: { 'Idempotency-Key': 'race-key' } });
    expect(retry.status).toBe(200);
    expect(retry.body.paymentId).toBe(ok[0]!.body.paymentId);
    const listed = (await call('GET', `/cases/${c.id}/payments`, { key: partner.apiKey })).body as Json[];
    expect(listed.map((p) => p.id)).toEqual([ok[0]!.body.paymentId]);
    expect((await call('GET', `/cases/${c.id}`, { key: partner.apiKey })).body).toMatchObject({ totalPayments: 12.34, remainder: 987.66 });
    expect(await db.withSchema('ledger').table('payments').where({ case_id: c.id })).toHaveLength(1);
  });
});

describe('a storm of concurrent corrections', () => {
  it('keeps every balance, audit trail and lifecycle consistent after 200 random operations over 10 cases', async () => {
    const partner = await newPartner(call, 'Storm');
    const cases: Json[] = [];
    for (let i = 0; i < 10; i++) cases.push(await newCase(call, partner.id, { grossAmount: 500, interestFees: i * 10 }));
    // a few payments per case to correct, recorded before the storm
    const known = new Map<string, string[]>(cases.map((c) => [c.id, []]));
    const recorded = new Map<string, number>(cases.map((c) => [c.id, 0]));
    for (const c of cases) {
      for (let j = 0; j < 3; j++) {
        const r = await pay(call, partner.apiKey, c.id, { paymentAmount: 50 + j * 25 });
        expect(r.status).toBe(200);
        known.get(c.id)!.push(r.body.paymentId);
        recorded.set(c.id, recorded.get(c.id)! + 1);
      }
    }
    // most cases start the storm closed as Paid, so corrections race against reopening and closing them
    for (const c of cases.slice(0, 8)) {
      const view = (await call('GET', `/cases/${c.id}`, { key: partner.apiKey })).body;
      const r = await pay(call, partner.apiKey, c.id, { paymentAmount: view.remainder, closeCase: true });
      expect(r.body).toMatchObject({ caseClosed: true, closeCode: 'Paid' });
      known.get(c.id)!.push(r.body.paymentId);
      recorded.set(c.id, recorded.get(c.id)! + 1);
    }
    const closedBefore = new Map<string, number>(cases.map((c, i) => [c.id, i < 8 ? 1 : 0]));

    const rnd = prng(20261123);
    type Op = { kind: 'record' | 'edit' | 'delete' | 'close'; caseId: string; run: () => Promise<Reply> };
    const ops: Op[] = [];
    for (let i = 0; i < 200; i++) {
      const c = rnd.pick(cases);
      const roll = rnd.next();
      const amount = (1 + rnd.int(30000)) / 100; // 0.01 … 300.00
      const date = `2026-10-${String(1 + rnd.int(28)).padStart(2, '0')}`;
      if (roll < 0.35) {
        const recipient = rnd.pick(['CollectionPartner', 'Creditor', 'Platform'] as const);
        const body: Record<string, unknown> = {
          date,
          paymentAmount: amount,
          paymentRecipient: recipient,
          closeCase: rnd.next() < 0.7,
          createUnpaidCommissionFollowUp: false,
        };
        if (recipient === 'Creditor') body.commissionPaymentStatus = rnd.pick(['Paid', 'Unpaid']);
        if (rnd.next() < 0.3) {
          const partnerShare = Math.round(amount * 100 * rnd.next()) / 100;
          body.payoutCollectionPartner = partnerShare;
          body.payoutCreditor = Math.round((amount - partnerShare) * 100) / 100;
        }
        const headers: Record<string, string> = rnd.next() < 0.3 ? { 'Idempotency-Key': `storm-${i}` } : {};
        ops.push({ kind: 'record', caseId: c.id, run: () => pay(call, partner.apiKey, c.id, body, headers) });
      } else if (roll < 0.65) {
        const paymentId = rnd.pick(known.get(c.id)!);
        const body: Record<string, unknown> = {
          date,
          paymentAmount: amount,
          paymentRecipient: rnd.pick(['CollectionPartner', 'Creditor'] as const),
          commissionPaymentStatus: rnd.pick(['Paid', 'Unpaid']),
          reopenCaseIfNeeded: rnd.next() < 0.7,
        };
        ops.push({ kind: 'edit', caseId: c.id, run: () => call('PUT', `/cases/${c.id}/payments/${paymentId}`, { key: partner.apiKey, body }) });
      } else if (roll < 0.8) {
        const paymentId = rnd.pick(known.get(c.id)!);
        const consent = rnd.pick(['', '?reopenCaseIfNeeded=true', '?reopenCaseIfNeeded=false']);
        ops.push({ kind: 'delete', caseId: c.id, run: () => call('DELETE', `/cases/${c.id}/payments/${paymentId}${consent}`, { key: partner.apiKey }) });
      } else {
        const closeCode = rnd.pick(CLOSE_CODES);
        ops.push({ kind: 'close', caseId: c.id, run: () => call('POST', `/cases/${c.id}/close`, { key: partner.apiKey, body: { closeCode } }) });
      }
    }

    const results = await Promise.all(ops.map(async (op) => ({ op, res: await op.run() })));

    // No 5xx at any point, and every refusal is one the contract names for that call.
    const allowed: Record<Op['kind'], Record<number, string[] | undefined>> = {
      record: { 200: undefined, 409: ['CaseClosed'] },
      edit: { 200: undefined, 404: ['PaymentNotFound'], 409: ['ReopenConsentRequired'] },
      delete: { 204: undefined, 404: ['PaymentNotFound'], 409: ['ReopenConsentRequired'] },
      close: { 200: undefined, 400: ['CloseCodeNotAllowed'], 409: ['CaseAlreadyClosed'] },
    };
    for (const { op, res } of results) {
      expect(res.status, `${op.kind}: ${res.status} ${res.text}`).toBeLessThan(500);
      expect(Object.keys(allowed[op.kind]).map(Number), `${op.kind}: ${res.status} ${res.text}`).toContain(res.status);
      const types = allowed[op.kind][res.status];
      if (types) expect(types, res.text).toContain(res.body?.error);
    }
    const count = (caseId: string, kind: Op['kind'], status: number) =>
      results.filter((r) => r.op.caseId === caseId && r.op.kind === kind && r.res.status === status).length;
    // a deleted payment can be deleted only once
    for (const [caseId, ids] of known) {
      expect(count(caseId, 'delete', 204)).toBeLessThanOrEqual(ids.length);
    }

    let someClosed = false;
    let someReopened = false;
    for (const c of cases) {
      const view = (await call('GET', `/cases/${c.id}`, { key: partner.apiKey })).body;
      const payments = (await call('GET', `/cases/${c.id}/payments`, { key: partner.apiKey })).body as Json[];
      const trail = (await call('GET', `/cases/${c.id}/audit`, { key: partner.apiKey })).body as Json[];
      const cents = (v: number) => Math.round(v * 100);
      const sum = payments.reduce((s, p) => s + cents(p.paymentAmount), 0);
      // remainder = grossAmount + fees − sum(live payments)
      expect(cents(view.remainder), c.id).toBe(cents(view.grossAmount) + cents(view.totalAddedFees) - sum);
      expect(cents(view.totalPayments)).toBe(sum);
      for (const p of payments) expect(cents(p.payoutCreditor) + cents(p.payoutCollectionPartner)).toBe(cents(p.paymentAmount));
      // a Paid case is settled
      if (view.lifecycle === 'Closed' && view.closeCode === 'Paid') expect(view.remainder).toBeLessThanOrEqual(0);
      if (view.lifecycle !== 'Closed') expect(view.closeCode).toBeNull();

      // one audit entry per successful write; closes and reopens alternate
      const typeCount = (t: string) => trail.filter((e) => e.type === t).length;
      const recordsOk = results.filter(
        (r) => r.op.caseId === c.id && r.op.kind === 'record' && r.res.status === 200 && r.res.headers.get('idempotency-replayed') !== 'true',
      );
      expect(typeCount('PaymentRecorded')).toBe(recorded.get(c.id)! + recordsOk.length);
      expect(typeCount('PaymentUpdated')).toBe(count(c.id, 'edit', 200));
      expect(typeCount('PaymentDeleted')).toBe(count(c.id, 'delete', 204));
      const closedByRecord = recordsOk.filter((r) => r.res.body.caseClosed).length;
      expect(typeCount('CaseClosed')).toBe(closedBefore.get(c.id)! + count(c.id, 'close', 200) + closedByRecord);
      const lifecycleEntries = trail.filter((e) => e.type === 'CaseClosed' || e.type === 'CaseReopened').map((e) => e.type);
      lifecycleEntries.forEach((t, i) => expect(t, `${c.id} lifecycle trail ${lifecycleEntries.join(',')}`).toBe(i % 2 === 0 ? 'CaseClosed' : 'CaseReopened'));
      expect(view.lifecycle === 'Closed').toBe(lifecycleEntries.length % 2 === 1);
      for (const e of trail.filter((x) => x.type === 'CaseReopened')) expect(e.before.closeCode).toBe('Paid');
      if (lifecycleEntries.length > 0) someClosed = true;
      if (lifecycleEntries.includes('CaseReopened')) someReopened = true;
      // the ledger's own books agree: account totals and the journal
      const account = await db
        .withSchema('ledger')
        .table('accounts')
        .where({ case_id: c.id })
        .first<{ total_payments: string; payment_count: number; lifecycle: string; close_code: string | null }>();
      expect(Number(account!.total_payments)).toBe(sum);
      expect(account!.payment_count).toBe(payments.length);
      const [journal] = await db.withSchema('ledger').table('journal').where({ case_id: c.id }).sum<{ amount: string }[]>({ amount: 'amount' });
      expect(Number(journal!.amount)).toBe(sum);
      expect(view.lifecycle).toBe(account!.lifecycle);
      expect(view.closeCode).toBe(account!.close_code);
    }
    // the storm did exercise closing and reopening
    expect(someClosed).toBe(true);
    expect(someReopened).toBe(true);

    // Once the events are drained, case-lifecycle holds the ledger's view of every case.
    const ids = cases.map((c) => c.id);
    const mismatches = async () => {
      const ledger = await db
        .withSchema('ledger')
        .table('accounts')
        .whereIn('case_id', ids)
        .select<{ case_id: string; lifecycle: string; close_code: string | null }[]>('case_id', 'lifecycle', 'close_code');
      const mirror = await db
        .withSchema('cases')
        .table('cases')
        .whereIn('id', ids)
        .select<{ id: string; lifecycle: string; close_code: string | null; finished_at: Date | null }[]>('id', 'lifecycle', 'close_code', 'finished_at');
      const byId = new Map(mirror.map((m) => [m.id, m]));
      return ledger.filter((a) => {
        const m = byId.get(a.case_id);
        return !m || m.lifecycle !== a.lifecycle || m.close_code !== a.close_code || (m.finished_at === null) !== (a.lifecycle !== 'Closed');
      });
    };
    // drained: every ledger event of these cases has been applied by the case-lifecycle consumer
    const drained = async () => {
      const pending = await db.raw<{ rows: { n: string }[] }>(
        `SELECT count(*) AS n FROM ledger.outbox o WHERE o.key = ANY(?) AND NOT EXISTS (SELECT 1 FROM cases.inbox i WHERE i.consumer = 'case-lifecycle' AND i.event_id = o.id::text)`,
        [ids],
      );
      return Number(pending.rows[0]?.n ?? 0) === 0;
    };
    await pollUntil(async () => (await drained()) && (await mismatches()).length === 0, {
      timeoutMs: 30_000,
      what: 'case-lifecycle to converge on the ledger',
    }).catch(async (error: unknown) => {
      throw new Error(`${String(error)}; mismatches: ${JSON.stringify(await mismatches())}`);
    });
    // and the list endpoint's status filter (served by case-lifecycle) agrees with every case
    const closedListed = (await call('GET', '/cases?Statuses=Closed&PageSize=100', { key: partner.apiKey })).body.cases.map((c: Json) => c.id).sort();
    const closedLedger = (await db.withSchema('ledger').table('accounts').whereIn('case_id', ids).where({ lifecycle: 'Closed' }).pluck('case_id')).sort();
    expect(closedListed).toEqual(closedLedger);
  });
});

describe('a reopen racing the close that follows it', () => {
  it("answers lists with the ledger's lifecycle at once, and case-lifecycle's copy and public events follow the ledger's order", async () => {
    const partner = await newPartner(call, 'Reclose');
    const cases: Json[] = [];
    const payments: string[] = [];
    for (let i = 0; i < 20; i++) {
      const c = await newCase(call, partner.id, { grossAmount: 100 });
      const p = await pay(call, partner.apiKey, c.id, { paymentAmount: 100, closeCase: true });
      expect(p.body).toMatchObject({ caseClosed: true, closeCode: 'Paid' });
      cases.push(c);
      payments.push(p.body.paymentId);
    }
    // Per case at once: an edit that reopens the Paid case and a close as PartiallyPaid that only the
    // reopened case allows. The ledger serializes the two on the account; either may come first.
    const outcomes = await Promise.all(
      cases.map(async (c, i) => {
        const [edit, close] = await Promise.all([
          call('PUT', `/cases/${c.id}/payments/${payments[i]}`, {
            key: partner.apiKey,
            body: { date: '2026-11-01', paymentAmount: 40, paymentRecipient: 'CollectionPartner', reopenCaseIfNeeded: true },
          }),
          call('POST', `/cases/${c.id}/close`, { key: partner.apiKey, body: { closeCode: 'PartiallyPaid' } }),
        ]);
        return { edit, close };
      }),
    );
    for (const { edit, close } of outcomes) {
      expect(edit.status, edit.text).toBe(200);
      expect([200, 409], close.text).toContain(close.status); // 409 CaseAlreadyClosed when the close came first
    }
    const ids = cases.map((c) => c.id);
    const ledger = await db
      .withSchema('ledger')
      .table('accounts')
      .whereIn('case_id', ids)
      .select<{ case_id: string; lifecycle: string; close_code: string | null }[]>('case_id', 'lifecycle', 'close_code');
    for (const a of ledger) {
      const expected =
        outcomes[ids.indexOf(a.case_id)]!.close.status === 200
          ? { lifecycle: 'Closed', close_code: 'PartiallyPaid' }
          : { lifecycle: 'Active', close_code: null };
      expect({ lifecycle: a.lifecycle, close_code: a.close_code }).toEqual(expected);
    }
    // read-your-writes: both answers are in, so every read through the gateway shows the ledger's lifecycle,
    // the list filtered by lifecycle too (the ledger's recent changes laid over case-lifecycle's copy)
    const listed = async (status: string) =>
      (await call('GET', `/cases?Statuses=${status}&PageSize=100`, { key: partner.apiKey })).body.cases
        .map((c: Json) => c.id)
        .filter((id: string) => ids.includes(id))
        .sort();
    const inLedger = (lifecycle: string) =>
      ledger
        .filter((a) => a.lifecycle === lifecycle)
        .map((a) => a.case_id)
        .sort();
    expect(await listed('Closed')).toEqual(inLedger('Closed'));
    expect(await listed('Active')).toEqual(inLedger('Active'));
    for (const c of cases) {
      const view = (await call('GET', `/cases/${c.id}`, { key: partner.apiKey })).body;
      expect(view.lifecycle).toBe(ledger.find((a) => a.case_id === c.id)!.lifecycle);
    }

    // case-lifecycle's copy is fed by the ledger's events alone: once they are applied it holds the
    // ledger's lifecycle, and each case's public events are numbered in the order the ledger took them
    const drained = async () => {
      const pending = await db.raw<{ rows: { n: string }[] }>(
        `SELECT count(*) AS n FROM ledger.outbox o WHERE o.key = ANY(?) AND NOT EXISTS (SELECT 1 FROM cases.inbox i WHERE i.consumer = 'case-lifecycle' AND i.event_id = o.id::text)`,
        [ids],
      );
      return Number(pending.rows[0]?.n ?? 0) === 0;
    };
    await pollUntil(drained, { timeoutMs: 30_000, what: "case-lifecycle to apply the ledger's events" });
    const copy = new Map(
      (
        await db
          .withSchema('cases')
          .table('cases')
          .whereIn('id', ids)
          .select<{ id: string; lifecycle: string; close_code: string | null }[]>('id', 'lifecycle', 'close_code')
      ).map((m) => [m.id, m]),
    );
    for (const a of ledger)
      expect({ lifecycle: copy.get(a.case_id)?.lifecycle, close_code: copy.get(a.case_id)?.close_code }, a.case_id).toEqual({
        lifecycle: a.lifecycle,
        close_code: a.close_code,
      });
    // what each ledger event becomes in the public log (SPEC §6)
    const publicOf = (type: string, value: Json): string[] =>
      ({
        'payment.recorded': ['payment.created'],
        'payment.updated': ['payment.updated'],
        'payment.deleted': ['payment.deleted'],
        'commission.settled': ['payment.updated'],
        'account.closed': [`case.updated:${value.payload.newLifecycle}`, 'case.closed'],
        'account.reopened': [`case.updated:${value.payload.newLifecycle}`],
      })[type] ?? [];
    let reordered = 0;
    for (const id of ids) {
      const ledgerEvents = await db.withSchema('ledger').table('outbox').where({ key: id }).orderBy('seq').select<{ value: string }[]>('value');
      const expected = ledgerEvents.flatMap((e) => {
        const value = JSON.parse(e.value) as Json;
        return publicOf(value.type, value);
      });
      const published = (
        await db
          .withSchema('cases')
          .table('case_events')
          .where({ case_id: id })
          .orderBy('sequence')
          .select<{ type: string; data: Json; sequence: number }[]>('type', 'data', 'sequence')
      ).map((e) => (e.type === 'case.updated' ? `case.updated:${e.data.newLifecycle}` : e.type));
      expect(published, id).toEqual(expected);
      if (outcomes[ids.indexOf(id)]!.close.status === 200) reordered++;
    }
    expect(reordered).toBeGreaterThan(0); // some closes did land between the edit's reopen and the end
  });
});
