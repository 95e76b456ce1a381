// Every rule and status code of SPEC §2–4 and §7, through the REST API against the distributed stack
// (four processes on the real PostgreSQL server and a real Kafka broker).
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createDb, type Db } from '@pp/platform';
import { pollUntil, startStack, type RunningStack } from '@pp/testing';
import { ADMIN, client, newCase, newPartner, pay, startExtraGateway, type Json, type Partner } from './rest-harness';

let stack: RunningStack;
let db: Db;
const call = client(() => stack.gatewayUrl);

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;
const FREE_CODES = [
  'DebtorInsolventBankrupt',
  'DebtorUntraceable',
  'DisputedLegalActionDeclinedByClient',
  'WithdrawnByClient',
  'PreLegalExhaustedNoPayment',
  'StatuteOfLimitationsExpired',
  'SettlementRejectedByClient',
  'UnresponsiveClient',
  'UneconomicalToPursue',
  'Other',
];

const get = async (key: string, path: string) => {
  const res = await call('GET', path, { key });
  expect(res.status, `${path}: ${res.text}`).toBe(200);
  return res.body as Json;
};
const getCase = (p: Partner, caseId: string) => get(p.apiKey, `/cases/${caseId}`);
const listPayments = (p: Partner, caseId: string, query = '') => get(p.apiKey, `/cases/${caseId}/payments${query}`) as Promise<Json[]>;
const audit = (p: Partner, caseId: string) => get(p.apiKey, `/cases/${caseId}/audit`) as Promise<Json[]>;

/** An audit entry of any type: the API's field names, money as numbers in major units, dates as answers carry them (SPEC §10). */
function shownAsTheApiShowsIt(entry: Json): void {
  for (const values of [entry.before, entry.after]) {
    if (values === null) continue;
    for (const internal of ['amount', 'recipient', 'commissionStatus', 'invoiceId', 'createdAt', 'updatedAt'])
      expect(values, `${entry.type}: ${internal}`).not.toHaveProperty(internal);
    for (const money of ['paymentAmount', 'payoutCreditor', 'payoutCollectionPartner', 'platformFee', 'remainder'])
      if (money in values) expect(typeof values[money], `${entry.type}: ${money}`).toBe('number');
    if ('date' in values) expect(values.date).toMatch(/^\d{4}-\d{2}-\d{2}T00:00:00Z$/);
  }
}
const errorType = (body: Json) => body?.businessErrors?.[0]?.type;

function expectError(res: { status: number; body: Json; text: string }, status: number, type: string) {
  expect(res.status, res.text).toBe(status);
  expect(res.body).toMatchObject({ error: type, businessErrors: expect.arrayContaining([expect.objectContaining({ type })]) });
  expect(typeof res.body.message).toBe('string');
}

async function caseRowInLifecycle(caseId: string) {
  return db
    .withSchema('cases')
    .table('cases')
    .where({ id: caseId })
    .first<{ lifecycle: string; close_code: string | null; finished_at: Date | null } | undefined>();
}

beforeAll(async () => {
  stack = await startStack({ databaseUrl: inject('databaseUrl'), kafkaBrokers: inject('kafkaBrokers'), env: { ADMIN_API_KEY: ADMIN } });
  db = createDb({ kind: 'pg', url: inject('databaseUrl'), poolMax: 2 });
});

afterAll(async () => {
  await stack?.stop();
  await db?.destroy();
});

describe('operator API: partners and cases (§2, §3)', () => {
  it('creates partners with default or given revenue shares, shows the key once and stores only its hash', async () => {
    const res = await call('POST', '/admin/partners', { key: ADMIN, body: { companyName: 'Defaults GmbH', officeEmail: 'office@defaults.test' } });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      id: expect.stringMatching(UUID),
      companyName: 'Defaults GmbH',
      officeEmail: 'office@defaults.test',
      preLegalRevenueShare: 0.4,
      legalRevenueShare: 0.2,
      apiKey: expect.any(String),
    });
    const custom = await newPartner(call, 'Custom', { preLegalRevenueShare: 0.25, legalRevenueShare: 0.125 });
    expect(custom).toMatchObject({ preLegalRevenueShare: 0.25, legalRevenueShare: 0.125 });
    const stored = await db.withSchema('gateway').table('partners').where({ id: res.body.id }).first<Record<string, unknown>>();
    expect(Object.values(stored!)).not.toContain(res.body.apiKey);
    expect(JSON.stringify(stored)).not.toContain(res.body.apiKey);
    // GET /me: the profile, never the key (§8)
    const me = await get(res.body.apiKey, '/me');
    expect(me).toEqual({
      id: res.body.id,
      companyName: 'Defaults GmbH',
      officeEmail: 'office@defaults.test',
      preLegalRevenueShare: 0.4,
      legalRevenueShare: 0.2,
    });
    expect((await get(custom.apiKey, '/me')).id).toBe(custom.id);
  });

  it('creates a production case with every field and a test case when asked', async () => {
    const partner = await newPartner(call, 'Fields');
    const res = await call('POST', '/admin/cases', {
      key: ADMIN,
      body: {
        partnerId: partner.id,
        currency: 'EUR',
        grossAmount: 1000.5,
        interestFees: 10,
        reminderFees: 5.25,
        collectionFees: 2.5,
        successFee: 20.5,
        creditorReference: 'INV-42',
        creditor: { companyName: 'Creditor AG', officeEmail: 'ar@creditor.test' },
        debtor: { type: 'Person', name: 'Max Muster' },
      },
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      id: expect.stringMatching(UUID),
      reference: expect.stringMatching(/^[A-Z0-9]{8}$/),
      isTestCase: false,
      lifecycle: 'Active',
      closeCode: null,
      currency: 'EUR',
      grossAmount: 1000.5,
      interestFees: 10,
      reminderFees: 5.25,
      collectionFees: 2.5,
      totalAddedFees: 17.75,
      totalPayments: 0,
      remainder: 1018.25,
      preLegalSuccessFee: 20.5,
      currentEngagementPhase: 'Pre-legal',
      creditorReference: 'INV-42',
      creditor: { companyName: 'Creditor AG', officeEmail: 'ar@creditor.test' },
      debtor: { type: 'Person', name: 'Max Muster' },
      dateCreated: expect.stringMatching(ISO),
      dateUpdated: expect.stringMatching(ISO),
      dateFinished: null,
    });
    expect(await getCase(partner, res.body.id)).toMatchObject({ id: res.body.id, reference: res.body.reference, remainder: 1018.25 });
    const minimal = await newCase(call, partner.id);
    expect(minimal).toMatchObject({
      interestFees: 0,
      reminderFees: 0,
      collectionFees: 0,
      totalAddedFees: 0,
      remainder: 1000,
      isTestCase: false,
      currentEngagementPhase: 'Pre-legal',
      creditorReference: null,
      // no parties given: their objects with the ids the platform assigned (SPEC §3, §10)
      creditor: { id: expect.stringMatching(/^[0-9a-f-]{36}$/), companyName: null, officeEmail: null },
      debtor: { id: expect.stringMatching(/^[0-9a-f-]{36}$/), type: null, name: null },
    });
    expect(minimal.reference).not.toBe(res.body.reference);
    const test = await newCase(call, partner.id, { isTestCase: true });
    expect(test).toMatchObject({ isTestCase: true, lifecycle: 'Active' });
    const unknownPartner = await call('POST', '/admin/cases', {
      key: ADMIN,
      body: { partnerId: '00000000-0000-4000-8000-000000000000', currency: 'EUR', grossAmount: 1, successFee: 20 },
    });
    expect(unknownPartner.status).toBe(400);
  });

  it('takes the platform fee from the revenue share of the engagement phase', async () => {
    const partner = await newPartner(call, 'Phases', { preLegalRevenueShare: 0.4, legalRevenueShare: 0.2 });
    const preLegal = await newCase(call, partner.id);
    const legal = await newCase(call, partner.id, { currentEngagementPhase: 'Legal' });
    expect(legal.currentEngagementPhase).toBe('Legal');
    const a = await pay(call, partner.apiKey, preLegal.id, { paymentAmount: 100 });
    const b = await pay(call, partner.apiKey, legal.id, { paymentAmount: 100 });
    expect(a.body).toMatchObject({ payoutCollectionPartner: 20, payoutCreditor: 80, platformFee: 8 });
    expect(b.body).toMatchObject({ payoutCollectionPartner: 20, payoutCreditor: 80, platformFee: 4 });
    const badPhase = await call('POST', '/admin/cases', {
      key: ADMIN,
      body: { partnerId: partner.id, currency: 'EUR', grossAmount: 1, successFee: 20, currentEngagementPhase: 'Court' },
    });
    expectError(badPhase, 400, 'ValidationError');
  });
});

