// Issue 15: the operator reads invoices back after the run that made them, through the REST API of the
// distributed stack (four processes on the real PostgreSQL server and a real Kafka broker): the list
// (paginated, newest first, by partner and currency), one invoice with its payouts, and its CSV file.
// Other test files share the database and may have made invoices: everything here is checked on this
// file's own partners, and the unfiltered list only for order and for holding them.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startStack, type RunningStack } from '@pp/testing';
import { ADMIN, client, newCase, newPartner, pay, type Json, type Partner } from './rest-harness';

let stack: RunningStack;
const call = client(() => stack.gatewayUrl);

const UNKNOWN = '00000000-0000-4000-8000-000000000000';
const COLUMNS = [
  'invoiceId',
  'invoiceCreatedAt',
  'partnerId',
  'partnerName',
  'currency',
  'paymentId',
  'caseId',
  'caseReference',
  'paymentDate',
  'paymentAmount',
  'payoutCreditor',
  'payoutCollectionPartner',
  'platformFee',
];

const get = async (path: string, key = ADMIN) => {
  const res = await call('GET', path, { key });
  expect(res.status, `${path}: ${res.text}`).toBe(200);
  return res.body as Json;
};

function expectError(res: { status: number; body: Json; text: string }, status: number, type: string, field?: string) {
  expect(res.status, res.text).toBe(status);
  expect(res.body).toMatchObject({ error: type, message: expect.any(String) });
  expect(res.body.businessErrors).toHaveLength(1);
  expect(res.body.businessErrors[0]).toMatchObject({ type, field: field ?? null });
  expect(res.body.message).toBe(res.body.businessErrors[0].message);
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
      else if (text[i + 1] === '"') ((field += '"'), i++);
      else quoted = false;
    } else if (c === '"' && field === '') quoted = true;
    else if (c === ',') (row.push(field), (field = ''));
    else if (c === '\r' && text[i + 1] === '\n') (row.push(field), rows.push(row), (row = []), (field = ''), i++);
    else field += c;
  }
  expect({ row, field }, 'the file ends with CRLF').toEqual({ row: [], field: '' });
  return rows;
}

/** Newest first: createdAt descending, then id descending (code-unit order: as PostgreSQL orders UUIDs). */
const desc = (x: string, y: string) => (x < y ? 1 : x > y ? -1 : 0);
const inListOrder = (a: Json, b: Json) => desc(a.createdAt, b.createdAt) || desc(a.id, b.id);

/** Money as the API shows it, back in minor units (exact for the currencies used here). */
const minor = (major: number, digits: number) => Math.round(major * 10 ** digits);

let a: Partner;
let b: Partner;
/** A's payments, as POST /cases/{id}/payments answered them, with their case */
const recorded: { answer: Json; caseId: string; reference: string; currency: string }[] = [];
/** the invoices of A's first run by currency, of B's run, and of A's second run */
let firstRun: Record<string, Json>;
let ofB: Json;
let secondRun: Json;

beforeAll(async () => {
  stack = await startStack({ databaseUrl: inject('databaseUrl'), kafkaBrokers: inject('kafkaBrokers'), env: { ADMIN_API_KEY: ADMIN } });
  // A company name a spreadsheet would run as a formula, with a quote and a comma: the CSV must hold it as text.
  a = await newPartner(call, '=HYPERLINK("http://evil.test","Invoices, Inc")', { preLegalRevenueShare: 0.4 });
  b = await newPartner(call, 'Invoices Other');
  const payOn = async (partner: Partner, c: Json, body: Record<string, unknown>) => {
    const res = await pay(call, partner.apiKey, c.id, body);
    expect(res.status, res.text).toBe(200);
    if (partner === a) recorded.push({ answer: res.body, caseId: c.id, reference: c.reference, currency: c.currency });
    return res.body as Json;
  };
  const [eur, jpy, kwd, eurOfB] = await Promise.all([
    newCase(call, a.id, { currency: 'EUR', grossAmount: 10_000 }),
    newCase(call, a.id, { currency: 'JPY', grossAmount: 1_000_000 }),
    newCase(call, a.id, { currency: 'KWD', grossAmount: 1_000 }),
    newCase(call, b.id),
  ]);
  await payOn(a, eur, { paymentAmount: 250.5, date: '2026-11-02' });
  await payOn(a, eur, { paymentAmount: 100.01, payoutCreditor: 80, payoutCollectionPartner: 20.01, paymentRecipient: 'Platform', date: '2026-11-01' });
  await payOn(a, jpy, { paymentAmount: 5000 });
  await payOn(a, kwd, { paymentAmount: 10.125 });
  const run = async (partner: Partner, expected: number) => {
    const res = await call('POST', '/admin/invoicing-runs', { key: ADMIN, body: { partnerId: partner.id } });
    expect(res.status, res.text).toBe(200);
    expect(res.body.invoices).toHaveLength(expected);
    return res.body.invoices as Json[];
  };
  firstRun = Object.fromEntries((await run(a, 3)).map((i) => [i.currency, i]));
  await payOn(b, eurOfB, {});
  [ofB] = await run(b, 1);
  await payOn(a, eur, { paymentAmount: 1, date: '2026-11-03' });
  [secondRun] = await run(a, 1);
});

