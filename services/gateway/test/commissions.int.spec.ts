// Issue 16: what a partner is owed, summed by the server (GET /commissions/owed, paginated), and the CSV
// exports of those amounts and of the partner's payments of a date range, through the REST API of the
// distributed stack (four processes, the real PostgreSQL server, a real Kafka broker). Everything is
// checked on this file's own partners: other test files share the database.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startStack, type RunningStack } from '@pp/testing';
import { ADMIN, client, newCase, newPartner, pay, type Json, type Partner } from './rest-harness';

let stack: RunningStack;
const call = client(() => stack.gatewayUrl);

const get = async (path: string, key: string) => {
  const res = await call('GET', path, { key });
  expect(res.status, `${path}: ${res.text}`).toBe(200);
  return res;
};

function expectValidation(res: { status: number; body: Json; text: string }, field: string) {
  expect(res.status, res.text).toBe(400);
  expect(res.body).toMatchObject({ error: 'ValidationError' });
  expect(res.body.businessErrors[0]).toMatchObject({ type: 'ValidationError', field });
}

/** RFC 4180: quoted fields may hold commas, quotes ("") and line ends; every record ends with CRLF. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c !== '"') field += c;
      else if (text[i + 1] === '"') {
        field += '"';
        i++;
      } else quoted = false;
    } else if (c === '"' && field === '') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i++;
    } else field += c;
  }
  expect({ row, field }, 'the file ends with CRLF').toEqual({ row: [], field: '' });
  return rows;
}

let a: Partner;
let b: Partner;
const cases: Record<'eur' | 'jpy' | 'kwd' | 'nothingOwed' | 'test' | 'ofB', Json> = {} as never;
/** A's payments as POST answered them, with the case they are on */
const paid: { answer: Json; case: Json }[] = [];
let deletedId: string;

async function payOn(partner: Partner, c: Json, body: Record<string, unknown>): Promise<Json> {
  const res = await pay(call, partner.apiKey, c.id, body);
  expect(res.status, res.text).toBe(200);
  if (partner === a) paid.push({ answer: res.body, case: c });
  return res.body;
}
const owedOn = (amount: number, date: string, extra: Record<string, unknown> = {}) => ({
  paymentAmount: amount,
  date,
  paymentRecipient: 'Creditor',
  commissionPaymentStatus: 'Unpaid',
  createUnpaidCommissionFollowUp: false,
  ...extra,
});

beforeAll(async () => {
  stack = await startStack({ databaseUrl: inject('databaseUrl'), kafkaBrokers: inject('kafkaBrokers'), env: { ADMIN_API_KEY: ADMIN } });
  [a, b] = await Promise.all([newPartner(call, 'Owed Agency'), newPartner(call, 'Owed Other')]);
  [cases.eur, cases.jpy, cases.kwd, cases.nothingOwed, cases.test, cases.ofB] = await Promise.all([
    newCase(call, a.id, { currency: 'EUR', grossAmount: 10_000 }),
    newCase(call, a.id, { currency: 'JPY', grossAmount: 1_000_000 }),
    newCase(call, a.id, { currency: 'KWD', grossAmount: 1_000 }),
    newCase(call, a.id, { currency: 'EUR', grossAmount: 1_000 }),
    newCase(call, a.id, { currency: 'EUR', grossAmount: 1_000, isTestCase: true }),
    newCase(call, b.id),
  ]);
  // EUR: two unpaid commissions (20 % of 100.50 and of 50), one paid, one paid to the partner
  await payOn(a, cases.eur, owedOn(100.5, '2026-10-03'));
  await payOn(a, cases.eur, owedOn(50, '2026-10-01'));
  await payOn(a, cases.eur, owedOn(30, '2026-10-02', { commissionPaymentStatus: 'Paid' }));
  await payOn(a, cases.eur, { paymentAmount: 40, date: '2026-10-04', paymentRecipient: 'CollectionPartner' });
  // JPY: 20 % of 5001 = 1000.2, half up to 1000 yen
  await payOn(a, cases.jpy, owedOn(5001, '2026-10-05'));
  // KWD: 20 % of 10.125 = 2.025 owed; a second one settled through the API
  await payOn(a, cases.kwd, owedOn(10.125, '2026-10-02'));
  const settled = await payOn(a, cases.kwd, owedOn(1, '2026-10-02'));
  expect((await call('POST', `/cases/${cases.kwd.id}/payments/${settled.paymentId}/commission`, { key: a.apiKey, body: { status: 'Paid' } })).status).toBe(200);
  // nothing owed: a split that gives the partner 0, and an unpaid one deleted
  await payOn(a, cases.nothingOwed, owedOn(10, '2026-10-02', { payoutCreditor: 10, payoutCollectionPartner: 0 }));
  const deleted = await payOn(a, cases.nothingOwed, owedOn(10, '2026-10-02'));
  deletedId = deleted.paymentId;
  expect((await call('DELETE', `/cases/${cases.nothingOwed.id}/payments/${deleted.paymentId}`, { key: a.apiKey })).status).toBe(204);
  // a test case: shown only when asked for
  await payOn(a, cases.test, owedOn(10, '2026-10-02'));
  await payOn(b, cases.ofB, owedOn(100, '2026-10-02'));
});