describe('invoicing runs (§2, §4.4)', () => {
  it('invoices per partner and currency, only new payouts on a second run, and freezes invoiced payments', async () => {
    const a = await newPartner(call, 'Invoiced A');
    const b = await newPartner(call, 'Invoiced B');
    const aEur = await newCase(call, a.id, { grossAmount: 100 });
    const aUsd = await newCase(call, a.id, { currency: 'USD' });
    const bEur = await newCase(call, b.id);
    const p1 = (await pay(call, a.apiKey, aEur.id, { paymentAmount: 40 })).body; // fee 8 → 3.2
    const p2 = (await pay(call, a.apiKey, aEur.id, { paymentAmount: 60, closeCase: true })).body; // fee 12 → 4.8, closes Paid
    expect(p2).toMatchObject({ caseClosed: true, closeCode: 'Paid' });
    await pay(call, a.apiKey, aUsd.id, { paymentAmount: 10 }); // fee 2 → 0.8
    const bPay = (await pay(call, b.apiKey, bEur.id, { paymentAmount: 10 })).body;

    const run = await call('POST', '/admin/invoicing-runs', { key: ADMIN, body: { partnerId: a.id } });
    expect(run.status).toBe(200);
    expect(run.body.invoicedPayouts).toBe(3);
    const byCurrency = Object.fromEntries((run.body.invoices as Json[]).map((i) => [i.currency, i]));
    expect(run.body.invoices).toHaveLength(2);
    expect(byCurrency.EUR).toEqual({ id: expect.stringMatching(UUID), partnerId: a.id, currency: 'EUR', totalPlatformFee: 8, payoutCount: 2 });
    expect(byCurrency.USD).toEqual({ id: expect.stringMatching(UUID), partnerId: a.id, currency: 'USD', totalPlatformFee: 0.8, payoutCount: 1 });
    const listed = await listPayments(a, aEur.id);
    expect(listed.map((p) => [p.invoiced, p.platformInvoiceId])).toEqual([
      [true, byCurrency.EUR.id],
      [true, byCurrency.EUR.id],
    ]);
    // the other partner's payout is untouched by a run for A
    expect((await listPayments(b, bEur.id))[0]).toMatchObject({ invoiced: false, platformInvoiceId: null });

    // a second run for A finds nothing new
    const again = await call('POST', '/admin/invoicing-runs', { key: ADMIN, body: { partnerId: a.id } });
    expect(again.body).toEqual({ invoicedPayouts: 0, invoices: [] });

    // invoiced payments are frozen: 422 PaymentInvoiced, and nothing changes (even with consent)
    const caseBefore = await getCase(a, aEur.id);
    const auditBefore = await audit(a, aEur.id);
    const put = await call('PUT', `/cases/${aEur.id}/payments/${p1.paymentId}`, {
      key: a.apiKey,
      body: { date: '2026-11-01', paymentAmount: 1, paymentRecipient: 'CollectionPartner', reopenCaseIfNeeded: true },
    });
    expectError(put, 422, 'PaymentInvoiced');
    const del = await call('DELETE', `/cases/${aEur.id}/payments/${p2.paymentId}?reopenCaseIfNeeded=true`, { key: a.apiKey });
    expectError(del, 422, 'PaymentInvoiced');
    expect(await listPayments(a, aEur.id)).toEqual(listed);
    expect(await audit(a, aEur.id)).toEqual(auditBefore);
    expect(await getCase(a, aEur.id)).toMatchObject({ lifecycle: 'Closed', closeCode: 'Paid', remainder: 0, totalPayments: caseBefore.totalPayments });

    // a run over all partners takes only what is new: A's new payout and B's
    const aNew = (await pay(call, a.apiKey, aUsd.id, { paymentAmount: 5 })).body;
    const all = await call('POST', '/admin/invoicing-runs', { key: ADMIN, body: {} });
    expect(all.status).toBe(200);
    const mine = (all.body.invoices as Json[]).filter((i) => i.partnerId === a.id || i.partnerId === b.id);
    expect(mine).toEqual(
      expect.arrayContaining([
        { id: expect.stringMatching(UUID), partnerId: a.id, currency: 'USD', totalPlatformFee: 0.4, payoutCount: 1 },
        { id: expect.stringMatching(UUID), partnerId: b.id, currency: 'EUR', totalPlatformFee: 0.8, payoutCount: 1 },
      ]),
    );
    expect(mine).toHaveLength(2);
    expect((await listPayments(a, aUsd.id)).find((p) => p.id === aNew.paymentId)).toMatchObject({ invoiced: true });
    expect((await listPayments(b, bEur.id)).find((p) => p.id === bPay.paymentId)).toMatchObject({ invoiced: true });
    expect((await call('POST', '/admin/invoicing-runs', { key: ADMIN, body: { partnerId: 'nope' } })).status).toBe(400);
  });
});

describe('GET /cases (§1, §3)', () => {
  it('paginates, filters by status (repeatable or comma list) and hides test cases by default', async () => {
    const partner = await newPartner(call, 'Lister');
    const ids: string[] = [];
    for (let i = 0; i < 12; i++) ids.push((await newCase(call, partner.id, { grossAmount: 100 + i })).id);
    const tests = [await newCase(call, partner.id, { isTestCase: true }), await newCase(call, partner.id, { isTestCase: true })];
    await call('POST', `/cases/${ids[0]}/close`, { key: partner.apiKey, body: { closeCode: 'Other' } });
    await call('POST', `/cases/${ids[1]}/close`, { key: partner.apiKey, body: { closeCode: 'DebtorUntraceable' } });

    const first = await get(partner.apiKey, '/cases');
    expect(first.page).toEqual({ totalResults: 12, pageSize: 10, currentPage: 1, responseCount: 10, totalPages: 2 });
    const second = await get(partner.apiKey, '/cases?Page=2');
    expect(second.page).toEqual({ totalResults: 12, pageSize: 10, currentPage: 2, responseCount: 2, totalPages: 2 });
    const seen = [...first.cases, ...second.cases].map((c: Json) => c.id);
    expect(new Set(seen)).toEqual(new Set(ids));
    const small = await get(partner.apiKey, '/cases?PageSize=5&Page=3');
    expect(small.page).toEqual({ totalResults: 12, pageSize: 5, currentPage: 3, responseCount: 2, totalPages: 3 });
    const beyond = await get(partner.apiKey, '/cases?Page=4&PageSize=5');
    expect(beyond.page).toMatchObject({ responseCount: 0, totalPages: 3 });
    expect((await get(partner.apiKey, '/cases?PageSize=100')).page).toMatchObject({ pageSize: 100, responseCount: 12, totalPages: 1 });
    expectError(await call('GET', '/cases?PageSize=101', { key: partner.apiKey }), 400, 'ValidationError');
    expectError(await call('GET', '/cases?Page=0', { key: partner.apiKey }), 400, 'ValidationError');

    const closed = await get(partner.apiKey, '/cases?Statuses=Closed');
    expect(closed.page.totalResults).toBe(2);
    expect(closed.cases.map((c: Json) => c.lifecycle)).toEqual(['Closed', 'Closed']);
    expect(new Set(closed.cases.map((c: Json) => c.id))).toEqual(new Set([ids[0], ids[1]]));
    expect((await get(partner.apiKey, '/cases?Statuses=Active')).page.totalResults).toBe(10);
    expect((await get(partner.apiKey, '/cases?Statuses=Paused')).page).toMatchObject({ totalResults: 0, responseCount: 0, totalPages: 0 });
    expect((await get(partner.apiKey, '/cases?Statuses=Active&Statuses=Closed')).page.totalResults).toBe(12);
    expect((await get(partner.apiKey, '/cases?Statuses=Active,Closed')).page.totalResults).toBe(12);
    expect((await get(partner.apiKey, '/cases?Statuses=Closed&Statuses=Paused')).page.totalResults).toBe(2);
    expectError(await call('GET', '/cases?Statuses=Open', { key: partner.apiKey }), 400, 'ValidationError');

    const withTests = await get(partner.apiKey, '/cases?includeTestCases=true&PageSize=100');
    expect(withTests.page.totalResults).toBe(14);
    expect(
      withTests.cases
        .filter((c: Json) => c.isTestCase)
        .map((c: Json) => c.id)
        .sort(),
    ).toEqual(tests.map((t) => t.id).sort());
    expect((await get(partner.apiKey, '/cases?includeTestCases=false')).page.totalResults).toBe(12);
    // test cases stay visible by id
    expect(await getCase(partner, tests[0].id)).toMatchObject({ id: tests[0].id, isTestCase: true });
    // another partner sees none of them
    const other = await newPartner(call, 'Other lister');
    expect((await get(other.apiKey, '/cases?includeTestCases=true')).page.totalResults).toBe(0);
    expectError(await call('GET', `/cases/${ids[2]}`, { key: other.apiKey }), 404, 'CaseNotFound');
    expectError(await call('GET', `/cases/${ids[2]}/audit`, { key: other.apiKey }), 404, 'CaseNotFound');
    expectError(await call('GET', `/cases/${ids[2]}/payments`, { key: other.apiKey }), 404, 'CaseNotFound');
    expectError(await call('GET', '/cases/00000000-0000-4000-8000-000000000000', { key: partner.apiKey }), 404, 'CaseNotFound');
  });
});