afterAll(async () => {
  await stack?.stop();
});

describe('GET /admin/invoices', () => {
  it("lists a partner's invoices newest first, as their runs made them", async () => {
    const list = await get(`/admin/invoices?PartnerId=${a.id}`);
    expect(list.page).toEqual({ totalResults: 4, pageSize: 10, currentPage: 1, responseCount: 4, totalPages: 1 });
    expect(list.invoices.map((i: Json) => i.id)).toEqual([...list.invoices].sort(inListOrder).map((i: Json) => i.id));
    // the second run's invoice first, then the first run's three (one run: one createdAt, ordered by id)
    expect(list.invoices[0]).toEqual({ ...secondRun, createdAt: expect.any(String) });
    const rest = list.invoices.slice(1);
    expect(new Set(rest.map((i: Json) => i.createdAt)).size).toBe(1);
    expect(rest.map((i: Json) => i.id)).toEqual(
      Object.values(firstRun)
        .map((i) => i.id)
        .sort()
        .reverse(),
    );
    for (const invoice of rest) expect(invoice).toEqual({ ...firstRun[invoice.currency], createdAt: rest[0].createdAt });
    expect(Date.parse(list.invoices[0].createdAt)).toBeGreaterThan(Date.parse(rest[0].createdAt));
    expect(list.invoices[0].createdAt).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    // the first run's totals, in major units
    expect(firstRun.EUR).toMatchObject({ partnerId: a.id, payoutCount: 2, totalPlatformFee: 28.04 }); // 20.04 + 8.00
    expect(firstRun.JPY).toMatchObject({ payoutCount: 1, totalPlatformFee: 400 });
    expect(firstRun.KWD).toMatchObject({ payoutCount: 1, totalPlatformFee: 0.81 });
  });

  it('pages through them: every invoice once, in order, with the page object of GET /cases', async () => {
    const all = (await get(`/admin/invoices?PartnerId=${a.id}`)).invoices as Json[];
    const first = await get(`/admin/invoices?PartnerId=${a.id}&PageSize=3`);
    const second = await get(`/admin/invoices?partnerId=${a.id.toUpperCase()}&page=2&pageSize=3`);
    const beyond = await get(`/admin/invoices?PartnerId=${a.id}&Page=3&PageSize=3`);
    expect(first.page).toEqual({ totalResults: 4, pageSize: 3, currentPage: 1, responseCount: 3, totalPages: 2 });
    expect(second.page).toEqual({ totalResults: 4, pageSize: 3, currentPage: 2, responseCount: 1, totalPages: 2 });
    expect(beyond).toEqual({ page: { totalResults: 4, pageSize: 3, currentPage: 3, responseCount: 0, totalPages: 2 }, invoices: [] });
    expect([...first.invoices, ...second.invoices]).toEqual(all);
  });

  it('filters by currency, and answers an empty list for a partner without invoices', async () => {
    const jpy = await get(`/admin/invoices?PartnerId=${a.id}&Currency=JPY`);
    expect(jpy.invoices).toEqual([{ ...firstRun.JPY, createdAt: expect.any(String) }]);
    expect(jpy.page.totalResults).toBe(1);
    expect((await get(`/admin/invoices?PartnerId=${b.id}&Currency=JPY`)).invoices).toEqual([]);
    expect(await get(`/admin/invoices?PartnerId=${UNKNOWN}`)).toEqual({
      page: { totalResults: 0, pageSize: 10, currentPage: 1, responseCount: 0, totalPages: 0 },
      invoices: [],
    });
  });

  it("without PartnerId: every partner's invoices, newest first", async () => {
    const list = await get('/admin/invoices?PageSize=100');
    const ids = list.invoices.map((i: Json) => i.id);
    expect(ids).toEqual([...list.invoices].sort(inListOrder).map((i: Json) => i.id));
    // this file's invoices are the newest (test files run one at a time): A's second run, B's, A's first
    const ours = [
      secondRun.id,
      ofB.id,
      ...Object.values(firstRun)
        .map((i) => i.id)
        .sort()
        .reverse(),
    ];
    expect(ids.slice(0, 5)).toEqual(ours);
    expect(list.invoices[1]).toMatchObject({ partnerId: b.id, currency: 'EUR', payoutCount: 1, totalPlatformFee: 8 });
    expect(list.page.totalResults).toBeGreaterThanOrEqual(5);
    expect(list.page.responseCount).toBe(Math.min(100, list.page.totalResults));
  });

  it('answers 400 ValidationError naming the parameter for a bad one', async () => {
    for (const [query, field] of [
      ['PartnerId=nope', 'PartnerId'],
      ['PartnerId=', 'PartnerId'],
      [`PartnerId=${a.id}&PartnerId=${b.id}`, 'PartnerId'],
      ['partnerId=0000000g-0000-4000-8000-000000000000', 'PartnerId'],
      ['Currency=EURO', 'Currency'],
      ['Currency=eur', 'Currency'],
      ['Currency=XYZ', 'Currency'],
      ['Page=0', 'Page'],
      ['Page=-1', 'Page'],
      ['Page=abc', 'Page'],
      ['page=1.5', 'Page'],
      ['Page=1000001', 'Page'],
      ['PageSize=0', 'PageSize'],
      ['PageSize=101', 'PageSize'],
      ['pageSize=ten', 'PageSize'],
    ])
      expectError(await call('GET', `/admin/invoices?${query}`, { key: ADMIN }), 400, 'ValidationError', field);
  });
});