afterAll(async () => {
  await stack?.stop();
});

const row = (c: Json, amountOwed: number, paymentCount: number, oldest: string, isTestCase = false) => ({
  caseId: c.id,
  caseReference: c.reference,
  currency: c.currency,
  amountOwed,
  paymentCount,
  oldestPaymentDate: `${oldest}T00:00:00Z`,
  isTestCase,
});
const byReference = (rows: Json[]) => [...rows].sort((x, y) => (x.caseReference < y.caseReference ? -1 : 1));

describe('GET /commissions/owed', () => {
  it('sums the unpaid commissions per case and currency, with totals per currency', async () => {
    const { body } = await get('/commissions/owed', a.apiKey);
    expect(body.page).toEqual({ totalResults: 3, pageSize: 10, currentPage: 1, responseCount: 3, totalPages: 1 });
    expect(body.owed).toEqual(
      byReference([row(cases.eur, 30.1, 2, '2026-10-01'), row(cases.jpy, 1000, 1, '2026-10-05'), row(cases.kwd, 2.025, 1, '2026-10-02')]),
    );
    expect(body.totals).toEqual([
      { currency: 'EUR', amountOwed: 30.1, paymentCount: 2, caseCount: 1 },
      { currency: 'JPY', amountOwed: 1000, paymentCount: 1, caseCount: 1 },
      { currency: 'KWD', amountOwed: 2.025, paymentCount: 1, caseCount: 1 },
    ]);
  });

  it('pages with Page and PageSize; the totals stay those of every page', async () => {
    const all = (await get('/commissions/owed', a.apiKey)).body;
    const first = (await get('/commissions/owed?PageSize=2', a.apiKey)).body;
    const second = (await get('/commissions/owed?page=2&pageSize=2', a.apiKey)).body;
    const beyond = (await get('/commissions/owed?Page=3&PageSize=2', a.apiKey)).body;
    expect(first.page).toEqual({ totalResults: 3, pageSize: 2, currentPage: 1, responseCount: 2, totalPages: 2 });
    expect(second.page).toEqual({ totalResults: 3, pageSize: 2, currentPage: 2, responseCount: 1, totalPages: 2 });
    expect(beyond.page).toEqual({ totalResults: 3, pageSize: 2, currentPage: 3, responseCount: 0, totalPages: 2 });
    expect([...first.owed, ...second.owed]).toEqual(all.owed);
    for (const page of [first, second, beyond]) expect(page.totals).toEqual(all.totals);
  });

  it('shows test cases only with includeTestCases=true', async () => {
    const { body } = await get('/commissions/owed?includeTestCases=true', a.apiKey);
    expect(body.page.totalResults).toBe(4);
    expect(body.owed).toContainEqual(row(cases.test, 2, 1, '2026-10-02', true));
    expect(body.totals[0]).toEqual({ currency: 'EUR', amountOwed: 32.1, paymentCount: 3, caseCount: 2 });
  });

  it("never shows another partner's amounts", async () => {
    const { body } = await get('/commissions/owed', b.apiKey);
    expect(body.owed).toEqual([row(cases.ofB, 20, 1, '2026-10-02')]);
    expect(body.totals).toEqual([{ currency: 'EUR', amountOwed: 20, paymentCount: 1, caseCount: 1 }]);
  });

  it('answers 400 ValidationError naming a bad parameter', async () => {
    for (const [query, field] of [
      ['Page=0', 'Page'],
      ['PageSize=101', 'PageSize'],
      ['Page=x', 'Page'],
      ['includeTestCases=yes', 'includeTestCases'],
    ] as const)
      expectValidation(await call('GET', `/commissions/owed?${query}`, { key: a.apiKey }), field);
    expect((await call('GET', '/commissions/owed')).status).toBe(401);
  });
});