describe('close a case (§3)', () => {
  it('closes with every code whose rule holds and answers the close fields', async () => {
    const partner = await newPartner(call, 'Closer');
    for (const code of FREE_CODES) {
      const c = await newCase(call, partner.id, { grossAmount: 50, interestFees: 5 });
      const res = await call('POST', `/cases/${c.id}/close`, { key: partner.apiKey, body: { closeCode: code, comment: `closing as ${code}` } });
      expect(res.status, `${code}: ${res.text}`).toBe(200);
      expect(res.body).toEqual({
        caseReference: c.reference,
        closeCode: code,
        closeCodeDescription: expect.any(String),
        comment: `closing as ${code}`,
        closedAt: expect.stringMatching(ISO),
        closedBy: { userId: null, userName: partner.companyName },
        finalOutstandingAmount: 55,
        totalPayments: 0,
        totalRecovered: 0,
      });
      expect(res.body.closeCodeDescription.length).toBeGreaterThan(0);
      const after = await getCase(partner, c.id);
      expect(after).toMatchObject({ lifecycle: 'Closed', closeCode: code, dateFinished: expect.stringMatching(ISO) });
      expectError(await call('POST', `/cases/${c.id}/close`, { key: partner.apiKey, body: { closeCode: 'Other' } }), 409, 'CaseAlreadyClosed');
    }
    // the comment is optional and comes back as null
    const plain = await newCase(call, partner.id);
    expect((await call('POST', `/cases/${plain.id}/close`, { key: partner.apiKey, body: { closeCode: 'Other' } })).body).toMatchObject({
      comment: null,
      finalOutstandingAmount: 1000,
    });
  });

  it('applies the Paid and PartiallyPaid rules, rejects unknown codes and long comments', async () => {
    const partner = await newPartner(call, 'Rules');
    const empty = await newCase(call, partner.id, { grossAmount: 100 });
    expectError(await call('POST', `/cases/${empty.id}/close`, { key: partner.apiKey, body: { closeCode: 'Paid' } }), 400, 'CloseCodeNotAllowed');
    expectError(await call('POST', `/cases/${empty.id}/close`, { key: partner.apiKey, body: { closeCode: 'PartiallyPaid' } }), 400, 'CloseCodeNotAllowed');
    const unknown = await call('POST', `/cases/${empty.id}/close`, { key: partner.apiKey, body: { closeCode: 'Settled' } });
    expectError(unknown, 400, 'ValidationError');
    expect(unknown.body.businessErrors[0].field).toBe('closeCode');
    expectError(await call('POST', `/cases/${empty.id}/close`, { key: partner.apiKey, body: {} }), 400, 'ValidationError');
    expectError(
      await call('POST', `/cases/${empty.id}/close`, { key: partner.apiKey, body: { closeCode: 'Other', comment: 'x'.repeat(2001) } }),
      400,
      'ValidationError',
    );
    expect((await getCase(partner, empty.id)).lifecycle).toBe('Active');

    const partial = await newCase(call, partner.id, { grossAmount: 100 });
    await pay(call, partner.apiKey, partial.id, { paymentAmount: 40 });
    expectError(await call('POST', `/cases/${partial.id}/close`, { key: partner.apiKey, body: { closeCode: 'Paid' } }), 400, 'CloseCodeNotAllowed');
    const partly = await call('POST', `/cases/${partial.id}/close`, {
      key: partner.apiKey,
      body: { closeCode: 'PartiallyPaid', comment: 'debtor will not pay more' },
    });
    expect(partly.status).toBe(200);
    expect(partly.body).toMatchObject({
      closeCode: 'PartiallyPaid',
      finalOutstandingAmount: 60,
      totalPayments: 40,
      totalRecovered: 40,
      comment: 'debtor will not pay more',
    });

    const full = await newCase(call, partner.id, { grossAmount: 100 });
    await pay(call, partner.apiKey, full.id, { paymentAmount: 100 });
    expect((await getCase(partner, full.id)).lifecycle).toBe('Active'); // no closeCase: stays open
    expectError(await call('POST', `/cases/${full.id}/close`, { key: partner.apiKey, body: { closeCode: 'PartiallyPaid' } }), 400, 'CloseCodeNotAllowed');
    const paid = await call('POST', `/cases/${full.id}/close`, { key: partner.apiKey, body: { closeCode: 'Paid' } });
    expect(paid.body).toMatchObject({ closeCode: 'Paid', finalOutstandingAmount: 0, totalPayments: 100, totalRecovered: 100 });

    const over = await newCase(call, partner.id, { grossAmount: 100 });
    await pay(call, partner.apiKey, over.id, { paymentAmount: 120 });
    expect((await call('POST', `/cases/${over.id}/close`, { key: partner.apiKey, body: { closeCode: 'Paid' } })).body).toMatchObject({
      finalOutstandingAmount: -20,
    });

    // the lifecycle service mirrors the close (GET /cases?Statuses reads it)
    await pollUntil(async () => (await caseRowInLifecycle(full.id))?.close_code === 'Paid', { what: 'close mirrored in case-lifecycle' });
    expectError(
      await call('POST', `/cases/${full.id}/close`, { key: (await newPartner(call, 'Stranger')).apiKey, body: { closeCode: 'Other' } }),
      404,
      'CaseNotFound',
    );
  });
});

describe('record a payment (§4.1)', () => {
  it('answers every field and splits by the success fee, rounding half up', async () => {
    const partner = await newPartner(call, 'Splitter', { preLegalRevenueShare: 0.5 });
    const c = await newCase(call, partner.id, { successFee: 25 });
    const res = await pay(call, partner.apiKey, c.id, { date: '2026-11-05T10:11:12Z', paymentAmount: 0.04 });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      paymentId: expect.stringMatching(UUID),
      caseReference: c.reference,
      date: '2026-11-05T00:00:00Z', // SPEC §1: a date answers as RFC 3339 midnight UTC, whatever form it was sent in
      paymentAmount: 0.04,
      payoutCreditor: 0.03,
      payoutCollectionPartner: 0.01,
      platformFee: 0.01, // 0.005 → 0.01
      paymentRecipient: 'CollectionPartner',
      commissionPaymentStatus: 'Paid',
      closeCase: false,
      caseClosed: false,
      closeCode: null,
      remainingAmount: 999.96,
      warnings: [],
    });
    // 25 % of 0.10 = 0.025 → 0.03; 50 % of 0.03 = 0.015 → 0.02
    expect((await pay(call, partner.apiKey, c.id, { paymentAmount: 0.1 })).body).toMatchObject({
      payoutCollectionPartner: 0.03,
      payoutCreditor: 0.07,
      platformFee: 0.02,
    });
    // 20.5 % of 0.99 = 0.20295 → 0.20
    const odd = await newCase(call, partner.id, { successFee: 20.5 });
    expect((await pay(call, partner.apiKey, odd.id, { paymentAmount: 0.99 })).body).toMatchObject({
      payoutCollectionPartner: 0.2,
      payoutCreditor: 0.79,
      platformFee: 0.1,
    });
    // currencies without and with three decimals
    const jpy = await newCase(call, partner.id, { currency: 'JPY', grossAmount: 100000, successFee: 20 });
    expect((await pay(call, partner.apiKey, jpy.id, { paymentAmount: 1001 })).body).toMatchObject({
      payoutCollectionPartner: 200,
      payoutCreditor: 801,
      platformFee: 100,
      remainingAmount: 98999,
    });
    expectError(await pay(call, partner.apiKey, jpy.id, { paymentAmount: 10.5 }), 400, 'ValidationError');
    const kwd = await newCase(call, partner.id, { currency: 'KWD', grossAmount: 10, successFee: 20 });
    expect((await pay(call, partner.apiKey, kwd.id, { paymentAmount: 1.005 })).body).toMatchObject({
      payoutCollectionPartner: 0.201,
      payoutCreditor: 0.804,
      platformFee: 0.101,
    });
    // the commission status: only a Creditor payment may leave it unpaid, and must say so
    expect((await pay(call, partner.apiKey, c.id, { commissionPaymentStatus: 'Unpaid' })).body.commissionPaymentStatus).toBe('Paid');
    expect((await pay(call, partner.apiKey, c.id, { paymentRecipient: 'Platform' })).body.commissionPaymentStatus).toBe('Paid');
    const creditorUnpaid = await pay(call, partner.apiKey, c.id, {
      paymentRecipient: 'Creditor',
      commissionPaymentStatus: 'Unpaid',
      createUnpaidCommissionFollowUp: false,
    });
    expect(creditorUnpaid.body).toMatchObject({ paymentRecipient: 'Creditor', commissionPaymentStatus: 'Unpaid' });
    const missing = await pay(call, partner.apiKey, c.id, { paymentRecipient: 'Creditor' });
    expectError(missing, 400, 'ValidationError');
    expect(missing.body.businessErrors[0].field).toBe('commissionPaymentStatus');
    expectError(await pay(call, partner.apiKey, c.id, { paymentAmount: 0 }), 400, 'ValidationError');
    expectError(await pay(call, partner.apiKey, c.id, { paymentAmount: -1 }), 400, 'ValidationError');
  });

  it('takes an explicit split within 0.01 of the amount and refuses one beyond it', async () => {
    const partner = await newPartner(call, 'Explicit');
    const c = await newCase(call, partner.id);
    const within = await pay(call, partner.apiKey, c.id, { paymentAmount: 100.01, payoutCreditor: 80, payoutCollectionPartner: 20 });
    expect(within.status).toBe(200);
    expect(within.body.payoutCollectionPartner).toBe(20);
    expect(within.body.platformFee).toBe(8);
    expect(Math.round((within.body.payoutCreditor + within.body.payoutCollectionPartner) * 100)).toBe(10001);
    const below = await pay(call, partner.apiKey, c.id, { paymentAmount: 99.99, payoutCreditor: 80, payoutCollectionPartner: 20 });
    expect(below.status).toBe(200);
    expect(Math.round((below.body.payoutCreditor + below.body.payoutCollectionPartner) * 100)).toBe(9999);
    const exact = await pay(call, partner.apiKey, c.id, { paymentAmount: 100, payoutCreditor: 50, payoutCollectionPartner: 50 });
    expect(exact.body).toMatchObject({ payoutCreditor: 50, payoutCollectionPartner: 50, platformFee: 20, warnings: [] });
    const beyond = await pay(call, partner.apiKey, c.id, { paymentAmount: 100.02, payoutCreditor: 80, payoutCollectionPartner: 20 });
    expectError(beyond, 400, 'ValidationError');
    expectError(await pay(call, partner.apiKey, c.id, { paymentAmount: 100, payoutCreditor: 80, payoutCollectionPartner: 20.02 }), 400, 'ValidationError');
    expectError(await pay(call, partner.apiKey, c.id, { paymentAmount: 100, payoutCreditor: 100 }), 400, 'ValidationError');
    expectError(await pay(call, partner.apiKey, c.id, { paymentAmount: 100, payoutCreditor: -10, payoutCollectionPartner: 110 }), 400, 'ValidationError');
    // nothing of the refused ones was recorded
    expect(await listPayments(partner, c.id)).toHaveLength(3);
  });

  it('warns only on explicit splits that give the creditor nothing or land on a settled case', async () => {
    const partner = await newPartner(call, 'Warner');
    const c = await newCase(call, partner.id, { grossAmount: 100 });
    const a = await pay(call, partner.apiKey, c.id, { paymentAmount: 50, payoutCreditor: 0, payoutCollectionPartner: 50 });
    expect(a.status).toBe(200);
    expect(a.body.warnings).toHaveLength(1);
    expect(a.body.warnings[0]).toMatch(/creditor/i);
    expect((await pay(call, partner.apiKey, c.id, { paymentAmount: 50 })).body.warnings).toEqual([]); // settles to 0, default split
    const b = await pay(call, partner.apiKey, c.id, { paymentAmount: 10, payoutCreditor: 8, payoutCollectionPartner: 2 });
    expect(b.status).toBe(200); // advisory only: recorded
    expect(b.body.warnings).toHaveLength(1);
    expect(b.body.warnings[0]).not.toBe(a.body.warnings[0]);
    expect((await pay(call, partner.apiKey, c.id, { paymentAmount: 10, payoutCreditor: 0, payoutCollectionPartner: 10 })).body.warnings).toHaveLength(2);
    expect((await pay(call, partner.apiKey, c.id, { paymentAmount: 10 })).body.warnings).toEqual([]); // overpaid but no explicit split
    expect(await getCase(partner, c.id)).toMatchObject({ totalPayments: 130, remainder: -30, lifecycle: 'Active' });
  });

  it('closes only on a settling payment with closeCase, refuses closed cases and foreign cases', async () => {
    const partner = await newPartner(call, 'Settler');
    const c = await newCase(call, partner.id, { grossAmount: 100, interestFees: 10 });
    const partial = await pay(call, partner.apiKey, c.id, { paymentAmount: 60, closeCase: true });
    expect(partial.body).toMatchObject({ closeCase: true, caseClosed: false, closeCode: null, remainingAmount: 50 });
    expect((await getCase(partner, c.id)).lifecycle).toBe('Active');
    const settling = await pay(call, partner.apiKey, c.id, { paymentAmount: 55, closeCase: true });
    expect(settling.body).toMatchObject({ closeCase: true, caseClosed: true, closeCode: 'Paid', remainingAmount: -5 });
    expect(await getCase(partner, c.id)).toMatchObject({
      lifecycle: 'Closed',
      closeCode: 'Paid',
      remainder: -5,
      totalPayments: 115,
      dateFinished: expect.stringMatching(ISO),
    });
    expectError(await pay(call, partner.apiKey, c.id, { paymentAmount: 1 }), 409, 'CaseClosed');
    const other = await newCase(call, partner.id, { grossAmount: 10 });
    await call('POST', `/cases/${other.id}/close`, { key: partner.apiKey, body: { closeCode: 'WithdrawnByClient' } });
    expectError(await pay(call, partner.apiKey, other.id, { paymentAmount: 1 }), 409, 'CaseClosed');
    // without closeCase a settling payment leaves the case open
    const open = await newCase(call, partner.id, { grossAmount: 10 });
    expect((await pay(call, partner.apiKey, open.id, { paymentAmount: 10 })).body).toMatchObject({ caseClosed: false, remainingAmount: 0 });
    const stranger = await newPartner(call, 'Stranger');
    expectError(await pay(call, stranger.apiKey, open.id), 404, 'CaseNotFound');
    expectError(await pay(call, partner.apiKey, '00000000-0000-4000-8000-000000000000'), 404, 'CaseNotFound');
    expect(await listPayments(partner, open.id)).toHaveLength(1);
    await pollUntil(async () => (await caseRowInLifecycle(c.id))?.close_code === 'Paid', { what: 'Paid close mirrored' });
  });
});