describe('GET /admin/invoices/{id}', () => {
  it('answers the invoice with its payouts: what was recorded, in major units, by payment date', async () => {
    const invoice = await get(`/admin/invoices/${firstRun.EUR.id}`);
    const eur = recorded.filter((r) => r.currency === 'EUR').slice(0, 2);
    expect(invoice).toEqual({
      ...firstRun.EUR,
      createdAt: expect.any(String),
      payouts: [eur[1]!, eur[0]!].map((r) => ({
        paymentId: r.answer.paymentId,
        caseId: r.caseId,
        caseReference: r.reference,
        date: r.answer.date,
        currency: 'EUR',
        paymentAmount: r.answer.paymentAmount,
        payoutCreditor: r.answer.payoutCreditor,
        payoutCollectionPartner: r.answer.payoutCollectionPartner,
        platformFee: r.answer.platformFee,
      })),
    });
    expect(invoice.payouts.map((p: Json) => p.date)).toEqual(['2026-11-01T00:00:00Z', '2026-11-02T00:00:00Z']);
    expect(invoice.payouts.map((p: Json) => [p.paymentAmount, p.payoutCreditor, p.payoutCollectionPartner, p.platformFee])).toEqual([
      [100.01, 80, 20.01, 8],
      [250.5, 200.4, 50.1, 20.04],
    ]);
    const sum = invoice.payouts.reduce((s: number, p: Json) => s + minor(p.platformFee, 2), 0);
    expect(sum).toBe(minor(invoice.totalPlatformFee, 2));
    // the payments name this invoice, and the partner sees them frozen
    const payments = await get(`/cases/${eur[0]!.caseId}/payments`, a.apiKey);
    for (const p of payments.filter((x: Json) => invoice.payouts.some((o: Json) => o.paymentId === x.id)))
      expect(p).toMatchObject({ invoiced: true, platformInvoiceId: invoice.id });
  });

  it('keeps each currency exact, and is the same after later runs; an upper-case id names it too', async () => {
    const jpy = await get(`/admin/invoices/${firstRun.JPY.id}`);
    expect(jpy.payouts).toEqual([expect.objectContaining({ currency: 'JPY', paymentAmount: 5000, payoutCollectionPartner: 1000, platformFee: 400 })]);
    const kwd = await get(`/admin/invoices/${firstRun.KWD.id.toUpperCase()}`);
    expect(kwd.id).toBe(firstRun.KWD.id);
    expect(kwd.payouts).toEqual([
      expect.objectContaining({ currency: 'KWD', paymentAmount: 10.125, payoutCreditor: 8.1, payoutCollectionPartner: 2.025, platformFee: 0.81 }),
    ]);
    // the second run made its own invoice and left the first one's alone
    const later = await get(`/admin/invoices/${secondRun.id}`);
    expect(later.payouts.map((p: Json) => p.paymentId)).toEqual([recorded.at(-1)!.answer.paymentId]);
    expect((await get(`/admin/invoices/${firstRun.EUR.id}`)).payouts).toHaveLength(2);
  });

  it('answers 404 InvoiceNotFound for an unknown id or one that is no UUID', async () => {
    for (const id of [UNKNOWN, 'not-a-uuid', `${firstRun.EUR.id}x`, '1'])
      for (const path of [`/admin/invoices/${id}`, `/admin/invoices/${id}/csv`]) expectError(await call('GET', path, { key: ADMIN }), 404, 'InvoiceNotFound');
  });
});