describe('GET /commissions/owed/export', () => {
  it('is the amounts owed as a CSV file, a row per case and currency, amounts with the digits of the currency', async () => {
    const res = await get('/commissions/owed/export', a.apiKey);
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(res.headers.get('content-disposition')).toBe('attachment; filename="commissions-owed.csv"');
    const [header, ...rows] = parseCsv(res.text);
    expect(header).toEqual(['caseId', 'caseReference', 'isTestCase', 'currency', 'amountOwed', 'paymentCount', 'oldestPaymentDate']);
    const expected = byReference([
      { caseReference: cases.eur.reference, r: [cases.eur.id, cases.eur.reference, 'false', 'EUR', '30.10', '2', '2026-10-01'] },
      { caseReference: cases.jpy.reference, r: [cases.jpy.id, cases.jpy.reference, 'false', 'JPY', '1000', '1', '2026-10-05'] },
      { caseReference: cases.kwd.reference, r: [cases.kwd.id, cases.kwd.reference, 'false', 'KWD', '2.025', '1', '2026-10-02'] },
    ]).map((x) => x.r);
    expect(rows).toEqual(expected);
    const withTest = parseCsv((await get('/commissions/owed/export?includeTestCases=true', a.apiKey)).text);
    expect(withTest).toHaveLength(5);
    expectValidation(await call('GET', '/commissions/owed/export?includeTestCases=1', { key: a.apiKey }), 'includeTestCases');
  });
});

describe('GET /payments/export', () => {
  const COLUMNS = [
    'paymentId',
    'caseId',
    'caseReference',
    'isTestCase',
    'date',
    'currency',
    'paymentAmount',
    'paymentRecipient',
    'commissionPaymentStatus',
    'payoutCreditor',
    'payoutCollectionPartner',
    'platformFee',
    'invoiced',
    'platformInvoiceId',
    'dateCreated',
    'dateUpdated',
  ];

  it("is the caller's live payments of the range, oldest first, as GET /cases/{id}/payments shows them", async () => {
    const res = await get('/payments/export?dateFrom=2026-10-02&dateTo=2026-10-03T12:00:00Z', a.apiKey);
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(res.headers.get('content-disposition')).toBe('attachment; filename="payments-2026-10-02-2026-10-03.csv"');
    const [header, ...rows] = parseCsv(res.text);
    expect(header).toEqual(COLUMNS);
    // every live production payment of A dated 2026-10-02 or 2026-10-03, read back from the API's own list
    const listed: Json[] = [];
    for (const c of [cases.eur, cases.jpy, cases.kwd, cases.nothingOwed]) {
      for (const p of (await get(`/cases/${c.id}/payments?dateFrom=2026-10-02&dateTo=2026-10-03`, a.apiKey)).body as Json[]) listed.push({ p, c });
    }
    const cmp = (x: string, y: string) => (x < y ? -1 : x > y ? 1 : 0);
    listed.sort((x, y) => cmp(x.p.date, y.p.date) || cmp(x.p.id, y.p.id));
    const digits: Record<string, number> = { EUR: 2, JPY: 0, KWD: 3 };
    const text = (n: number, currency: string) => n.toFixed(digits[currency]!);
    expect(rows).toEqual(
      listed.map(({ p, c }) => [
        p.id,
        c.id,
        c.reference,
        'false',
        p.date.slice(0, 10),
        c.currency,
        text(p.paymentAmount, c.currency),
        p.paymentRecipient,
        p.commissionPaymentStatus,
        text(p.payoutCreditor, c.currency),
        text(p.payoutCollectionPartner, c.currency),
        text(p.platformFee, c.currency),
        'false',
        '',
        p.dateCreated,
        p.dateUpdated,
      ]),
    );
    // 2 on EUR (10-02 paid, 10-03), 2 on KWD (one settled), 1 left on the nothing-owed case (the other deleted)
    expect(rows).toHaveLength(5);
    expect(rows.map((r) => r[0])).not.toContain(paid.find((x) => x.case === cases.test)!.answer.paymentId);
  });

  it('takes open bounds and test cases on request; never shows another partner', async () => {
    const everything = parseCsv((await get('/payments/export?includeTestCases=true', a.apiKey)).text);
    const live = paid.map((x) => x.answer.paymentId as string).filter((id) => id !== deletedId);
    expect(
      everything
        .slice(1)
        .map((r) => r[0])
        .sort(),
    ).toEqual(live.sort());
    const ofB = parseCsv((await get('/payments/export', b.apiKey)).text);
    expect(ofB).toHaveLength(2);
    expect(ofB[1]![1]).toBe(cases.ofB.id);
    expect(parseCsv((await get('/payments/export?dateFrom=2030-01-01', a.apiKey)).text)).toEqual([COLUMNS]);
  });

  it('answers 400 ValidationError naming a bad parameter', async () => {
    for (const [query, field] of [
      ['dateFrom=2026-13-01', 'dateFrom'],
      ['dateTo=yesterday', 'dateTo'],
      ['dateFrom=2026-10-03&dateTo=2026-10-02', 'dateTo'],
      ['includeTestCases=maybe', 'includeTestCases'],
    ] as const)
      expectValidation(await call('GET', `/payments/export?${query}`, { key: a.apiKey }), field);
  });
});