describe('idempotency (§4.2)', () => {
  it('replays verbatim, conflicts on another path or body, is scoped per partner and does not store 400s', async () => {
    const partner = await newPartner(call, 'Idem');
    const c1 = await newCase(call, partner.id);
    const c2 = await newCase(call, partner.id);
    const body = { date: '2026-11-03', paymentAmount: 10, paymentRecipient: 'CollectionPartner' };
    const first = await call('POST', `/cases/${c1.id}/payments`, { key: partner.apiKey, body, headers: { 'Idempotency-Key': 'k-1' } });
    expect(first.status).toBe(200);
    expect(first.headers.get('idempotency-replayed')).toBeNull();
    const replay = await call('POST', `/cases/${c1.id}/payments`, { key: partner.apiKey, body, headers: { 'Idempotency-Key': 'k-1' } });
    expect(replay.status).toBe(200);
    expect(replay.headers.get('idempotency-replayed')).toBe('true');
    expect(replay.text).toBe(first.text);
    // same key and body on another case: a different path
    const otherPath = await call('POST', `/cases/${c2.id}/payments`, { key: partner.apiKey, body, headers: { 'Idempotency-Key': 'k-1' } });
    expectError(otherPath, 422, 'IdempotencyConflict');
    expectError(
      await call('POST', `/cases/${c1.id}/payments`, { key: partner.apiKey, body: { ...body, paymentAmount: 11 }, headers: { 'Idempotency-Key': 'k-1' } }),
      422,
      'IdempotencyConflict',
    );
    expect(await listPayments(partner, c1.id)).toHaveLength(1);
    expect(await listPayments(partner, c2.id)).toHaveLength(0);

    // the scope is the partner: the same key for another partner is another payment
    const other = await newPartner(call, 'Idem other');
    const oc = await newCase(call, other.id);
    const theirs = await call('POST', `/cases/${oc.id}/payments`, { key: other.apiKey, body, headers: { 'Idempotency-Key': 'k-1' } });
    expect(theirs.status).toBe(200);
    expect(theirs.headers.get('idempotency-replayed')).toBeNull();
    expect(theirs.body.paymentId).not.toBe(first.body.paymentId);
    expect(await listPayments(other, oc.id)).toHaveLength(1);

    // a 400 is not stored: fix the body and retry with the same key
    const bad = await call('POST', `/cases/${c2.id}/payments`, {
      key: partner.apiKey,
      body: { ...body, paymentAmount: 'ten' },
      headers: { 'Idempotency-Key': 'k-2' },
    });
    expectError(bad, 400, 'ValidationError');
    const fixed = await call('POST', `/cases/${c2.id}/payments`, { key: partner.apiKey, body, headers: { 'Idempotency-Key': 'k-2' } });
    expect(fixed.status).toBe(200);
    expect(fixed.headers.get('idempotency-replayed')).toBeNull();
    // a business refusal (4xx other than 400) is the final answer and is replayed
    await call('POST', `/cases/${c2.id}/close`, { key: partner.apiKey, body: { closeCode: 'Other' } });
    const refused = await call('POST', `/cases/${c2.id}/payments`, { key: partner.apiKey, body, headers: { 'Idempotency-Key': 'k-3' } });
    expectError(refused, 409, 'CaseClosed');
    const refusedAgain = await call('POST', `/cases/${c2.id}/payments`, { key: partner.apiKey, body, headers: { 'Idempotency-Key': 'k-3' } });
    expect(refusedAgain.status).toBe(409);
    expect(refusedAgain.headers.get('idempotency-replayed')).toBe('true');
    expect(refusedAgain.text).toBe(refused.text);
    expectError(
      await call('POST', `/cases/${c1.id}/payments`, { key: partner.apiKey, body, headers: { 'Idempotency-Key': 'k'.repeat(256) } }),
      400,
      'ValidationError',
    );
    expect((await call('POST', `/cases/${c1.id}/payments`, { key: partner.apiKey, body, headers: { 'Idempotency-Key': 'k'.repeat(255) } })).status).toBe(200);
  });
});

describe('list payments (§4.3)', () => {
  it('lists live payments newest first with every field and filters by date and amount', async () => {
    const partner = await newPartner(call, 'Listing');
    const c = await newCase(call, partner.id);
    const ids: Record<string, string> = {};
    for (const [name, date, amount] of [
      ['a', '2026-10-01', 10],
      ['b', '2026-10-03', 30],
      ['c', '2026-10-02', 20],
      ['d', '2026-10-03', 40],
    ] as const) {
      ids[name] = (await pay(call, partner.apiKey, c.id, { date, paymentAmount: amount })).body.paymentId;
    }
    const all = await listPayments(partner, c.id);
    expect(all.map((p) => p.id)).toEqual([ids.d, ids.b, ids.c, ids.a]);
    expect(all[0]).toEqual({
      id: ids.d,
      date: '2026-10-03T00:00:00Z',
      paymentAmount: 40,
      grossAmount: 40,
      currency: 'EUR',
      paymentRecipient: 'CollectionPartner',
      recipient: 'CollectionPartner',
      method: null,
      commissionPaymentStatus: 'Paid',
      payoutCreditor: 32,
      payoutCollectionPartner: 8,
      platformFee: 3.2,
      invoice: { invoiceId: c.id, reference: c.reference, status: 'Active' },
      invoiced: false,
      platformInvoiceId: null,
      dateCreated: expect.stringMatching(ISO),
      dateUpdated: expect.stringMatching(ISO),
    });
    const ids_ = (list: Json[]) => list.map((p) => p.id);
    expect(ids_(await listPayments(partner, c.id, '?dateFrom=2026-10-02'))).toEqual([ids.d, ids.b, ids.c]);
    expect(ids_(await listPayments(partner, c.id, '?dateTo=2026-10-02'))).toEqual([ids.c, ids.a]);
    expect(ids_(await listPayments(partner, c.id, '?dateFrom=2026-10-02&dateTo=2026-10-02'))).toEqual([ids.c]);
    expect(ids_(await listPayments(partner, c.id, '?minAmount=20'))).toEqual([ids.d, ids.b, ids.c]);
    expect(ids_(await listPayments(partner, c.id, '?maxAmount=30'))).toEqual([ids.b, ids.c, ids.a]);
    expect(ids_(await listPayments(partner, c.id, '?minAmount=15&maxAmount=35&dateFrom=2026-10-03'))).toEqual([ids.b]);
    expectError(await call('GET', `/cases/${c.id}/payments?dateFrom=soon`, { key: partner.apiKey }), 400, 'ValidationError');
    expectError(await call('GET', `/cases/${c.id}/payments?minAmount=abc`, { key: partner.apiKey }), 400, 'ValidationError');
    // a deleted payment disappears from the list
    expect((await call('DELETE', `/cases/${c.id}/payments/${ids.b}`, { key: partner.apiKey })).status).toBe(204);
    expect(ids_(await listPayments(partner, c.id))).toEqual([ids.d, ids.c, ids.a]);
  });
});