describe('GET /admin/invoices/{id}/csv', () => {
  it('downloads a header row and one row per payout, amounts with the digits of the currency', async () => {
    const json = await get(`/admin/invoices/${firstRun.EUR.id}`);
    const res = await call('GET', `/admin/invoices/${firstRun.EUR.id}/csv`, { key: ADMIN });
    expect(res.status, res.text).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(res.headers.get('content-disposition')).toBe(`attachment; filename="invoice-${firstRun.EUR.id}.csv"`);
    const [header, ...rows] = parseCsv(res.text);
    expect(header).toEqual(COLUMNS);
    expect(rows).toEqual(
      json.payouts.map((p: Json) => [
        json.id,
        json.createdAt,
        a.id,
        `'${a.companyName}`, // a formula-like name, written as text
        'EUR',
        p.paymentId,
        p.caseId,
        p.caseReference,
        p.date.slice(0, 10),
        p.paymentAmount.toFixed(2),
        p.payoutCreditor.toFixed(2),
        p.payoutCollectionPartner.toFixed(2),
        p.platformFee.toFixed(2),
      ]),
    );
    expect(rows.map((r) => r.slice(9))).toEqual([
      ['100.01', '80.00', '20.01', '8.00'],
      ['250.50', '200.40', '50.10', '20.04'],
    ]);
  });

  it('writes JPY without decimals and KWD with three', async () => {
    const amounts = async (id: string) => parseCsv((await call('GET', `/admin/invoices/${id}/csv`, { key: ADMIN })).text).map((r) => r.slice(9));
    expect(await amounts(firstRun.JPY.id)).toEqual([COLUMNS.slice(9), ['5000', '4000', '1000', '400']]);
    expect(await amounts(firstRun.KWD.id)).toEqual([COLUMNS.slice(9), ['10.125', '8.100', '2.025', '0.810']]);
  });

  it('writes a partner name that is plain text as it is', async () => {
    const [, row] = parseCsv((await call('GET', `/admin/invoices/${ofB.id}/csv`, { key: ADMIN })).text);
    expect(row![3]).toBe(b.companyName);
  });
});

describe('the invoice routes are the operator’s', () => {
  it('answer 403 to a partner key and 401 without a key', async () => {
    for (const path of [
      '/admin/invoices',
      `/admin/invoices?PartnerId=${a.id}`,
      `/admin/invoices/${firstRun.EUR.id}`,
      `/admin/invoices/${firstRun.EUR.id}/csv`,
    ]) {
      const forbidden = await call('GET', path, { key: a.apiKey });
      expect(forbidden.status, path).toBe(403);
      expect(forbidden.body).toMatchObject({ type: 'Forbidden', status: 403 });
      expect((await call('GET', path)).status, path).toBe(401);
    }
  });
});