describe('correct a payment (§4.4)', () => {
  it('PUT recomputes balance and split, DELETE reverses; both leave an audit trail', async () => {
    const partner = await newPartner(call, 'Corrector');
    const c = await newCase(call, partner.id, { grossAmount: 1000 });
    const p = (await pay(call, partner.apiKey, c.id, { paymentAmount: 300 })).body;
    const put = await call('PUT', `/cases/${c.id}/payments/${p.paymentId}`, {
      key: partner.apiKey,
      body: { date: '2026-11-02', paymentAmount: 400, paymentRecipient: 'CollectionPartner' },
    });
    expect(put.status, put.text).toBe(200);
    expect(put.body).toMatchObject({
      id: p.paymentId,
      date: '2026-11-02T00:00:00Z',
      paymentAmount: 400,
      payoutCreditor: 320,
      payoutCollectionPartner: 80,
      platformFee: 32,
      invoice: { invoiceId: c.id, reference: c.reference, status: 'Active' },
      invoiced: false,
    });
    expect(await getCase(partner, c.id)).toMatchObject({ totalPayments: 400, remainder: 600 });
    // explicit payouts are taken; a later PUT without them recomputes the default split
    const explicit = await call('PUT', `/cases/${c.id}/payments/${p.paymentId}`, {
      key: partner.apiKey,
      body: {
        date: '2026-11-02',
        paymentAmount: 400,
        paymentRecipient: 'Creditor',
        commissionPaymentStatus: 'Unpaid',
        payoutCreditor: 300,
        payoutCollectionPartner: 100,
      },
    });
    expect(explicit.body).toMatchObject({
      paymentRecipient: 'Creditor',
      commissionPaymentStatus: 'Unpaid',
      payoutCreditor: 300,
      payoutCollectionPartner: 100,
      platformFee: 40,
    });
    const recomputed = await call('PUT', `/cases/${c.id}/payments/${p.paymentId}`, {
      key: partner.apiKey,
      body: { date: '2026-11-02', paymentAmount: 250, paymentRecipient: 'Creditor', commissionPaymentStatus: 'Paid' },
    });
    expect(recomputed.body).toMatchObject({
      paymentAmount: 250,
      payoutCreditor: 200,
      payoutCollectionPartner: 50,
      platformFee: 20,
      commissionPaymentStatus: 'Paid',
    });
    expectError(
      await call('PUT', `/cases/${c.id}/payments/${p.paymentId}`, {
        key: partner.apiKey,
        body: { date: '2026-11-02', paymentAmount: 250, paymentRecipient: 'Creditor', payoutCreditor: 100, payoutCollectionPartner: 100 },
      }),
      400,
      'ValidationError',
    );
    expectError(
      await call('PUT', `/cases/${c.id}/payments/${p.paymentId}`, {
        key: partner.apiKey,
        body: { date: '2026-11-02', paymentAmount: 250, paymentRecipient: 'Platform' },
      }),
      400,
      'ValidationError',
    );
    const listed = await listPayments(partner, c.id);
    expect(listed).toHaveLength(1);
    expect(listed[0]).toMatchObject({ id: p.paymentId, paymentAmount: 250, payoutCreditor: 200 });
    expect(await getCase(partner, c.id)).toMatchObject({ totalPayments: 250, remainder: 750 });

    // a foreign partner or an unknown id: PaymentNotFound
    const stranger = await newPartner(call, 'Stranger');
    const body = { date: '2026-11-02', paymentAmount: 1, paymentRecipient: 'CollectionPartner' };
    expectError(await call('PUT', `/cases/${c.id}/payments/${p.paymentId}`, { key: stranger.apiKey, body }), 404, 'PaymentNotFound');
    expectError(await call('DELETE', `/cases/${c.id}/payments/${p.paymentId}`, { key: stranger.apiKey }), 404, 'PaymentNotFound');
    expectError(await call('PUT', `/cases/${c.id}/payments/00000000-0000-4000-8000-000000000000`, { key: partner.apiKey, body }), 404, 'PaymentNotFound');
    const otherCase = await newCase(call, partner.id);
    expectError(await call('DELETE', `/cases/${otherCase.id}/payments/${p.paymentId}`, { key: partner.apiKey }), 404, 'PaymentNotFound');

    const del = await call('DELETE', `/cases/${c.id}/payments/${p.paymentId}`, { key: partner.apiKey });
    expect(del.status).toBe(204);
    expect(del.text).toBe('');
    expect(await listPayments(partner, c.id)).toEqual([]);
    expect(await getCase(partner, c.id)).toMatchObject({ totalPayments: 0, remainder: 1000 });
    expectError(await call('DELETE', `/cases/${c.id}/payments/${p.paymentId}`, { key: partner.apiKey }), 404, 'PaymentNotFound');
    expectError(await call('PUT', `/cases/${c.id}/payments/${p.paymentId}`, { key: partner.apiKey, body }), 404, 'PaymentNotFound');
    expectError(
      await call('POST', `/cases/${c.id}/payments/${p.paymentId}/commission`, { key: partner.apiKey, body: { status: 'Paid' } }),
      404,
      'PaymentNotFound',
    );

    // the audit trail, in order, with the values before and after
    const trail = await audit(partner, c.id);
    expect(trail.map((e) => e.type)).toEqual(['PaymentRecorded', 'PaymentUpdated', 'PaymentUpdated', 'PaymentUpdated', 'PaymentDeleted']);
    for (const e of trail) {
      expect(e).toMatchObject({ id: expect.stringMatching(UUID), paymentId: p.paymentId, actor: partner.companyName, at: expect.stringMatching(ISO) });
    }
    expect(new Set(trail.map((e) => e.id)).size).toBe(trail.length);
    expect(trail.map((e) => e.at)).toEqual([...trail.map((e) => e.at)].sort());
    expect(trail[0].before).toBeNull();
    // the API's names and money (SPEC §10: 300 for 300.00), never the ledger's minor units
    expect(trail[0].after).toMatchObject({
      id: p.paymentId,
      paymentAmount: 300,
      payoutCreditor: 240,
      payoutCollectionPartner: 60,
      platformFee: 24,
      paymentRecipient: 'CollectionPartner',
      invoiced: false,
      platformInvoiceId: null,
    });
    expect(trail[1].before).toMatchObject({ paymentAmount: 300 });
    expect(trail[1].after).toMatchObject({ paymentAmount: 400, date: '2026-11-02T00:00:00Z' });
    expect(trail[2].after).toMatchObject({ paymentRecipient: 'Creditor', commissionPaymentStatus: 'Unpaid', payoutCollectionPartner: 100 });
    expect(trail[4].before).toMatchObject({ id: p.paymentId, paymentAmount: 250, payoutCreditor: 200 });
    for (const e of trail) for (const v of [e.before, e.after]) if (v) expect(Object.keys(v)).not.toEqual(expect.arrayContaining(['amount']));
    expect(trail[4].after).toBeNull();
  });

  it('needs consent to reopen a Paid case whose remainder would turn positive (PUT in body, DELETE in query)', async () => {
    const partner = await newPartner(call, 'Reopener');
    const c = await newCase(call, partner.id, { grossAmount: 100 });
    const p = (await pay(call, partner.apiKey, c.id, { paymentAmount: 100, closeCase: true })).body;
    expect(p).toMatchObject({ caseClosed: true, closeCode: 'Paid' });
    const put = (amount: number, extra: Record<string, unknown> = {}, query = '') =>
      call('PUT', `/cases/${c.id}/payments/${p.paymentId}${query}`, {
        key: partner.apiKey,
        body: { date: '2026-11-01', paymentAmount: amount, paymentRecipient: 'CollectionPartner', ...extra },
      });

    // the remainder stays ≤ 0: no consent needed and the case stays closed as Paid
    expect((await put(120)).status).toBe(200);
    expect(await getCase(partner, c.id)).toMatchObject({ lifecycle: 'Closed', closeCode: 'Paid', remainder: -20 });
    // consent given but not needed: still never reopened from its balance alone
    expect((await put(100, { reopenCaseIfNeeded: true })).status).toBe(200);
    expect(await getCase(partner, c.id)).toMatchObject({ lifecycle: 'Closed', closeCode: 'Paid', remainder: 0 });

    const before = { payments: await listPayments(partner, c.id), audit: await audit(partner, c.id), case: await getCase(partner, c.id) };
    expectError(await put(60), 409, 'ReopenConsentRequired');
    expectError(await put(60, { reopenCaseIfNeeded: false }), 409, 'ReopenConsentRequired');
    expectError(await put(60, {}, '?reopenCaseIfNeeded=true'), 409, 'ReopenConsentRequired'); // PUT takes it in the body
    expectError(await call('DELETE', `/cases/${c.id}/payments/${p.paymentId}`, { key: partner.apiKey }), 409, 'ReopenConsentRequired');
    expectError(await call('DELETE', `/cases/${c.id}/payments/${p.paymentId}?reopenCaseIfNeeded=false`, { key: partner.apiKey }), 409, 'ReopenConsentRequired');
    // nothing changed
    expect(await listPayments(partner, c.id)).toEqual(before.payments);
    expect(await audit(partner, c.id)).toEqual(before.audit);
    expect(await getCase(partner, c.id)).toEqual(before.case);

    const reopened = await put(60, { reopenCaseIfNeeded: true });
    expect(reopened.status, reopened.text).toBe(200);
    expect(reopened.body).toMatchObject({ paymentAmount: 60, invoice: { status: 'Active' } });
    expect(await getCase(partner, c.id)).toMatchObject({ lifecycle: 'Active', closeCode: null, dateFinished: null, remainder: 40, totalPayments: 60 });
    // GET /cases shows it at once (read-your-writes: the ledger's recent change laid over case-lifecycle's
    // copy); the copy follows the ledger's event
    expect((await get(partner.apiKey, '/cases?Statuses=Active')).cases.map((x: Json) => x.id)).toContain(c.id);
    expect((await get(partner.apiKey, '/cases?Statuses=Closed')).cases.map((x: Json) => x.id)).not.toContain(c.id);
    await pollUntil(async () => (await caseRowInLifecycle(c.id))?.lifecycle === 'Active', { what: 'reopen applied in case-lifecycle' });
    expect(await caseRowInLifecycle(c.id)).toMatchObject({ lifecycle: 'Active', close_code: null, finished_at: null });
    await pollUntil(
      async () =>
        (await db.withSchema('cases').table('case_events').where({ case_id: c.id, type: 'case.updated' })).some(
          (e: { data: Json }) => e.data.newLifecycle === 'Active' && e.data.oldLifecycle === 'Closed',
        ),
      { what: 'case.updated Closed → Active' },
    );

    // settle again, then a delete with consent in the query
    const second = (await pay(call, partner.apiKey, c.id, { paymentAmount: 40, closeCase: true })).body;
    expect(second).toMatchObject({ caseClosed: true, closeCode: 'Paid', remainingAmount: 0 });
    expectError(
      await call('DELETE', `/cases/${c.id}/payments/${second.paymentId}`, { key: partner.apiKey, body: { reopenCaseIfNeeded: true } }),
      409,
      'ReopenConsentRequired',
    );
    expect((await call('DELETE', `/cases/${c.id}/payments/${second.paymentId}?reopenCaseIfNeeded=true`, { key: partner.apiKey })).status).toBe(204);
    expect(await getCase(partner, c.id)).toMatchObject({ lifecycle: 'Active', closeCode: null, dateFinished: null, remainder: 40 });
    expect((await get(partner.apiKey, '/cases?Statuses=Active')).cases.map((x: Json) => x.id)).toContain(c.id);
    await pollUntil(async () => (await caseRowInLifecycle(c.id))?.lifecycle === 'Active', { what: 'reopen applied in case-lifecycle' });
    expect(await caseRowInLifecycle(c.id)).toMatchObject({ lifecycle: 'Active', close_code: null, finished_at: null });
    expectError(await call('DELETE', `/cases/${c.id}/payments/${second.paymentId}?reopenCaseIfNeeded=maybe`, { key: partner.apiKey }), 400, 'ValidationError');

    const trail = (await audit(partner, c.id)).map((e) => e.type);
    expect(trail).toEqual([
      'PaymentRecorded',
      'CaseClosed',
      'PaymentUpdated',
      'PaymentUpdated',
      'PaymentUpdated',
      'CaseReopened',
      'PaymentRecorded',
      'CaseClosed',
      'PaymentDeleted',
      'CaseReopened',
    ]);
    (await audit(partner, c.id)).forEach(shownAsTheApiShowsIt);
    const reopenEntry = (await audit(partner, c.id))[5];
    expect(reopenEntry.before).toMatchObject({ lifecycle: 'Closed', closeCode: 'Paid' });
    expect(reopenEntry.after).toMatchObject({ lifecycle: 'Active', closeCode: null });
  });

  it('corrects a case closed with another code and leaves it closed with that code', async () => {
    const partner = await newPartner(call, 'OtherCode');
    const c = await newCase(call, partner.id, { grossAmount: 100 });
    const p1 = (await pay(call, partner.apiKey, c.id, { paymentAmount: 30 })).body;
    const p2 = (await pay(call, partner.apiKey, c.id, { paymentAmount: 20 })).body;
    expect((await call('POST', `/cases/${c.id}/close`, { key: partner.apiKey, body: { closeCode: 'PartiallyPaid' } })).status).toBe(200);
    expect(
      (
        await call('PUT', `/cases/${c.id}/payments/${p1.paymentId}`, {
          key: partner.apiKey,
          body: { date: '2026-11-01', paymentAmount: 10, paymentRecipient: 'CollectionPartner' },
        })
      ).status,
    ).toBe(200);
    expect((await call('DELETE', `/cases/${c.id}/payments/${p2.paymentId}`, { key: partner.apiKey })).status).toBe(204);
    expect(await getCase(partner, c.id)).toMatchObject({
      lifecycle: 'Closed',
      closeCode: 'PartiallyPaid',
      remainder: 90,
      dateFinished: expect.stringMatching(ISO),
    });
    // even a correction that settles the balance does not change the code
    expect(
      (
        await call('PUT', `/cases/${c.id}/payments/${p1.paymentId}`, {
          key: partner.apiKey,
          body: { date: '2026-11-01', paymentAmount: 150, paymentRecipient: 'CollectionPartner' },
        })
      ).status,
    ).toBe(200);
    expect(await getCase(partner, c.id)).toMatchObject({ lifecycle: 'Closed', closeCode: 'PartiallyPaid', remainder: -50 });
    const untraceable = await newCase(call, partner.id, { grossAmount: 100 });
    const p3 = (await pay(call, partner.apiKey, untraceable.id, { paymentAmount: 100 })).body;
    await call('POST', `/cases/${untraceable.id}/close`, { key: partner.apiKey, body: { closeCode: 'DebtorUntraceable' } });
    expect((await call('DELETE', `/cases/${untraceable.id}/payments/${p3.paymentId}`, { key: partner.apiKey })).status).toBe(204);
    expect(await getCase(partner, untraceable.id)).toMatchObject({ lifecycle: 'Closed', closeCode: 'DebtorUntraceable', remainder: 100 });
    expect((await audit(partner, untraceable.id)).map((e) => e.type)).toEqual(['PaymentRecorded', 'CaseClosed', 'PaymentDeleted']);
  });
});

describe('commission settlement (§4.5)', () => {
  it('marks a Creditor payment commission paid once, refuses other recipients and unknown payments', async () => {
    const partner = await newPartner(call, 'Commission');
    const c = await newCase(call, partner.id);
    const p = (
      await pay(call, partner.apiKey, c.id, { paymentRecipient: 'Creditor', commissionPaymentStatus: 'Unpaid', createUnpaidCommissionFollowUp: false })
    ).body;
    const settle = () => call('POST', `/cases/${c.id}/payments/${p.paymentId}/commission`, { key: partner.apiKey, body: { status: 'Paid' } });
    const first = await settle();
    expect(first.status, first.text).toBe(200);
    expect(first.body).toMatchObject({
      id: p.paymentId,
      paymentRecipient: 'Creditor',
      commissionPaymentStatus: 'Paid',
      paymentAmount: 100,
      invoice: { invoiceId: c.id },
    });
    const second = await settle();
    expect(second.status).toBe(200);
    expect(second.body.commissionPaymentStatus).toBe('Paid');
    const trail = await audit(partner, c.id);
    expect(trail.map((e) => e.type)).toEqual(['PaymentRecorded', 'CommissionSettled']);
    expect(trail[1]).toMatchObject({ paymentId: p.paymentId, before: { commissionPaymentStatus: 'Unpaid' }, after: { commissionPaymentStatus: 'Paid' } });
    trail.forEach(shownAsTheApiShowsIt);
    expect((await listPayments(partner, c.id))[0].commissionPaymentStatus).toBe('Paid');

    const direct = (await pay(call, partner.apiKey, c.id, { paymentRecipient: 'CollectionPartner' })).body;
    expectError(
      await call('POST', `/cases/${c.id}/payments/${direct.paymentId}/commission`, { key: partner.apiKey, body: { status: 'Paid' } }),
      400,
      'ValidationError',
    );
    expectError(
      await call('POST', `/cases/${c.id}/payments/${p.paymentId}/commission`, { key: partner.apiKey, body: { status: 'Unpaid' } }),
      400,
      'ValidationError',
    );
    expectError(
      await call('POST', `/cases/${c.id}/payments/00000000-0000-4000-8000-000000000000/commission`, { key: partner.apiKey, body: { status: 'Paid' } }),
      404,
      'PaymentNotFound',
    );
    const stranger = await newPartner(call, 'Stranger');
    expectError(
      await call('POST', `/cases/${c.id}/payments/${p.paymentId}/commission`, { key: stranger.apiKey, body: { status: 'Paid' } }),
      404,
      'PaymentNotFound',
    );
    expect((await audit(partner, c.id)).filter((e) => e.type === 'CommissionSettled')).toHaveLength(1);
  });
});

describe('test cases (§7)', () => {
  it('creates test cases only, advances them and deletes them with everything attached', async () => {
    const partner = await newPartner(call, 'Tester');
    const body = {
      isTest: true,
      currencyCode: 'EUR',
      amountToRecover: 250,
      date: '2026-11-01',
      creditorCompanyName: 'Creditor Ltd',
      debtor: { type: 'Company', name: 'Debtor Inc' },
      tag: 'suite-a',
    };
    const created = await call('POST', '/managed-cases', { key: partner.apiKey, body });
    expect(created.status, created.text).toBe(200);
    expect(created.body).toMatchObject({
      id: expect.stringMatching(UUID),
      isTestCase: true,
      lifecycle: 'Active',
      closeCode: null,
      currency: 'EUR',
      grossAmount: 250,
      remainder: 250,
      preLegalSuccessFee: 20,
      creditor: { companyName: 'Creditor Ltd' },
      debtor: { type: 'Company', name: 'Debtor Inc' },
    });
    const t1 = created.body;
    expectError(await call('POST', '/managed-cases', { key: partner.apiKey, body: { ...body, isTest: false } }), 400, 'ValidationError');
    const { isTest: _omit, ...withoutFlag } = body;
    void _omit;
    const missingFlag = await call('POST', '/managed-cases', { key: partner.apiKey, body: withoutFlag });
    expectError(missingFlag, 400, 'ValidationError');
    expect(missingFlag.body.businessErrors.map((e: Json) => e.field)).toContain('isTest');
    expect(
      (await call('POST', '/managed-cases', { key: partner.apiKey, body: { ...body, successFee: 30, currencyCode: 'JPY', amountToRecover: 5000 } })).body,
    ).toMatchObject({ preLegalSuccessFee: 30, currency: 'JPY', grossAmount: 5000 });
    // hidden from the default list, visible by id
    expect((await get(partner.apiKey, '/cases')).page.totalResults).toBe(0);
    expect((await getCase(partner, t1.id)).isTestCase).toBe(true);

    const advance = (id: string, payload: Record<string, unknown>) => call('POST', `/test/cases/${id}/advance`, { key: partner.apiKey, body: payload });
    expect((await advance(t1.id, { to: 'Active' })).body).toEqual({ advanced: false, state: 'Active' });
    expectError(await advance(t1.id, { to: 'Closed:Paid' }), 400, 'ValidationError'); // amount required
    expectError(await advance(t1.id, { to: 'Closed:Later' }), 400, 'ValidationError');
    const paid = await advance(t1.id, { to: 'Closed:Paid', amount: 250 });
    expect(paid.status, paid.text).toBe(200);
    expect(paid.body).toEqual({ advanced: true, state: 'Closed:Paid' });
    expect(await getCase(partner, t1.id)).toMatchObject({ lifecycle: 'Closed', closeCode: 'Paid', remainder: 0, totalPayments: 250 });
    expect(await listPayments(partner, t1.id)).toHaveLength(1);
    expect((await advance(t1.id, { to: 'Closed:Paid', amount: 250 })).body).toEqual({ advanced: false, state: 'Closed:Paid' });
    // the correct-and-reopen flow works on a test case too
    const testPayment = (await listPayments(partner, t1.id))[0];
    expectError(await call('DELETE', `/cases/${t1.id}/payments/${testPayment.id}`, { key: partner.apiKey }), 409, 'ReopenConsentRequired');

    const t2 = (await call('POST', '/managed-cases', { key: partner.apiKey, body: { ...body, tag: 'suite-b' } })).body;
    expect((await advance(t2.id, { to: 'Closed:NoPayment' })).body).toEqual({ advanced: true, state: 'Closed:NoPayment' });
    expect(await getCase(partner, t2.id)).toMatchObject({ lifecycle: 'Closed', closeCode: 'PreLegalExhaustedNoPayment' });
    expect((await advance(t2.id, { to: 'Closed:NoPayment' })).body).toEqual({ advanced: false, state: 'Closed:NoPayment' });

    const production = await newCase(call, partner.id);
    expectError(await advance(production.id, { to: 'Closed:NoPayment' }), 400, 'ValidationError');
    expect((await getCase(partner, production.id)).lifecycle).toBe('Active');
    const stranger = await newPartner(call, 'Stranger');
    expect((await call('POST', `/test/cases/${t2.id}/advance`, { key: stranger.apiKey, body: { to: 'Active' } })).status).toBe(404);

    // hard delete by id: the case, its payments and its audit trail are gone
    expect((await call('DELETE', `/test/cases/${t1.id}`, { key: partner.apiKey })).status).toBe(204);
    expectError(await call('GET', `/cases/${t1.id}`, { key: partner.apiKey }), 404, 'CaseNotFound');
    expectError(await call('GET', `/cases/${t1.id}/audit`, { key: partner.apiKey }), 404, 'CaseNotFound');
    expect(await db.withSchema('ledger').table('accounts').where({ case_id: t1.id })).toEqual([]);
    expect(await db.withSchema('ledger').table('payments').where({ case_id: t1.id })).toEqual([]);
    expect(await db.withSchema('ledger').table('audit').where({ case_id: t1.id })).toEqual([]);
    expect(await db.withSchema('cases').table('cases').where({ id: t1.id })).toEqual([]);
    expect((await call('DELETE', `/test/cases/${t1.id}`, { key: partner.apiKey })).status).toBe(404);
    // a production case is never deleted
    expectError(await call('DELETE', `/test/cases/${production.id}`, { key: partner.apiKey }), 400, 'ValidationError');
    expect((await getCase(partner, production.id)).id).toBe(production.id);
    expect(await db.withSchema('ledger').table('accounts').where({ case_id: production.id })).toHaveLength(1);

    // by tag: only that partner's test cases with the tag
    const t3 = (await call('POST', '/managed-cases', { key: partner.apiKey, body: { ...body, tag: 'suite-b' } })).body;
    const kept = (await call('POST', '/managed-cases', { key: partner.apiKey, body: { ...body, tag: 'suite-c' } })).body;
    const strangers = (await call('POST', '/managed-cases', { key: stranger.apiKey, body: { ...body, tag: 'suite-b' } })).body;
    expectError(await call('DELETE', '/test/cases', { key: partner.apiKey }), 400, 'ValidationError');
    expect((await call('DELETE', '/test/cases?tag=suite-b', { key: partner.apiKey })).status).toBe(204);
    expect((await call('GET', `/cases/${t2.id}`, { key: partner.apiKey })).status).toBe(404);
    expect((await call('GET', `/cases/${t3.id}`, { key: partner.apiKey })).status).toBe(404);
    expect((await call('GET', `/cases/${kept.id}`, { key: partner.apiKey })).status).toBe(200);
    expect((await call('GET', `/cases/${strangers.id}`, { key: stranger.apiKey })).status).toBe(200);
    expect((await call('GET', `/cases/${production.id}`, { key: partner.apiKey })).status).toBe(200);
    expect((await get(partner.apiKey, '/cases?includeTestCases=true')).page.totalResults).toBe(3); // production, JPY test, kept
  });
});

describe('rate limit (§1)', () => {
  it('answers 429 with retryAfter and Retry-After once a key used its budget, per key', async () => {
    const limited = await startExtraGateway(stack, inject('databaseUrl'), { RATE_LIMIT_PER_MINUTE: '3' });
    try {
      const limitedCall = client(() => limited.url);
      // The budget is per one-minute window: a burst that straddles a window's end is tried once more.
      const minute = () => Math.floor(Date.now() / 60_000);
      const burst = async () => {
        const partner = await newPartner(call, 'Limited');
        const started = minute();
        const statuses: number[] = [];
        for (let i = 0; i < 3; i++) statuses.push((await limitedCall('GET', '/me', { key: partner.apiKey })).status);
        const refused = await limitedCall('GET', '/me', { key: partner.apiKey });
        return { partner, statuses, refused, rolledOver: minute() !== started };
      };
      let attempt = await burst();
      if (attempt.rolledOver) attempt = await burst();
      const { partner, statuses, refused } = attempt;
      const other = await newPartner(call, 'Unlimited');
      expect(statuses).toEqual([200, 200, 200]);
      expect(refused.status).toBe(429);
      expect(refused.body).toEqual({ error: 'rate_limit_exceeded', message: expect.any(String), retryAfter: expect.any(Number) });
      expect(refused.body.retryAfter).toBeGreaterThan(0);
      expect(refused.headers.get('retry-after')).toBe(String(refused.body.retryAfter));
      // the budget is per key
      expect((await limitedCall('GET', '/me', { key: other.apiKey })).status).toBe(200);
      // the main gateway, configured with the default limit, keeps its own count for the key
      expect((await call('GET', '/me', { key: partner.apiKey })).status).toBe(200);
    } finally {
      await limited.stop();
    }
  });
});

describe('fees and the timeline (§10)', () => {
  const fees = (p: Partner, caseId: string, body: unknown) => call('PUT', `/cases/${caseId}/fees`, { key: p.apiKey, body });
  const timeline = (p: Partner, caseId: string) => get(p.apiKey, `/cases/${caseId}/timeline`);

  it('a fee change moves the remainder at once, so the close rules see it: paid to zero → fee → Paid refused → pay the fee → Paid', async () => {
    const partner = await newPartner(call, 'Fees');
    const c = await newCase(call, partner.id, { grossAmount: 100, reminderFees: 5 });
    expect((await pay(call, partner.apiKey, c.id, { paymentAmount: 105 })).body).toMatchObject({ remainingAmount: 0, caseClosed: false });

    const changed = await fees(partner, c.id, { interestFees: 12.5, confirmPriceChange: true, keepIntentionalRate: false });
    expect(changed.status, changed.text).toBe(200);
    expect(changed.body).toEqual({
      caseId: c.id,
      grossAmount: 100,
      interestFees: 12.5,
      reminderFees: 5,
      collectionFees: 0,
      totalAddedFees: 17.5,
      recalculatedSuccessFee: 20,
      remainder: 12.5,
    });
    // read-your-writes: the case shows it at once
    expect(await getCase(partner, c.id)).toMatchObject({
      grossAmount: 100,
      interestFees: 12.5,
      reminderFees: 5,
      collectionFees: 0,
      totalAddedFees: 17.5,
      totalPayments: 105,
      remainder: 12.5,
      lifecycle: 'Active',
    });
    expectError(await call('POST', `/cases/${c.id}/close`, { key: partner.apiKey, body: { closeCode: 'Paid' } }), 400, 'CloseCodeNotAllowed');

    // omitted amounts are kept; the principal may change too; PascalCase names bind (§10)
    expect((await fees(partner, c.id, { GrossAmount: 90, collectionFees: 2.5 })).body).toMatchObject({
      grossAmount: 90,
      interestFees: 12.5,
      reminderFees: 5,
      collectionFees: 2.5,
      totalAddedFees: 20,
      remainder: 5,
    });
    expect((await pay(call, partner.apiKey, c.id, { paymentAmount: 5 })).body).toMatchObject({ remainingAmount: 0 });
    const closed = await call('POST', `/cases/${c.id}/close`, { key: partner.apiKey, body: { closeCode: 'Paid' } });
    expect(closed.status, closed.text).toBe(200);
    expect(closed.body).toMatchObject({ closeCode: 'Paid', finalOutstandingAmount: 0, totalPayments: 110 });

    // the audit trail: one FeesUpdated per change, old and new values in the API's money
    const trail = await audit(partner, c.id);
    expect(trail.map((e) => e.type)).toEqual(['PaymentRecorded', 'FeesUpdated', 'FeesUpdated', 'PaymentRecorded', 'CaseClosed']);
    trail.forEach(shownAsTheApiShowsIt);
    expect(trail[1]).toMatchObject({
      paymentId: null,
      actor: partner.companyName,
      before: { grossAmount: 100, interestFees: 0, reminderFees: 5, collectionFees: 0, totalAddedFees: 5, remainder: 0 },
      after: { grossAmount: 100, interestFees: 12.5, reminderFees: 5, collectionFees: 0, totalAddedFees: 17.5, remainder: 12.5 },
    });
    expect(trail[2]).toMatchObject({
      before: { grossAmount: 100, collectionFees: 0, remainder: 12.5 },
      after: { grossAmount: 90, collectionFees: 2.5, totalAddedFees: 20, remainder: 5 },
    });

    // a fee change is no lifecycle change: the only case.updated of the case is its close
    await pollUntil(async () => (await db.withSchema('cases').table('case_events').where({ case_id: c.id, type: 'case.closed' })).length === 1, {
      what: 'case.closed',
    });
    const updates = await db.withSchema('cases').table('case_events').where({ case_id: c.id, type: 'case.updated' });
    expect(updates.map((e: { data: Json }) => [e.data.oldLifecycle, e.data.newLifecycle])).toEqual([['Active', 'Closed']]);
  });

  it('refuses a closed case with 400 CaseClosed and changes nothing; a foreign or unknown case is 404', async () => {
    const partner = await newPartner(call, 'ClosedFees');
    const c = await newCase(call, partner.id, { grossAmount: 100, interestFees: 1 });
    expect((await call('POST', `/cases/${c.id}/close`, { key: partner.apiKey, body: { closeCode: 'Other' } })).status).toBe(200);
    const before = { case: await getCase(partner, c.id), audit: await audit(partner, c.id) };
    expectError(await fees(partner, c.id, { interestFees: 50, grossAmount: 10 }), 400, 'CaseClosed');
    expect(await getCase(partner, c.id)).toEqual(before.case);
    expect(await audit(partner, c.id)).toEqual(before.audit);

    const stranger = await newPartner(call, 'FeesStranger');
    expectError(await fees(stranger, c.id, { interestFees: 1 }), 404, 'CaseNotFound');
    expectError(await fees(stranger, c.id, { interestFees: -1 }), 404, 'CaseNotFound');
    expectError(await call('GET', `/cases/${c.id}/timeline`, { key: stranger.apiKey }), 404, 'CaseNotFound');
    expectError(await fees(partner, '00000000-0000-4000-8000-000000000000', { interestFees: 1 }), 404, 'CaseNotFound');
    expectError(await call('GET', '/cases/not-a-uuid/timeline', { key: partner.apiKey }), 404, 'CaseNotFound');
    // an unchanged amount is no change: 200, and no audit entry
    const open = await newCase(call, partner.id, { grossAmount: 100, interestFees: 1 });
    expect((await fees(partner, open.id, { interestFees: 1 })).body).toMatchObject({ interestFees: 1, remainder: 101 });
    expect(await audit(partner, open.id)).toEqual([]);
  });

  it('a fee change racing payments on the same case loses neither', async () => {
    const partner = await newPartner(call, 'FeesRace');
    const c = await newCase(call, partner.id, { grossAmount: 1000 });
    const answers = await Promise.all([
      ...Array.from({ length: 8 }, () => pay(call, partner.apiKey, c.id, { paymentAmount: 10 })),
      ...Array.from({ length: 4 }, (_, i) => fees(partner, c.id, { reminderFees: i + 1, collectionFees: 2 * (i + 1) })),
    ]);
    expect(answers.map((a) => a.status)).toEqual(Array(12).fill(200));
    const after = await getCase(partner, c.id);
    expect(after.totalPayments).toBe(80);
    expect(after.collectionFees).toBe(2 * after.reminderFees);
    expect(after.remainder).toBe(1000 + after.totalAddedFees - 80);
    const trail = await audit(partner, c.id);
    expect(trail.filter((e) => e.type === 'PaymentRecorded')).toHaveLength(8);
    const feeEntries = trail.filter((e) => e.type === 'FeesUpdated');
    expect(feeEntries).toHaveLength(4);
    // each change was decided on the locked account: it starts from the values the one before left
    for (let i = 1; i < feeEntries.length; i++) expect(feeEntries[i].before.reminderFees).toBe(feeEntries[i - 1].after.reminderFees);
    expect(feeEntries.at(-1).after).toMatchObject({ reminderFees: after.reminderFees, collectionFees: after.collectionFees });
  });

  it('the timeline shows the creation and every audit entry once, oldest first, with API money and no minor units', async () => {
    const partner = await newPartner(call, 'Timeline');
    const c = await newCase(call, partner.id, { grossAmount: 300, interestFees: 10.5, currentEngagementPhase: 'Legal' });
    const paymentOf = (id: string) => `/cases/${c.id}/payments/${id}`;
    const p1 = (
      await pay(call, partner.apiKey, c.id, {
        paymentAmount: 200,
        paymentRecipient: 'Creditor',
        commissionPaymentStatus: 'Unpaid',
        createUnpaidCommissionFollowUp: false,
      })
    ).body;
    expect(
      (
        await call('PUT', paymentOf(p1.paymentId), {
          key: partner.apiKey,
          body: { date: '2026-11-02', paymentAmount: 250, paymentRecipient: 'Creditor', commissionPaymentStatus: 'Unpaid' },
        })
      ).status,
    ).toBe(200);
    expect((await call('POST', `${paymentOf(p1.paymentId)}/commission`, { key: partner.apiKey, body: { status: 'Paid' } })).status).toBe(200);
    expect((await fees(partner, c.id, { interestFees: 50 })).body).toMatchObject({ remainder: 100 });
    const p2 = (await pay(call, partner.apiKey, c.id, { paymentAmount: 100, closeCase: true })).body;
    expect(p2).toMatchObject({ caseClosed: true });
    expect((await call('DELETE', `${paymentOf(p2.paymentId)}?reopenCaseIfNeeded=true`, { key: partner.apiKey })).status).toBe(204);
    expect((await call('POST', `/cases/${c.id}/close`, { key: partner.apiKey, body: { closeCode: 'Other', comment: 'written off' } })).status).toBe(200);

    const trail = await audit(partner, c.id);
    const t = await timeline(partner, c.id);
    expect(Object.keys(t).sort()).toEqual(['currentEngagementPhase', 'items']);
    expect(t.currentEngagementPhase).toBe('Legal');
    // every entry exactly once, in the trail's order, after the creation
    expect(t.items.map((i: Json) => i.type)).toEqual(['CaseCreated', ...trail.map((e) => e.type)]);
    expect(new Set(trail.map((e) => e.type))).toEqual(
      new Set(['PaymentRecorded', 'PaymentUpdated', 'CommissionSettled', 'FeesUpdated', 'CaseClosed', 'CaseReopened', 'PaymentDeleted']),
    );
    expect(t.items.slice(1).map((i: Json) => i.date)).toEqual(trail.map((e) => e.at));
    const dates = t.items.map((i: Json) => Date.parse(i.date));
    expect(dates).toEqual([...dates].sort((a, b) => a - b));
    for (const item of t.items) {
      expect(Object.keys(item).sort()).toEqual(['actor', 'date', 'description', 'title', 'type']);
      expect(item.date).toMatch(ISO);
      expect(item.title.length).toBeGreaterThan(0);
      expect(item.actor.type === 'Operator' || item.actor.name === partner.companyName, JSON.stringify(item)).toBe(true);
      // money with its currency, never minor units or the ledger's field names
      expect(item.description).not.toMatch(/\b(20000|25000|10000|5000|1050|30000)\b/);
      expect(item.description).not.toMatch(/\b(amount|recipient|commissionStatus|totalFees)\b/);
    }
    const [created, ...rest] = t.items;
    expect(created).toMatchObject({ type: 'CaseCreated', actor: { type: 'Operator' }, description: expect.stringContaining('300 EUR') });
    expect(created.description).toContain('10.5 EUR');
    expect(rest.every((i: Json) => i.actor.type === 'Partner')).toBe(true);
    const byType = (type: string) => t.items.filter((i: Json) => i.type === type);
    expect(byType('PaymentRecorded')[0].description).toContain('200 EUR');
    expect(byType('PaymentUpdated')[0].description).toMatch(/200 EUR.*250 EUR/);
    expect(byType('CommissionSettled')[0].description).toContain('50 EUR'); // 20 % of 250
    expect(byType('FeesUpdated')[0].description).toMatch(/interest fees 10\.5 EUR → 50 EUR/i);
    expect(byType('PaymentDeleted')[0].description).toContain('100 EUR');
    expect(byType('CaseClosed').map((i: Json) => i.description)).toEqual([expect.stringContaining('Paid'), expect.stringContaining('written off')]);
    expect(byType('CaseReopened')[0].description).toContain('100 EUR');
  });
});
