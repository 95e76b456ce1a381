// Every input field of every endpoint that takes input (SPEC §2, §3, §4, §7) against its bad values:
// wrong type, out of range, too many decimals for the currency, missing, oversize, unknown enum
// value, invalid date. Each answers 400 with the contract's error body, one ValidationError naming
// the field; and a fixed-seed fuzz shows that no input, however malformed, gives a 5xx (SPEC §1).
// The same suite runs against the distributed stack (validation.int.spec.ts) and the embedded default
// (validation.embedded.int.spec.ts): the contract is the same on both modes.
import fc from 'fast-check';
import { pollUntil } from '@pp/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/** A running system the suite talks to, started with the environment it asks for. */
export interface Target {
  readonly url: string;
  stop(): Promise<void>;
}

const ADMIN = 'test-admin-key';
const LONG = 'x'.repeat(10_000);
const NUL = 'bad\u0000name';
const UUID_A = '00000000-0000-4000-8000-00000000000a';
/** Marks a field to leave out of the body. */
const MISSING = Symbol('missing');

type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';
type Json = Record<string, unknown>;
type Values = readonly (readonly [label: string, value: unknown])[];

interface Row {
  label: string;
  method: Method;
  path: () => string;
  /** the operator key, or the partner's key (default) */
  admin?: boolean;
  body?: () => unknown;
  raw?: () => string;
  headers?: Record<string, string>;
  /** the field the single ValidationError must name; null for a problem with the body as a whole */
  field: string | null;
}

interface ErrorBody {
  businessErrors: { type: string; message: string; field: string | null }[];
  error: string;
  message: string;
}

let target: Target;

/** What beforeAll creates; rows read it lazily. */
const fx = {
  partner: { id: '', apiKey: '' },
  eur: '',
  jpy: '',
  kwd: '',
  closeTarget: '',
  testEur: '',
  testJpy: '',
  /** a managed test case with one payment on it (fx.testEurPayment) */
  testPaid: '',
  testEurPayment: '',
  eurPayment: '',
  jpyPayment: '',
  kwdPayment: '',
  creditorPayment: '',
  fuzz: { EUR: '', JPY: '', KWD: '' } as Record<'EUR' | 'JPY' | 'KWD', string>,
  fuzzPayment: '',
  fuzzTestCase: '',
};

async function call(method: Method, path: string, opts: { key?: string; body?: unknown; raw?: string; headers?: Record<string, string> } = {}) {
  const hasBody = opts.body !== undefined || opts.raw !== undefined;
  const res = await fetch(`${target.url}${path}`, {
    method,
    headers: { ...(opts.key ? { XApiKey: opts.key } : {}), ...(hasBody ? { 'content-type': 'application/json' } : {}), ...(opts.headers ?? {}) },
    body: opts.raw ?? (opts.body === undefined ? undefined : JSON.stringify(opts.body)),
  });
  const text = await res.text();
  let body: unknown;
  try {
    body = text ? (JSON.parse(text) as unknown) : undefined;
  } catch {
    body = text;
  }
  return { status: res.status, headers: res.headers, body };
}

async function ok<T>(res: Promise<{ status: number; body: unknown }>, status: number): Promise<T> {
  const r = await res;
  expect(r.status, JSON.stringify(r.body)).toBe(status);
  return r.body as T;
}

// ---- building the table

/** The base body with one field (dotted path for nested objects) set to a value, or removed. */
function withField(base: Json, field: string, value: unknown): Json {
  const copy = structuredClone(base);
  const parts = field.split('.');
  let target: Json = copy;
  for (const part of parts.slice(0, -1)) {
    if (typeof target[part] !== 'object' || target[part] === null) target[part] = {};
    target = target[part] as Json;
  }
  const last = parts.at(-1)!;
  if (value === MISSING) delete target[last];
  else target[last] = value;
  return copy;
}

/** One row per bad value of one body field. */
function bodyRows(method: Method, path: () => string, base: () => Json, field: string, values: Values, opts: { admin?: boolean; expect?: string } = {}): Row[] {
  return values.map(([label, value]) => ({
    label: `${field}: ${label}`,
    method,
    path,
    admin: opts.admin,
    body: () => withField(base(), field, value),
    field: opts.expect ?? field,
  }));
}

/** Bodies that are not a JSON object at all; `base` is a valid body of the endpoint. */
function bodyShapeRows(method: Method, path: () => string, base: () => unknown, opts: { admin?: boolean } = {}): Row[] {
  return [
    { label: 'body: an array', raw: () => '[]' },
    { label: 'body: a string', raw: () => '"text"' },
    { label: 'body: a JSON string holding a valid body', raw: () => JSON.stringify(JSON.stringify(base())) },
    { label: 'body: a number', raw: () => '42' },
    { label: 'body: null', raw: () => 'null' },
    { label: 'body: malformed JSON', raw: () => '{"date": ' },
    { label: 'body: a __proto__ key', raw: () => '{"__proto__": {"x": 1}}' },
  ].map((r) => ({ ...r, method, path, admin: opts.admin, field: null }));
}

function queryRows(path: (query: string) => string, field: string, values: Values, opts: { method?: Method; admin?: boolean } = {}): Row[] {
  return values.map(([label, value]) => ({
    label: `${field}: ${label}`,
    method: opts.method ?? 'GET',
    path: () => path(String(value)),
    admin: opts.admin,
    field,
  }));
}

const TYPES_NOT_STRING: Values = [
  ['a number', 42],
  ['a boolean', true],
  ['an object', { value: 'x' }],
  ['an array', ['x']],
];
const TYPES_NOT_NUMBER: Values = [
  ['a numeric string', '10'],
  ['a boolean', true],
  ['an object', { amount: 10 }],
  ['an array', [10]],
];

const requiredString = (max: number): Values => [
  ['missing', MISSING],
  ['null', null],
  ['empty', ''],
  ['blank', '   '],
  ...TYPES_NOT_STRING,
  [`${max + 1} characters`, 'x'.repeat(max + 1)],
  ['10,000 characters', LONG],
  ['a NUL character', NUL],
];
const optionalString = (max: number): Values => [
  ...TYPES_NOT_STRING,
  [`${max + 1} characters`, 'x'.repeat(max + 1)],
  ['10,000 characters', LONG],
  ['a NUL character', NUL],
];
const requiredEnum = (valid: string): Values => [
  ['missing', MISSING],
  ['null', null],
  ['unknown value', 'Nope'],
  ['wrong case', valid.toLowerCase()],
  ['empty', ''],
  ['a number', 1],
  ['an array', [valid]],
  ['an object', { value: valid }],
  ['10,000 characters', LONG],
];
const optionalEnum = (valid: string): Values => requiredEnum(valid).slice(2);
const BOOLEAN: Values = [
  ['a string', 'true'],
  ['a number', 1],
  ['an object', {}],
  ['an array', [true]],
];
const DATE: Values = [
  ['missing', MISSING],
  ['null', null],
  ['a number', 20261101],
  ['an object', { date: '2026-11-01' }],
  ['an array', ['2026-11-01']],
  ['empty', ''],
  ['free text', 'yesterday'],
  ['30 February', '2026-02-30'],
  ['month 13', '2026-13-01'],
  ['day 0', '2026-11-00'],
  ['slashes', '2026/11/01'],
  ['two-digit year', '26-11-01'],
  ['day first', '01-11-2026'],
  ['a time of hour 25', '2026-11-01T25:00:00Z'],
  ['trailing garbage', '2026-11-01abc'],
  ['10,000 characters', LONG],
];
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const UUID_VALUES: Values = [
  ['a number', 42],
  ['not a UUID', 'not-a-uuid'],
  ['a UUID with a bad character', '0000000g-0000-0000-0000-000000000000'],
  ['an object', {}],
  ['an array', []],
  ['10,000 characters', LONG],
];
const TOO_MANY_DECIMALS = { EUR: 1.001, JPY: 1.5, KWD: 1.0001 } as const;
type Currency = keyof typeof TOO_MANY_DECIMALS;

/** A required amount that must be at least one minor unit. */
const requiredAmount = (currency: Currency): Values => [
  ['missing', MISSING],
  ['null', null],
  ...TYPES_NOT_NUMBER,
  ['negative', -1],
  ['zero', 0],
  ['negative zero', -0],
  [`too many decimals for ${currency}`, TOO_MANY_DECIMALS[currency]],
  ['an exponent below a minor unit', 1e-7],
  ['above the maximum', 1e13],
  ['10,000 characters', LONG],
];
/** An optional amount that may be zero. */
const optionalAmount = (currency: Currency): Values => [
  ...TYPES_NOT_NUMBER,
  ['negative', -0.01],
  [`too many decimals for ${currency}`, TOO_MANY_DECIMALS[currency]],
  ['above the maximum', 1e13],
];
const decimalsOnly = (currency: Currency): Values => [[`too many decimals for ${currency}`, TOO_MANY_DECIMALS[currency]]];

// ---- the endpoints

const partnerBase = (): Json => ({ companyName: 'Valid Co', officeEmail: 'valid@example.test', preLegalRevenueShare: 0.4, legalRevenueShare: 0.2 });
const RATE: Values = [...TYPES_NOT_NUMBER, ['negative', -0.1], ['above 1', 1.5], ['7 decimals', 0.1234567], ['an exponent', 1e-7]];
const adminPartners: Row[] = [
  ...bodyShapeRows('POST', () => '/admin/partners', partnerBase, { admin: true }),
  ...bodyRows('POST', () => '/admin/partners', partnerBase, 'companyName', requiredString(200), { admin: true }),
  ...bodyRows(
    'POST',
    () => '/admin/partners',
    partnerBase,
    'officeEmail',
    [...requiredString(320), ['not an email', 'nobody'], ['two at signs', 'a@b@c.d'], ['spaces', 'a b@c.d']],
    { admin: true },
  ),
  ...bodyRows('POST', () => '/admin/partners', partnerBase, 'preLegalRevenueShare', RATE, { admin: true }),
  ...bodyRows('POST', () => '/admin/partners', partnerBase, 'legalRevenueShare', RATE, { admin: true }),
];

const caseBase = (currency: Currency) => (): Json => ({
  partnerId: fx.partner.id,
  currency,
  grossAmount: 1000,
  interestFees: 0,
  reminderFees: 0,
  collectionFees: 0,
  successFee: 20,
  isTestCase: false,
  currentEngagementPhase: 'Pre-legal',
  creditorReference: 'CR-1',
  creditor: { companyName: 'Creditor Co', officeEmail: 'creditor@example.test' },
  debtor: { type: 'Person', name: 'Debtor' },
});
const adminCase = (field: string, values: Values, currency: Currency = 'EUR', expectField = field) =>
  bodyRows('POST', () => '/admin/cases', caseBase(currency), field, values, { admin: true, expect: expectField });
const SUCCESS_FEE: Values = [...TYPES_NOT_NUMBER, ['negative', -1], ['above 100', 100.5], ['5 decimals', 20.12345]];
const adminCases: Row[] = [
  ...bodyShapeRows('POST', () => '/admin/cases', caseBase('EUR'), { admin: true }),
  ...adminCase('partnerId', [['missing', MISSING], ['null', null], ...UUID_VALUES, ['an unknown partner', '00000000-0000-4000-8000-000000000000']]),
  ...adminCase('currency', [
    ['missing', MISSING],
    ['null', null],
    ['unknown code', 'ABC'],
    ['lower case', 'eur'],
    ['two letters', 'EU'],
    ['empty', ''],
    ...TYPES_NOT_STRING,
    ['10,000 characters', LONG],
  ]),
  ...adminCase('grossAmount', requiredAmount('EUR')),
  ...adminCase('grossAmount', decimalsOnly('JPY'), 'JPY'),
  ...adminCase('grossAmount', decimalsOnly('KWD'), 'KWD'),
  ...(['interestFees', 'reminderFees', 'collectionFees'] as const).flatMap((f) => [
    ...adminCase(f, optionalAmount('EUR')),
    ...adminCase(f, decimalsOnly('JPY'), 'JPY'),
    ...adminCase(f, decimalsOnly('KWD'), 'KWD'),
  ]),
  ...adminCase('successFee', [['missing', MISSING], ['null', null], ...SUCCESS_FEE]),
  ...adminCase('isTestCase', BOOLEAN),
  ...adminCase('currentEngagementPhase', optionalEnum('Legal')),
  ...adminCase('creditorReference', optionalString(200)),
  ...adminCase('creditor', [
    ['a string', 'Creditor Co'],
    ['a number', 1],
    ['an array', [{ companyName: 'x' }]],
  ]),
  ...adminCase('creditor.companyName', optionalString(200)),
  ...adminCase('creditor.officeEmail', [...TYPES_NOT_STRING, ['not an email', 'nobody'], ['10,000 characters', LONG]]),
  ...adminCase('debtor', [
    ['a string', 'Person'],
    ['a number', 1],
    ['an array', [{ type: 'Person', name: 'x' }]],
  ]),
  ...adminCase('debtor.type', requiredEnum('Company')),
  ...adminCase('debtor.name', requiredString(200)),
  ...adminCase('date', DATE.slice(2)),
  ...adminCase('dueDate', DATE.slice(2)),
  ...adminCase('debtor.id', UUID_VALUES),
];

const invoicingRuns: Row[] = [
  ...bodyShapeRows(
    'POST',
    () => '/admin/invoicing-runs',
    () => ({ partnerId: fx.partner.id }),
    { admin: true },
  ).filter((r) => r.label !== 'body: null'),
  ...bodyRows(
    'POST',
    () => '/admin/invoicing-runs',
    () => ({}),
    'partnerId',
    UUID_VALUES,
    { admin: true },
  ),
];

const listInvoices: Row[] = [
  ...queryRows(
    (v) => `/admin/invoices?PartnerId=${v}`,
    'PartnerId',
    [
      ['empty', ''],
      ['not a UUID', 'not-a-uuid'],
      ['a UUID with a bad character', '0000000g-0000-0000-0000-000000000000'],
      ['repeated', `${UUID_A}&PartnerId=${UUID_A}`],
      ['10,000 characters', LONG],
    ],
    { admin: true },
  ),
  ...queryRows(
    (v) => `/admin/invoices?Currency=${v}`,
    'Currency',
    [
      ['empty', ''],
      ['lower case', 'eur'],
      ['unknown', 'XYZ'],
      ['four letters', 'EURO'],
      ['repeated', 'EUR&Currency=JPY'],
    ],
    { admin: true },
  ),
  ...queryRows(
    (v) => `/admin/invoices?Page=${v}`,
    'Page',
    [
      ['zero', '0'],
      ['negative', '-1'],
      ['text', 'abc'],
      ['a fraction', '1.5'],
      ['above the maximum', '1000001'],
      ['repeated', '1&Page=2'],
    ],
    { admin: true },
  ),
  ...queryRows(
    (v) => `/admin/invoices?pageSize=${v}`,
    'PageSize',
    [
      ['zero', '0'],
      ['above 100', '101'],
      ['hexadecimal', '0xA'],
    ],
    { admin: true },
  ),
];

const listCases: Row[] = [
  ...queryRows((v) => `/cases?Page=${v}`, 'Page', [
    ['zero', '0'],
    ['negative', '-1'],
    ['text', 'abc'],
    ['a fraction', '1.5'],
    ['above the maximum', '1000001'],
    ['hexadecimal', '0x10'],
    ['an exponent', '1e1'],
    ['repeated', '1&Page=2'],
    ['10,000 characters', LONG],
  ]),
  ...queryRows((v) => `/cases?PageSize=${v}`, 'PageSize', [
    ['zero', '0'],
    ['negative', '-5'],
    ['above 100', '101'],
    ['text', 'ten'],
    ['a fraction', '2.5'],
    ['hexadecimal', '0xA'],
    ['repeated', '10&PageSize=20'],
  ]),
  ...queryRows((v) => `/cases?Statuses=${v}`, 'Statuses', [
    ['unknown lifecycle', 'Open'],
    ['one bad in a comma list', 'Active,Nope'],
    ['wrong case', 'active'],
    ['repeated with one bad', 'Active&Statuses=Gone'],
    ['10,000 characters', LONG],
  ]),
  ...queryRows((v) => `/cases?includeTestCases=${v}`, 'includeTestCases', [
    ['yes', 'yes'],
    ['1', '1'],
    ['upper case', 'TRUE'],
    ['empty', ''],
    ['repeated', 'true&includeTestCases=false'],
  ]),
  ...queryRows((v) => `/cases?Ids=${v}`, 'Ids', [
    ['not a UUID', 'abc'],
    ['one bad in a comma list', `${UUID_A},nope`],
    ['repeated with one bad', `${UUID_A}&Ids=1`],
    ['101 ids', Array.from({ length: 101 }, (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`).join(',')],
    ['10,000 characters', LONG],
  ]),
  ...queryRows((v) => `/cases?DebtorIds=${v}`, 'DebtorIds', [
    ['not a UUID', 'abc'],
    ['one bad in a comma list', `${UUID_A},nope`],
    ['repeated with one bad', `${UUID_A}&DebtorIds=1`],
  ]),
  ...queryRows((v) => `/cases?Sort=${v}`, 'Sort', [
    ['unknown order', 'amount'],
    ['wrong case', 'DateCreated'],
    ['two minuses', '--reference'],
    ['a comma list', 'reference,remainder'],
    ['repeated', 'reference&Sort=remainder'],
    ['10,000 characters', LONG],
  ]),
  ...queryRows((v) => `/managed-cases?Sort=${v}`, 'Sort', [['unknown order', 'createdAt']]),
];

const closeCase: Row[] = [
  ...bodyShapeRows(
    'POST',
    () => `/cases/${fx.closeTarget}/close`,
    () => ({ closeCode: 'Other' }),
  ),
  ...bodyRows(
    'POST',
    () => `/cases/${fx.closeTarget}/close`,
    () => ({ closeCode: 'Other', comment: 'fine' }),
    'closeCode',
    [...requiredEnum('Other'), ['a lifecycle instead of a code', 'Closed']],
  ),
  ...bodyRows(
    'POST',
    () => `/cases/${fx.closeTarget}/close`,
    () => ({ closeCode: 'Other', comment: 'fine' }),
    'comment',
    optionalString(2000),
  ),
];

const paymentPath = (id: () => string) => () => `/cases/${id()}/payments`;
const paymentBase = (): Json => ({
  date: '2026-11-01',
  paymentAmount: 10,
  paymentRecipient: 'CollectionPartner',
  closeCase: false,
  createUnpaidCommissionFollowUp: false,
});
const creditorBase = (): Json => ({ ...paymentBase(), paymentRecipient: 'Creditor', commissionPaymentStatus: 'Paid' });
const splitBase = (): Json => ({ ...paymentBase(), payoutCreditor: 8, payoutCollectionPartner: 2 });
const ON = { EUR: () => fx.eur, JPY: () => fx.jpy, KWD: () => fx.kwd } as const;
const post = (field: string, values: Values, base: () => Json = paymentBase, currency: Currency = 'EUR', expectField = field) =>
  bodyRows('POST', paymentPath(ON[currency]), base, field, values, { expect: expectField });
const recordPayment: Row[] = [
  ...bodyShapeRows('POST', paymentPath(ON.EUR), paymentBase),
  ...post('date', DATE),
  ...post('paymentAmount', requiredAmount('EUR')),
  ...post('paymentAmount', decimalsOnly('JPY'), paymentBase, 'JPY'),
  ...post('paymentAmount', decimalsOnly('KWD'), paymentBase, 'KWD'),
  ...post('paymentRecipient', requiredEnum('Creditor')),
  ...post(
    'commissionPaymentStatus',
    [...optionalEnum('Paid'), ['missing when the recipient is Creditor', MISSING], ['null when the recipient is Creditor', null]],
    creditorBase,
  ),
  ...post('payoutCreditor', optionalAmount('EUR'), splitBase),
  ...post('payoutCollectionPartner', optionalAmount('EUR'), splitBase),
  ...post('payoutCreditor', decimalsOnly('JPY'), () => ({ ...splitBase(), payoutCollectionPartner: 2 }), 'JPY'),
  ...post('payoutCollectionPartner', decimalsOnly('KWD'), splitBase, 'KWD'),
  ...post('payoutCreditor', [['sent without payoutCollectionPartner', 8]], paymentBase, 'EUR', 'payoutCollectionPartner'),
  ...post('payoutCollectionPartner', [['sent without payoutCreditor', 2]], paymentBase, 'EUR', 'payoutCreditor'),
  ...post('payoutCreditor', [['a split that does not sum to paymentAmount', 5]], splitBase),
  ...post('closeCase', BOOLEAN),
  ...post('createUnpaidCommissionFollowUp', BOOLEAN),
  ...(
    [
      ['256 characters', 'k'.repeat(256)],
      ['empty', ''],
    ] as const
  ).map(([label, key]): Row => ({
    label: `Idempotency-Key: ${label}`,
    method: 'POST',
    path: paymentPath(ON.EUR),
    body: paymentBase,
    headers: { 'Idempotency-Key': key },
    field: 'Idempotency-Key',
  })),
];

const listPayments: Row[] = [
  ...(['dateFrom', 'dateTo'] as const).flatMap((name) =>
    queryRows((v) => `/cases/${fx.eur}/payments?${name}=${v}`, name, [
      ['free text', 'yesterday'],
      ['30 February', '2026-02-30'],
      ['month 13', '2026-13-01'],
      ['empty', ''],
      ['repeated', `2026-01-01&${name}=2026-02-01`],
      ['10,000 characters', LONG],
    ]),
  ),
  ...(['minAmount', 'maxAmount'] as const).flatMap((name) => [
    ...queryRows((v) => `/cases/${fx.eur}/payments?${name}=${v}`, name, [
      ['text', 'ten'],
      ['negative', '-1'],
      ['too many decimals for EUR', '1.001'],
      ['empty', ''],
      ['hexadecimal', '0x10'],
      ['an exponent', '1e2'],
      ['Infinity', 'Infinity'],
      ['above the maximum', '1e13'],
      ['repeated', `1&${name}=2`],
      ['10,000 characters', LONG],
    ]),
    ...queryRows((v) => `/cases/${fx.jpy}/payments?${name}=${v}`, name, [['too many decimals for JPY', '1.5']]),
    ...queryRows((v) => `/cases/${fx.kwd}/payments?${name}=${v}`, name, [['too many decimals for KWD', '1.0001']]),
  ]),
];

// issue 16: the amounts owed and the CSV exports (queryFailFast: the first bad parameter answers)
const BAD_BOOLEANS: Values = [
  ['yes', 'yes'],
  ['1', '1'],
  ['upper case', 'TRUE'],
  ['empty', ''],
  ['repeated', 'true&includeTestCases=false'],
];
const partnerMoney: Row[] = [
  ...queryRows((v) => `/commissions/owed?Page=${v}`, 'Page', [
    ['zero', '0'],
    ['text', 'abc'],
    ['a fraction', '1.5'],
    ['above the maximum', '1000001'],
    ['repeated', '1&Page=2'],
  ]),
  ...queryRows((v) => `/commissions/owed?pageSize=${v}`, 'PageSize', [
    ['zero', '0'],
    ['above 100', '101'],
    ['hexadecimal', '0xA'],
  ]),
  ...queryRows((v) => `/commissions/owed?includeTestCases=${v}`, 'includeTestCases', BAD_BOOLEANS),
  ...queryRows((v) => `/commissions/owed/export?includeTestCases=${v}`, 'includeTestCases', BAD_BOOLEANS),
  ...(['dateFrom', 'dateTo'] as const).flatMap((name) =>
    queryRows((v) => `/payments/export?${name}=${v}`, name, [
      ['free text', 'yesterday'],
      ['30 February', '2026-02-30'],
      ['month 13', '2026-13-01'],
      ['empty', ''],
      ['repeated', `2026-01-01&${name}=2026-02-01`],
      ['10,000 characters', LONG],
    ]),
  ),
  ...queryRows((v) => `/payments/export?dateFrom=2026-10-02&dateTo=${v}`, 'dateTo', [['before dateFrom', '2026-10-01']]),
  ...queryRows((v) => `/payments/export?includeTestCases=${v}`, 'includeTestCases', BAD_BOOLEANS),
];

const putPath = (currency: Currency) => () => `/cases/${ON[currency]()}/payments/${{ EUR: fx.eurPayment, JPY: fx.jpyPayment, KWD: fx.kwdPayment }[currency]}`;
const editBase = (): Json => ({ date: '2026-11-02', paymentAmount: 10, paymentRecipient: 'CollectionPartner', reopenCaseIfNeeded: false });
const put = (field: string, values: Values, base: () => Json = editBase, currency: Currency = 'EUR', expectField = field) =>
  bodyRows('PUT', putPath(currency), base, field, values, { expect: expectField });
const editPayment: Row[] = [
  ...bodyShapeRows('PUT', putPath('EUR'), editBase),
  ...put('date', DATE),
  ...put('paymentAmount', requiredAmount('EUR')),
  ...put('paymentAmount', decimalsOnly('JPY'), editBase, 'JPY'),
  ...put('paymentAmount', decimalsOnly('KWD'), editBase, 'KWD'),
  ...put('paymentRecipient', [...requiredEnum('Creditor'), ['Platform (not allowed on an edit)', 'Platform']]),
  ...put('commissionPaymentStatus', optionalEnum('Unpaid'), () => ({ ...editBase(), paymentRecipient: 'Creditor' })),
  ...put('payoutCreditor', optionalAmount('EUR'), () => ({ ...editBase(), payoutCreditor: 8, payoutCollectionPartner: 2 })),
  ...put('payoutCollectionPartner', optionalAmount('EUR'), () => ({ ...editBase(), payoutCreditor: 8, payoutCollectionPartner: 2 })),
  ...put('payoutCollectionPartner', decimalsOnly('JPY'), () => ({ ...editBase(), payoutCreditor: 8, payoutCollectionPartner: 2 }), 'JPY'),
  ...put('payoutCreditor', decimalsOnly('KWD'), () => ({ ...editBase(), payoutCreditor: 8, payoutCollectionPartner: 2 }), 'KWD'),
  ...put('payoutCreditor', [['sent without payoutCollectionPartner', 8]], editBase, 'EUR', 'payoutCollectionPartner'),
  ...put('reopenCaseIfNeeded', BOOLEAN),
];

// payments on the caller's own test cases (SPEC §10)
const managedPaymentPath = (id: () => string) => () => `/managed-cases/${id()}/payments`;
const managedPaymentBase = (): Json => ({ date: '2026-11-01', paymentAmount: 10, closeCase: false });
const MANAGED_ON = { EUR: () => fx.testEur, JPY: () => fx.testJpy, KWD: () => fx.fuzz.KWD } as const;
const postManaged = (field: string, values: Values, currency: Currency = 'EUR') =>
  bodyRows('POST', managedPaymentPath(MANAGED_ON[currency]), managedPaymentBase, field, values);
const managedEditPath = () => `/managed-cases/${fx.testPaid}/payments/${fx.testEurPayment}`;
const productionPath = (suffix: () => string) => () => `/managed-cases/${fx.eur}/payments${suffix()}`;
const recordManagedPayment: Row[] = [
  ...bodyShapeRows('POST', managedPaymentPath(MANAGED_ON.EUR), managedPaymentBase),
  ...postManaged('date', DATE),
  ...postManaged('paymentAmount', requiredAmount('EUR')),
  ...postManaged('paymentAmount', decimalsOnly('JPY'), 'JPY'),
  ...postManaged('paymentAmount', decimalsOnly('KWD'), 'KWD'),
  ...postManaged('closeCase', BOOLEAN),
  { label: 'a production case of the caller', method: 'POST', path: productionPath(() => ''), body: managedPaymentBase, field: 'id' },
  {
    label: 'Idempotency-Key: 256 characters',
    method: 'POST',
    path: managedPaymentPath(MANAGED_ON.EUR),
    body: managedPaymentBase,
    headers: { 'Idempotency-Key': 'k'.repeat(256) },
    field: 'Idempotency-Key',
  },
];
const correctManagedPayment: Row[] = [
  ...bodyShapeRows('PUT', managedEditPath, editBase),
  ...bodyRows('PUT', managedEditPath, editBase, 'date', DATE),
  ...bodyRows('PUT', managedEditPath, editBase, 'paymentAmount', requiredAmount('EUR')),
  ...bodyRows('PUT', managedEditPath, editBase, 'paymentRecipient', requiredEnum('Creditor')),
  ...bodyRows('PUT', managedEditPath, editBase, 'payoutCreditor', [['sent without payoutCollectionPartner', 8]], { expect: 'payoutCollectionPartner' }),
  ...queryRows(
    (v) => `/managed-cases/${fx.testPaid}/payments/${fx.testEurPayment}?reopenCaseIfNeeded=${v}`,
    'reopenCaseIfNeeded',
    [
      ['yes', 'yes'],
      ['repeated', 'true&reopenCaseIfNeeded=false'],
    ],
    { method: 'DELETE' },
  ),
  ...queryRows((v) => `/managed-cases/${fx.testEur}/payments?dateFrom=${v}`, 'dateFrom', [['free text', 'yesterday']]),
  { label: 'PUT on a production case of the caller', method: 'PUT', path: productionPath(() => `/${fx.eurPayment}`), body: editBase, field: 'id' },
  { label: 'DELETE on a production case of the caller', method: 'DELETE', path: productionPath(() => `/${fx.eurPayment}`), field: 'id' },
  { label: 'GET on a production case of the caller', method: 'GET', path: productionPath(() => ''), field: 'id' },
];

const deletePayment: Row[] = queryRows(
  (v) => `/cases/${fx.eur}/payments/${fx.eurPayment}?reopenCaseIfNeeded=${v}`,
  'reopenCaseIfNeeded',
  [
    ['yes', 'yes'],
    ['1', '1'],
    ['upper case', 'TRUE'],
    ['empty', ''],
    ['repeated', 'true&reopenCaseIfNeeded=false'],
    ['10,000 characters', LONG],
  ],
  { method: 'DELETE' },
);

const commissionPath = (payment: () => string) => () => `/cases/${fx.eur}/payments/${payment()}/commission`;
const settleCommission: Row[] = [
  ...bodyShapeRows(
    'POST',
    commissionPath(() => fx.creditorPayment),
    () => ({ status: 'Paid' }),
  ),
  ...bodyRows(
    'POST',
    commissionPath(() => fx.creditorPayment),
    () => ({ status: 'Paid' }),
    'status',
    [...requiredEnum('Paid'), ['Unpaid', 'Unpaid']],
  ),
  {
    label: 'a payment whose recipient is not Creditor',
    method: 'POST',
    path: commissionPath(() => fx.eurPayment),
    body: () => ({ status: 'Paid' }),
    field: 'paymentRecipient',
  },
];

const managedBase =
  (currency: Currency = 'EUR') =>
  (): Json => ({
    isTest: true,
    currencyCode: currency,
    amountToRecover: 500,
    date: '2026-11-01',
    creditorCompanyName: 'Creditor Co',
    debtor: { type: 'Company', name: 'Debtor Ltd' },
    successFee: 20,
    tag: 'validation-managed',
  });
const managed = (field: string, values: Values, currency: Currency = 'EUR', expectField = field) =>
  bodyRows('POST', () => '/managed-cases', managedBase(currency), field, values, { expect: expectField });
const managedCases: Row[] = [
  ...bodyShapeRows('POST', () => '/managed-cases', managedBase('EUR')),
  ...managed('isTest', [['missing', MISSING], ['null', null], ['false', false], ...BOOLEAN]),
  ...managed('currencyCode', [
    ['missing', MISSING],
    ['null', null],
    ['unknown code', 'ABC'],
    ['lower case', 'eur'],
    ['empty', ''],
    ...TYPES_NOT_STRING,
    ['10,000 characters', LONG],
  ]),
  ...managed('amountToRecover', requiredAmount('EUR')),
  ...managed('amountToRecover', decimalsOnly('JPY'), 'JPY'),
  ...managed('amountToRecover', decimalsOnly('KWD'), 'KWD'),
  ...managed('date', DATE),
  ...managed('creditorCompanyName', requiredString(200)),
  ...managed('debtor', [
    ['missing', MISSING],
    ['null', null],
    ['a string', 'Company'],
    ['a number', 1],
    ['an array', [{ type: 'Company', name: 'x' }]],
  ]),
  ...managed('debtor.type', requiredEnum('Person')),
  ...managed('debtor.name', requiredString(200)),
  ...managed('successFee', SUCCESS_FEE),
  ...managed('tag', optionalString(100)),
  ...managed('dueDate', DATE.slice(2)),
  ...managed('debtor.id', UUID_VALUES),
];

const advancePath = (id: () => string) => () => `/test/cases/${id()}/advance`;
const advance: Row[] = [
  ...bodyShapeRows(
    'POST',
    advancePath(() => fx.testEur),
    () => ({ to: 'Closed:NoPayment' }),
  ),
  ...bodyRows(
    'POST',
    advancePath(() => fx.testEur),
    () => ({ to: 'Closed:Paid', amount: 500 }),
    'to',
    [...requiredEnum('Active'), ['a lifecycle without a code', 'Closed'], ['Paused', 'Paused'], ['an unknown close', 'Closed:Other']],
  ),
  ...bodyRows(
    'POST',
    advancePath(() => fx.testEur),
    () => ({ to: 'Closed:Paid', amount: 500 }),
    'amount',
    [...requiredAmount('EUR'), ['less than the balance', 499.99]],
  ),
  ...bodyRows(
    'POST',
    advancePath(() => fx.testJpy),
    () => ({ to: 'Closed:Paid', amount: 500 }),
    'amount',
    decimalsOnly('JPY'),
  ),
  { label: 'a production case', method: 'POST', path: advancePath(() => fx.eur), body: () => ({ to: 'Closed:NoPayment' }), field: 'id' },
];

const deleteByTag: Row[] = queryRows(
  (v) => `/test/cases${v}`,
  'tag',
  [
    ['missing', ''],
    ['empty', '?tag='],
    ['blank', '?tag=%20%20'],
    ['repeated', '?tag=a&tag=b'],
    ['101 characters', `?tag=${'t'.repeat(101)}`],
    ['10,000 characters', `?tag=${LONG}`],
    ['a NUL character', '?tag=a%00b'],
  ],
  { method: 'DELETE' },
);

const firePath = () => '/test/webhooks/fire';
const fireBase = (): Json => ({ event: 'case.updated', caseId: fx.testEur });
const fireWebhook: Row[] = [
  ...bodyShapeRows('POST', firePath, fireBase),
  ...bodyRows('POST', firePath, fireBase, 'event', [
    ['missing', MISSING],
    ['null', null],
    ['unknown value', 'case.opened'],
    ['wrong case', 'Case.Updated'],
    ['empty', ''],
    ['a number', 1],
    ['an array', ['case.updated']],
    ['an object', { value: 'case.updated' }],
    ['10,000 characters', LONG],
  ]),
  ...bodyRows('POST', firePath, fireBase, 'caseId', [['missing', MISSING], ['null', null], ...UUID_VALUES]),
  ...bodyRows('POST', firePath, fireBase, 'subscriptionId', UUID_VALUES),
  { label: 'a production case', method: 'POST', path: firePath, body: () => ({ event: 'case.updated', caseId: fx.eur }), field: 'caseId' },
  ...(
    [
      ['256 characters', 'k'.repeat(256)],
      ['empty', ''],
    ] as const
  ).map(([label, key]): Row => ({
    label: `Idempotency-Key: ${label}`,
    method: 'POST',
    path: firePath,
    body: fireBase,
    headers: { 'Idempotency-Key': key },
    field: 'Idempotency-Key',
  })),
];

const replayLastEvent: Row[] = [{ label: 'a production case', method: 'POST', path: () => `/test/cases/${fx.eur}/replay-last-event`, field: 'id' }];

const feesPath = (currency: Currency) => () => `/cases/${ON[currency]()}/fees`;
/** The amounts fx's cases were created with: a row that passed by mistake would change nothing. */
const feesBase = (): Json => ({
  grossAmount: 1_000_000,
  interestFees: 0,
  reminderFees: 0,
  collectionFees: 0,
  confirmPriceChange: false,
  keepIntentionalRate: false,
});
const FEE_AMOUNTS = ['grossAmount', 'interestFees', 'reminderFees', 'collectionFees'] as const;
const updateFees: Row[] = [
  ...bodyShapeRows('PUT', feesPath('EUR'), feesBase),
  ...FEE_AMOUNTS.flatMap((f) => [
    ...bodyRows('PUT', feesPath('EUR'), feesBase, f, optionalAmount('EUR')),
    ...bodyRows('PUT', feesPath('JPY'), feesBase, f, decimalsOnly('JPY')),
    ...bodyRows('PUT', feesPath('KWD'), feesBase, f, decimalsOnly('KWD')),
  ]),
  ...bodyRows('PUT', feesPath('EUR'), feesBase, 'confirmPriceChange', BOOLEAN),
  ...bodyRows('PUT', feesPath('EUR'), feesBase, 'keepIntentionalRate', BOOLEAN),
];

/** Issue 16: the optional Page and PageSize of the lists that answer an array without them. */
const PAGE_VALUES: Values = [
  ['zero', '0'],
  ['negative', '-1'],
  ['text', 'abc'],
  ['a fraction', '1.5'],
  ['above the maximum', '1000001'],
  ['repeated', '1&Page=2'],
  ['10,000 characters', LONG],
];
const PAGE_SIZE_VALUES: Values = [
  ['zero', '0'],
  ['above 100', '101'],
  ['hexadecimal', '0xA'],
  ['repeated', '10&PageSize=20'],
];
const optionalPages = (path: () => string): Row[] => [
  ...queryRows((v) => `${path()}?Page=${v}`, 'Page', PAGE_VALUES),
  ...queryRows((v) => `${path()}?PageSize=${v}`, 'PageSize', PAGE_SIZE_VALUES),
];

const ENDPOINTS: [string, Row[]][] = [
  ['POST /admin/partners', adminPartners],
  ['POST /admin/cases', adminCases],
  ['POST /admin/invoicing-runs', invoicingRuns],
  ['GET /admin/invoices', listInvoices],
  ['GET /cases', listCases],
  ['POST /cases/{id}/close', closeCase],
  ['POST /cases/{id}/payments', recordPayment],
  ['GET /cases/{id}/payments', listPayments],
  ['GET /commissions/owed, its export, GET /payments/export', partnerMoney],
  ['PUT /cases/{id}/payments/{paymentId}', editPayment],
  ['DELETE /cases/{id}/payments/{paymentId}', deletePayment],
  ['POST /cases/{id}/payments/{paymentId}/commission', settleCommission],
  ['POST /managed-cases', managedCases],
  ['POST /managed-cases/{id}/payments', recordManagedPayment],
  ['PUT, DELETE, GET /managed-cases/{id}/payments', correctManagedPayment],
  ['POST /test/cases/{id}/advance', advance],
  ['DELETE /test/cases?tag=', deleteByTag],
  ['POST /test/webhooks/fire', fireWebhook],
  ['POST /test/cases/{id}/replay-last-event', replayLastEvent],
  ['PUT /cases/{id}/fees', updateFees],
  ['GET /cases/{id}/payments?Page', optionalPages(() => `/cases/${fx.eur}/payments`)],
  ['GET /managed-cases/{id}/payments?Page', optionalPages(() => `/managed-cases/${fx.testEur}/payments`)],
  ['GET /cases/{id}/audit?Page', optionalPages(() => `/cases/${fx.eur}/audit`)],
  ['GET /tasks?Page', optionalPages(() => '/tasks')],
  ['GET /webhooks/events?Page', optionalPages(() => '/webhooks/events')],
];

async function send(row: Row) {
  return call(row.method, row.path(), { key: row.admin ? ADMIN : fx.partner.apiKey, body: row.body?.(), raw: row.raw?.(), headers: row.headers });
}

function expectValidationError(res: { status: number; body: unknown }, field: string | null) {
  const detail = JSON.stringify(res.body)?.slice(0, 500);
  expect(res.status, detail).toBe(400);
  const body = res.body as ErrorBody;
  expect(body.error, detail).toBe('ValidationError');
  expect(body.businessErrors.length, detail).toBeGreaterThan(0);
  for (const e of body.businessErrors) {
    expect(e.type).toBe('ValidationError');
    expect(typeof e.message).toBe('string');
    expect(e.message.length).toBeGreaterThan(0);
  }
  expect(body.message).toBe(body.businessErrors[0]!.message);
  const fields = body.businessErrors.map((e) => e.field);
  // a body that is no JSON object: that problem comes first (required fields may follow);
  // one bad field in an otherwise valid request: exactly one problem, naming it
  if (field === null) expect(fields[0], detail).toBeNull();
  else expect(fields, detail).toEqual([field]);
}

export function validationSuite(start: (env: Record<string, string>) => Promise<Target>): void {
  beforeAll(async () => {
    target = await start({ ADMIN_API_KEY: ADMIN, RATE_LIMIT_PER_MINUTE: '100000', WEBHOOK_ALLOW_INSECURE: 'true', WEBHOOK_ALLOW_PRIVATE: 'true' });
    fx.partner = await ok(call('POST', '/admin/partners', { key: ADMIN, body: { companyName: 'Validator', officeEmail: 'validator@example.test' } }), 201);
    const key = fx.partner.apiKey;
    const newCase = async (currency: Currency) =>
      (
        await ok<{ id: string }>(
          call('POST', '/admin/cases', { key: ADMIN, body: { partnerId: fx.partner.id, currency, grossAmount: 1_000_000, successFee: 20 } }),
          201,
        )
      ).id;
    const newTestCase = async (currency: Currency, amountToRecover: number) =>
      (
        await ok<{ id: string }>(
          call('POST', '/managed-cases', {
            key,
            body: {
              isTest: true,
              currencyCode: currency,
              amountToRecover,
              date: '2026-11-01',
              creditorCompanyName: 'Cred',
              debtor: { type: 'Person', name: 'Deb' },
              tag: 'validation',
            },
          }),
          200,
        )
      ).id;
    const pay = async (caseId: string, body: Json) =>
      (await ok<{ paymentId: string }>(call('POST', `/cases/${caseId}/payments`, { key, body: { date: '2026-11-01', paymentAmount: 10, ...body } }), 200))
        .paymentId;
    [fx.eur, fx.jpy, fx.kwd, fx.closeTarget, fx.testEur, fx.testJpy, fx.fuzz.EUR, fx.fuzz.JPY, fx.fuzz.KWD, fx.fuzzTestCase] = await Promise.all([
      newCase('EUR'),
      newCase('JPY'),
      newCase('KWD'),
      newCase('EUR'),
      newTestCase('EUR', 500),
      newTestCase('JPY', 500),
      newTestCase('EUR', 1_000_000_000),
      newTestCase('JPY', 1_000_000_000),
      newTestCase('KWD', 1_000_000_000),
      newTestCase('EUR', 500),
    ]);
    [fx.eurPayment, fx.jpyPayment, fx.kwdPayment, fx.creditorPayment, fx.fuzzPayment] = await Promise.all([
      pay(fx.eur, { paymentRecipient: 'CollectionPartner' }),
      pay(fx.jpy, { paymentRecipient: 'CollectionPartner' }),
      pay(fx.kwd, { paymentRecipient: 'CollectionPartner' }),
      pay(fx.eur, { paymentRecipient: 'Creditor', commissionPaymentStatus: 'Unpaid', createUnpaidCommissionFollowUp: false }),
      pay(fx.fuzz.EUR, { paymentRecipient: 'Creditor', commissionPaymentStatus: 'Unpaid' }),
    ]);
    fx.testPaid = await newTestCase('EUR', 500);
    fx.testEurPayment = (
      await ok<{ paymentId: string }>(call('POST', `/managed-cases/${fx.testPaid}/payments`, { key, body: { date: '2026-11-01', paymentAmount: 10 } }), 200)
    ).paymentId;
  });

  afterAll(async () => {
    await target?.stop();
  });

  describe.each(ENDPOINTS)('%s: bad input → 400 ValidationError naming the field', (_endpoint, rows) => {
    it.each(rows)('$label', async (row) => {
      expectValidationError(await send(row), row.field);
    });
  });

  describe('GET /cases/case-reference/{caseReference} (SPEC §10)', () => {
    it("answers the caller's case with that reference, exactly as GET /cases/{id}; 404 for unknown, foreign or malformed", async () => {
      const key = fx.partner.apiKey;
      const byId = await ok<Json>(call('GET', `/cases/${fx.eur}`, { key }), 200);
      const reference = String(byId.reference);
      expect(await ok<Json>(call('GET', `/cases/case-reference/${reference}`, { key }), 200)).toEqual(byId);
      const other = await ok<{ id: string; apiKey: string }>(
        call('POST', '/admin/partners', { key: ADMIN, body: { companyName: 'Lookup Other', officeEmail: 'lookup-other@example.test' } }),
        201,
      );
      const notFound = [
        [other.apiKey, `/cases/case-reference/${reference}`],
        [key, '/cases/case-reference/NOSUCHREF'],
        [key, `/cases/case-reference/${'X'.repeat(65)}`],
        [key, '/cases/case-reference/%E2%82%AC'],
      ] as const;
      for (const [caller, path] of notFound)
        expect(await call('GET', path, { key: caller }), path).toMatchObject({ status: 404, body: { error: 'CaseNotFound' } });
    });
  });

  describe('the managed cases: the ones the caller created with POST /managed-cases (SPEC §10)', () => {
    it('lists, gets and looks up only those; a production case, an operator-made test case or a foreign one is 404', async () => {
      const key = fx.partner.apiKey;
      const operatorTest = await ok<{ id: string; reference: string }>(
        call('POST', '/admin/cases', { key: ADMIN, body: { partnerId: fx.partner.id, currency: 'EUR', grossAmount: 100, successFee: 20, isTestCase: true } }),
        201,
      );
      const listed: string[] = [];
      for (let page = 1; ; page++) {
        const out = await ok<{ page: { totalPages: number }; cases: Json[] }>(call('GET', `/managed-cases?PageSize=100&Page=${page}`, { key }), 200);
        listed.push(...out.cases.map((c) => String(c.id)));
        expect(out.cases.every((c) => c.isTestCase === true)).toBe(true);
        if (page >= out.page.totalPages) break;
      }
      expect(listed).toEqual(expect.arrayContaining([fx.testEur, fx.testJpy, fx.fuzzTestCase]));
      expect(listed).not.toContain(fx.eur);
      expect(listed).not.toContain(operatorTest.id);

      const mine = await ok<Json>(call('GET', `/cases/${fx.testEur}`, { key }), 200);
      expect(await ok<Json>(call('GET', `/managed-cases/${fx.testEur}`, { key }), 200)).toEqual(mine);
      expect(await ok<Json>(call('GET', `/managed-cases/case-reference/${String(mine.reference)}`, { key }), 200)).toEqual(mine);

      const other = await ok<{ apiKey: string }>(
        call('POST', '/admin/partners', { key: ADMIN, body: { companyName: 'Managed Other', officeEmail: 'managed-other@example.test' } }),
        201,
      );
      const production = await ok<Json>(call('GET', `/cases/${fx.eur}`, { key }), 200);
      const notFound = [
        [key, `/managed-cases/${fx.eur}`],
        [key, `/managed-cases/${operatorTest.id}`],
        [key, `/managed-cases/case-reference/${String(production.reference)}`],
        [key, `/managed-cases/case-reference/${operatorTest.reference}`],
        [key, '/managed-cases/not-a-uuid'],
        [other.apiKey, `/managed-cases/${fx.testEur}`],
        [other.apiKey, `/managed-cases/case-reference/${String(mine.reference)}`],
      ] as const;
      for (const [caller, path] of notFound)
        expect(await call('GET', path, { key: caller }), path).toMatchObject({ status: 404, body: { error: 'CaseNotFound' } });
      expect((await ok<{ cases: Json[] }>(call('GET', '/managed-cases', { key: other.apiKey }), 200)).cases).toEqual([]);
      expect(await call('GET', '/managed-cases?Page=0', { key })).toMatchObject({ status: 400, body: { error: 'ValidationError' } });
      expect(await call('GET', '/managed-cases?Statuses=Nope', { key })).toMatchObject({ status: 400, body: { error: 'ValidationError' } });
    });
  });

  describe('payments on managed test cases (SPEC §10)', () => {
    it('the whole amount to the creditor, with idempotency, close, reopen consent and corrections; production cases refused, nothing recorded', async () => {
      const key = fx.partner.apiKey;
      const created = await ok<{ id: string; reference: string }>(
        call('POST', '/managed-cases', {
          key,
          body: {
            isTest: true,
            currencyCode: 'EUR',
            amountToRecover: 100,
            date: '2026-11-01',
            creditorCompanyName: 'Cred',
            debtor: { type: 'Person', name: 'Deb' },
            tag: 'managed-payments',
          },
        }),
        200,
      );
      const path = `/managed-cases/${created.id}/payments`;
      const headers = { 'Idempotency-Key': `managed-${created.id}` };
      const first = await call('POST', path, { key, body: { date: '2026-11-02', paymentAmount: 40 }, headers });
      expect(first.status).toBe(200);
      const recorded = first.body as Json;
      expect(Object.keys(recorded).sort()).toEqual(['caseClosed', 'caseReference', 'date', 'paymentAmount', 'paymentId', 'remainingAmount']);
      expect(recorded).toMatchObject({
        caseReference: created.reference,
        date: '2026-11-02T00:00:00Z',
        paymentAmount: 40,
        caseClosed: false,
        remainingAmount: 60,
      });
      // the same key and body: the first answer again, nothing recorded twice
      const again = await call('POST', path, { key, body: { date: '2026-11-02', paymentAmount: 40 }, headers });
      expect(again).toMatchObject({ status: 200, body: recorded });
      expect(again.headers.get('idempotency-replayed')).toBe('true');
      // the same body with its names in another letter case is the same request (SPEC §10, §4.2)
      const pascal = await call('POST', path, { key, body: { PaymentAmount: 40, Date: '2026-11-02' }, headers });
      expect(pascal).toMatchObject({ status: 200, body: recorded });
      expect(pascal.headers.get('idempotency-replayed')).toBe('true');
      const listed = await ok<Json[]>(call('GET', path, { key }), 200);
      expect(listed).toHaveLength(1);
      expect(listed[0]).toMatchObject({ id: recorded.paymentId, paymentAmount: 40, payoutCreditor: 40, payoutCollectionPartner: 0, platformFee: 0 });
      expect(await ok<Json[]>(call('GET', `/cases/${created.id}/payments`, { key }), 200)).toEqual(listed);

      // the rest, closing as Paid
      const closing = await ok<Json>(call('POST', path, { key, body: { date: '2026-11-03', paymentAmount: 60, closeCase: true } }), 200);
      expect(closing).toMatchObject({ caseClosed: true, remainingAmount: 0 });
      expect(await ok<Json>(call('GET', `/managed-cases/${created.id}`, { key }), 200)).toMatchObject({ lifecycle: 'Closed', closeCode: 'Paid' });

      // a correction that leaves a balance needs consent; without payouts the whole amount stays with the creditor
      const edit = `${path}/${String(recorded.paymentId)}`;
      const body = { date: '2026-11-02', paymentAmount: 30, paymentRecipient: 'CollectionPartner' };
      expect(await call('PUT', edit, { key, body })).toMatchObject({ status: 409, body: { error: 'ReopenConsentRequired' } });
      const edited = await ok<Json>(call('PUT', edit, { key, body: { ...body, reopenCaseIfNeeded: true } }), 200);
      expect(edited).toMatchObject({ paymentAmount: 30, payoutCreditor: 30, payoutCollectionPartner: 0, platformFee: 0 });
      expect(await ok<Json>(call('GET', `/cases/${created.id}`, { key }), 200)).toMatchObject({ lifecycle: 'Active', remainder: 10 });
      await ok(call('DELETE', edit, { key }), 204);
      expect(await call('DELETE', edit, { key })).toMatchObject({ status: 404, body: { error: 'PaymentNotFound' } });
      expect(await ok<Json[]>(call('GET', path, { key }), 200)).toHaveLength(1);

      // a production case of the caller: 400 on all four, nothing recorded
      const before = await ok<Json[]>(call('GET', `/cases/${fx.eur}/payments`, { key }), 200);
      for (const [method, p, b] of [
        ['POST', `/managed-cases/${fx.eur}/payments`, { date: '2026-11-01', paymentAmount: 1 }],
        ['GET', `/managed-cases/${fx.eur}/payments`, undefined],
        ['PUT', `/managed-cases/${fx.eur}/payments/${fx.eurPayment}`, body],
        ['DELETE', `/managed-cases/${fx.eur}/payments/${fx.eurPayment}`, undefined],
      ] as const)
        expect(await call(method, p, { key, body: b }), `${method} ${p}`).toMatchObject({ status: 400, body: { error: 'ValidationError' } });
      expect(await ok<Json[]>(call('GET', `/cases/${fx.eur}/payments`, { key }), 200)).toEqual(before);

      // another partner's managed case, an operator-made test case, an unknown id: 404
      const other = await ok<{ apiKey: string }>(
        call('POST', '/admin/partners', { key: ADMIN, body: { companyName: 'Managed Payer', officeEmail: 'managed-payer@example.test' } }),
        201,
      );
      const operatorTest = await ok<{ id: string }>(
        call('POST', '/admin/cases', { key: ADMIN, body: { partnerId: fx.partner.id, currency: 'EUR', grossAmount: 100, successFee: 20, isTestCase: true } }),
        201,
      );
      for (const [caller, p] of [
        [other.apiKey, path],
        [key, `/managed-cases/${operatorTest.id}/payments`],
        [key, `/managed-cases/${UUID_A}/payments`],
      ] as const) {
        expect(await call('POST', p, { key: caller, body: { date: '2026-11-01', paymentAmount: 1 } }), p).toMatchObject({
          status: 404,
          body: { error: 'CaseNotFound' },
        });
        expect(await call('GET', p, { key: caller }), p).toMatchObject({ status: 404, body: { error: 'CaseNotFound' } });
      }
      expect(await call('PUT', `${path}/${fx.eurPayment}`, { key: other.apiKey, body })).toMatchObject({ status: 404, body: { error: 'PaymentNotFound' } });
    });
  });

  describe('GET /cases with Ids and Sort (SPEC §10)', () => {
    it('lists only the named cases, in each order, ties by id; the remainder order follows payments', async () => {
      const p = await ok<{ id: string; apiKey: string }>(
        call('POST', '/admin/partners', { key: ADMIN, body: { companyName: 'Sorter', officeEmail: 'sorter@example.test' } }),
        201,
      );
      const key = p.apiKey;
      const made: Json[] = [];
      // created one after another, so creation order is known; remainders 30, 10, 20 (EUR, JPY, EUR)
      for (const [currency, grossAmount] of [
        ['EUR', 30],
        ['JPY', 10],
        ['EUR', 20],
      ] as const)
        made.push(await ok<Json>(call('POST', '/admin/cases', { key: ADMIN, body: { partnerId: p.id, currency, grossAmount, successFee: 20 } }), 201));
      const [a, b, c] = made.map((x) => String(x.id)) as [string, string, string];
      const ids = async (query: string) => (await ok<{ cases: Json[] }>(call('GET', `/cases?${query}`, { key }), 200)).cases.map((x) => String(x.id));
      const byRef = [...made].sort((x, y) => String(x.reference).localeCompare(String(y.reference))).map((x) => String(x.id));
      expect(await ids('')).toEqual([c, b, a]);
      expect(await ids('Sort=-dateCreated')).toEqual([c, b, a]);
      expect(await ids('Sort=dateCreated')).toEqual([a, b, c]);
      expect(await ids('Sort=reference')).toEqual(byRef);
      expect(await ids('Sort=-reference')).toEqual([...byRef].reverse());
      expect(await ids('Sort=remainder')).toEqual([b, c, a]);
      expect(await ids('sort=-remainder')).toEqual([a, c, b]);
      // Ids: repeated or a comma list, any letter case; a foreign or unknown id is simply not listed
      expect(await ids(`Ids=${a}&Ids=${c.toUpperCase()}&Sort=dateCreated`)).toEqual([a, c]);
      expect(await ids(`Ids=${b},${fx.eur},${UUID_A}`)).toEqual([b]);
      expect((await ok<{ page: { totalResults: number } }>(call('GET', `/cases?Ids=${a},${b}&PageSize=1`, { key }), 200)).page.totalResults).toBe(2);
      // DebtorIds (a partner of its own, so the orders above keep their three cases): the cases of these
      // debtors, debtor.id as given at creation, repeatable or a comma list; another partner's are not listed
      const dp = await ok<{ id: string; apiKey: string }>(
        call('POST', '/admin/partners', { key: ADMIN, body: { companyName: 'Debtors', officeEmail: 'debtors@example.test' } }),
        201,
      );
      const stranger = await ok<{ id: string }>(
        call('POST', '/admin/partners', { key: ADMIN, body: { companyName: 'Stranger', officeEmail: 'stranger@example.test' } }),
        201,
      );
      const ofDebtor = async (partnerId: string, grossAmount: number) =>
        ok<Json>(
          call('POST', '/admin/cases', {
            key: ADMIN,
            body: { partnerId, currency: 'EUR', grossAmount, successFee: 20, debtor: { type: 'Person', name: 'D', id: UUID_A } },
          }),
          201,
        );
      const [d1, d2] = [await ofDebtor(dp.id, 5), await ofDebtor(dp.id, 6)];
      await ofDebtor(stranger.id, 7);
      const other = await ok<Json>(
        call('POST', '/admin/cases', { key: ADMIN, body: { partnerId: dp.id, currency: 'EUR', grossAmount: 8, successFee: 20 } }),
        201,
      );
      expect((d1.debtor as Json).id).toBe(UUID_A);
      const debtorCases = async (query: string) =>
        (await ok<{ cases: Json[] }>(call('GET', `/cases?${query}`, { key: dp.apiKey }), 200)).cases.map((x) => String(x.id));
      expect(await debtorCases(`DebtorIds=${UUID_A.toUpperCase()}&Sort=dateCreated`)).toEqual([String(d1.id), String(d2.id)]);
      expect(await debtorCases(`DebtorIds=00000000-0000-4000-8000-00000000000b,${UUID_A}&Sort=-dateCreated`)).toEqual([String(d2.id), String(d1.id)]);
      expect(await debtorCases('Sort=dateCreated')).toEqual([String(d1.id), String(d2.id), String(other.id)]);
      expect(await debtorCases(`DebtorIds=${UUID_A}&Ids=${String(d2.id)}`)).toEqual([String(d2.id)]);
      expect(await debtorCases('DebtorIds=00000000-0000-4000-8000-00000000000b')).toEqual([]);
      // a payment of 25 on a: remainder 5, now the smallest (the list's copy follows the ledger's events)
      await ok(call('POST', `/cases/${a}/payments`, { key, body: { date: '2026-11-01', paymentAmount: 25, paymentRecipient: 'CollectionPartner' } }), 200);
      await pollUntil(async () => JSON.stringify(await ids('Sort=remainder')) === JSON.stringify([a, b, c]), { what: 'the remainder order after a payment' });
      await pollUntil(async () => (await ids('Sort=-dateUpdated'))[0] === a, { what: 'the paid case first by dateUpdated' });
      // a fee of 100 on b (remainder 110): the largest now; a fee change moves the order too
      await ok(call('PUT', `/cases/${b}/fees`, { key, body: { interestFees: 100 } }), 200);
      // a page is in the order of the values it shows at once, right after the write
      expect(await ids('Sort=-remainder')).toEqual([b, c, a]);
      await pollUntil(async () => JSON.stringify(await ids('Sort=-remainder&PageSize=1')) === JSON.stringify([b]), {
        what: 'the copy following the fee change',
      });
    });
  });

  describe('property names in any case, as the original API binds them (issue 13 defect 3)', () => {
    it('PUT /webhooks/{id} with PascalCase names changes what it names', async () => {
      const key = fx.partner.apiKey;
      const hook = await ok<{ id: string }>(call('POST', '/webhooks', { key, body: { Url: 'http://127.0.0.1:9/any-case', Events: ['payment.created'] } }), 201);
      const put = await ok<Json>(call('PUT', `/webhooks/${hook.id}`, { key, body: { Events: ['payment.created', 'case.closed'], IsActive: false } }), 200);
      expect(put).toMatchObject({ url: 'http://127.0.0.1:9/any-case', events: ['payment.created', 'case.closed'], isActive: false });
      expect(await ok<Json>(call('GET', `/webhooks/${hook.id}`, { key }), 200)).toMatchObject({ events: ['payment.created', 'case.closed'], isActive: false });
      // one field in two spellings is ambiguous: 400, nothing changed (SPEC §10)
      for (const body of [
        { isActive: true, IsActive: false },
        { ISACTIVE: true, IsActive: false },
      ])
        expect(await call('PUT', `/webhooks/${hook.id}`, { key, body })).toMatchObject({
          status: 400,
          body: { error: 'ValidationError', businessErrors: [{ field: 'isActive' }] },
        });
      expect(await ok<Json>(call('GET', `/webhooks/${hook.id}`, { key }), 200)).toMatchObject({ isActive: false });
      await ok(call('DELETE', `/webhooks/${hook.id}`, { key }), 204);
    });

    it('a payment recorded with PascalCase names, nested objects of a managed case too', async () => {
      const key = fx.partner.apiKey;
      const paid = await ok<Json>(
        call('POST', `/cases/${fx.eur}/payments`, {
          key,
          body: {
            Date: '2026-11-03',
            PaymentAmount: 1.25,
            PaymentRecipient: 'Creditor',
            CommissionPaymentStatus: 'Unpaid',
            CreateUnpaidCommissionFollowUp: false,
          },
        }),
        200,
      );
      expect(paid).toMatchObject({ date: '2026-11-03T00:00:00Z', paymentAmount: 1.25, paymentRecipient: 'Creditor', commissionPaymentStatus: 'Unpaid' });
      const managed = await ok<Json>(
        call('POST', '/managed-cases', {
          key,
          body: {
            IsTest: true,
            CurrencyCode: 'EUR',
            AmountToRecover: 12.5,
            Date: '2026-11-01',
            CreditorCompanyName: 'Cred',
            Debtor: { Type: 'Company', Name: 'Deb Inc' },
            Tag: 'any-case',
          },
        }),
        200,
      );
      expect(await ok<Json>(call('GET', `/cases/${managed.id}`, { key }), 200)).toMatchObject({ currency: 'EUR' });
      const twice = await call('POST', '/managed-cases', {
        key,
        body: {
          isTest: true,
          currencyCode: 'EUR',
          amountToRecover: 12.5,
          date: '2026-11-01',
          creditorCompanyName: 'Cred',
          debtor: { type: 'Company', name: 'A', Name: 'B' },
        },
      });
      expect(twice).toMatchObject({ status: 400, body: { error: 'ValidationError', businessErrors: [{ field: 'debtor.name' }] } });
      expect(await call('POST', `/cases/${fx.eur}/payments`, { key, body: { ...paymentBase(), PaymentAmount: 2 } })).toMatchObject({
        status: 400,
        body: { businessErrors: [{ field: 'paymentAmount' }] },
      });
      const wrong = await call('PUT', `/cases/${fx.eur}/payments/${paid.paymentId}`, { key, body: { PaymentAmount: 'x' } });
      expect(wrong.status).toBe(400);
    });
  });

  describe("PUT /cases/{id}/fees and GET /cases/{id}/timeline: a case that is not the caller's is 404 before any validation (SPEC §10)", () => {
    it('a UUID of no case, a foreign case, or an id that is no UUID, whatever the body', async () => {
      const key = fx.partner.apiKey;
      const other = await ok<{ apiKey: string }>(
        call('POST', '/admin/partners', { key: ADMIN, body: { companyName: 'Fees Other', officeEmail: 'fees-other@example.test' } }),
        201,
      );
      const requests = [
        [other.apiKey, `/cases/${fx.eur}`],
        [key, '/cases/00000000-0000-4000-8000-000000000000'],
        [key, '/cases/not-a-uuid'],
        [key, `/cases/${fx.eur}x`],
      ] as const;
      for (const [caller, path] of requests) {
        for (const body of [{ interestFees: 1 }, { interestFees: -1 }, { interestFees: 1.001, confirmPriceChange: 'yes' }]) {
          expect(await call('PUT', `${path}/fees`, { key: caller, body }), `${path} ${JSON.stringify(body)}`).toMatchObject({
            status: 404,
            body: { error: 'CaseNotFound' },
          });
        }
        expect(await call('GET', `${path}/timeline`, { key: caller }), path).toMatchObject({ status: 404, body: { error: 'CaseNotFound' } });
      }
      expect((await call('GET', `/cases/${fx.eur}/timeline`, { key })).status).toBe(200);
    });
  });

  describe("the case's claim dates and party ids (issue 13, SPEC §3, §10)", () => {
    it('answers date and dueDate as RFC 3339 midnight UTC, the debtor id as given (else assigned), a creditor id and the collection partner', async () => {
      const key = fx.partner.apiKey;
      const debtorId = '6F1C2A3B-1111-4222-8333-444455556666';
      const given = await ok<Json>(
        call('POST', '/admin/cases', {
          key: ADMIN,
          body: {
            ...caseBase('EUR')(),
            date: '2026-10-01',
            dueDate: '2026-10-31T23:30:00-05:00',
            debtor: { type: 'Company', name: 'Known Debtor', id: debtorId },
          },
        }),
        201,
      );
      expect(given).toMatchObject({
        date: '2026-10-01T00:00:00Z',
        dueDate: '2026-10-31T00:00:00Z',
        debtor: { id: debtorId.toLowerCase(), type: 'Company', name: 'Known Debtor' },
      });
      expect(given.creditor).toMatchObject({ id: expect.stringMatching(UUID_RE), companyName: 'Creditor Co', officeEmail: 'creditor@example.test' });
      expect(given.collectionPartner).toEqual({
        id: fx.partner.id,
        name: 'Validator',
        officeEmail: 'validator@example.test',
        officePhone: null,
        publicSite: null,
        surveyCadenceMode: null,
      });
      expect(await ok<Json>(call('GET', `/cases/${given.id}`, { key }), 200)).toEqual(given);
      // nothing given: no dates, a debtor id assigned by the platform, each case its own
      type Parties = { debtor: { id: string }; creditor: { id: string } };
      const a = await ok<Parties>(call('POST', '/admin/cases', { key: ADMIN, body: caseBase('EUR')() }), 201);
      const b = await ok<Parties>(call('POST', '/admin/cases', { key: ADMIN, body: caseBase('EUR')() }), 201);
      expect(a).toMatchObject({ date: null, dueDate: null, debtor: { id: expect.stringMatching(UUID_RE) }, creditor: { id: expect.stringMatching(UUID_RE) } });
      expect(a.debtor.id).not.toBe(b.debtor.id);
      expect(a.creditor.id).not.toBe(b.creditor.id);
      // POST /managed-cases: date required, dueDate optional
      const managedCase = await ok<Json>(
        call('POST', '/managed-cases', {
          key,
          body: { ...managedBase('EUR')(), date: '2026-09-15T08:00:00Z', dueDate: '2026-09-29', debtor: { type: 'Person', name: 'P', id: debtorId } },
        }),
        200,
      );
      expect(managedCase).toMatchObject({
        date: '2026-09-15T00:00:00Z',
        dueDate: '2026-09-29T00:00:00Z',
        debtor: { id: debtorId.toLowerCase() },
        creditor: { companyName: 'Creditor Co', id: expect.stringMatching(UUID_RE) },
      });
      expect((await ok<Json>(call('POST', '/managed-cases', { key, body: managedBase('EUR')() }), 200)).dueDate).toBeNull();
    });
  });

  describe('the rules are not stricter than the contract', () => {
    it('accepts the boundary values next to the rejected ones', async () => {
      const key = fx.partner.apiKey;
      // one minor unit in each currency's digits
      for (const [currency, amount] of [
        ['EUR', 0.01],
        ['JPY', 1],
        ['KWD', 0.001],
      ] as const) {
        await ok(call('POST', `/cases/${ON[currency]()}/payments`, { key, body: { ...paymentBase(), paymentAmount: amount } }), 200);
        await ok(call('POST', '/admin/cases', { key: ADMIN, body: { ...caseBase(currency)(), grossAmount: amount, interestFees: 0, isTestCase: true } }), 201);
      }
      await ok(
        call('POST', `/cases/${fx.kwd}/payments`, {
          key,
          body: { ...paymentBase(), paymentAmount: 1.001, payoutCreditor: 0.801, payoutCollectionPartner: 0.2 },
        }),
        200,
      );
      await ok(call('POST', `/cases/${fx.eur}/payments`, { key, body: paymentBase(), headers: { 'Idempotency-Key': 'k'.repeat(255) } }), 200);
      await ok(call('POST', `/cases/${fx.eur}/payments`, { key, body: { ...paymentBase(), date: '2026-11-01T10:15:30.123Z' } }), 200);
      // JSON sent as text/plain (fetch's default for a string body) is still JSON
      await ok(call('POST', `/cases/${fx.eur}/payments`, { key, body: paymentBase(), headers: { 'content-type': 'text/plain;charset=UTF-8' } }), 200);
      await ok(call('GET', `/cases?Page=1&PageSize=100&Statuses=Active,Closed&Statuses=Paused&includeTestCases=true`, { key }), 200);
      await ok(call('GET', `/cases/${fx.kwd}/payments?dateFrom=2026-01-01&dateTo=2026-12-31&minAmount=0.001&maxAmount=1000000`, { key }), 200);
      await ok(
        call('POST', '/admin/partners', {
          key: ADMIN,
          body: { ...partnerBase(), companyName: 'c'.repeat(200), preLegalRevenueShare: 0.123456, legalRevenueShare: 1 },
        }),
        201,
      );
      await ok(
        call('POST', '/managed-cases', { key, body: { ...managedBase('KWD')(), amountToRecover: 0.001, tag: 't'.repeat(100), successFee: 20.1234 } }),
        200,
      );
      // fees: zero, one minor unit, every field at once, null for "keep", flags either way
      for (const [currency, amount] of [
        ['EUR', 0.01],
        ['JPY', 1],
        ['KWD', 0.001],
      ] as const) {
        const own = await ok<{ id: string }>(call('POST', '/admin/cases', { key: ADMIN, body: { ...caseBase(currency)(), isTestCase: true } }), 201);
        await ok(
          call('PUT', `/cases/${own.id}/fees`, {
            key,
            body: { grossAmount: 0, interestFees: amount, reminderFees: 0, collectionFees: 1e12, confirmPriceChange: true, keepIntentionalRate: true },
          }),
          200,
        );
        await ok(call('PUT', `/cases/${own.id}/fees`, { key, body: { grossAmount: null, interestFees: null } }), 200);
        await ok(call('PUT', `/cases/${own.id}/fees`, { key, body: {} }), 200);
      }
      await ok(call('POST', `/cases/${fx.closeTarget}/close`, { key, body: { closeCode: 'Other', comment: 'c'.repeat(2000) } }), 200);
    });
  });

  describe('fuzz: no input gives a 5xx', () => {
    const anyJson = fc.jsonValue({ maxDepth: 3, stringUnit: 'binary' });
    const amount = fc.oneof(
      fc.double(),
      fc.integer({ min: -1_000_000, max: 1_000_000 }),
      fc.constantFrom(0, -0, 0.01, 0.001, 0.5, 1e12, 1e13, 1e-7, Number.MAX_SAFE_INTEGER),
      anyJson,
    );
    const date = fc.oneof(
      fc.constantFrom('2026-11-01', '2026-02-29', '2024-02-29', '1900-01-01', '9999-12-31', '2026-11-01T23:59:59+14:00'),
      fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
      anyJson,
    );
    const withUnknownKeys = <T extends object>(arb: fc.Arbitrary<T>) =>
      fc.tuple(arb, fc.dictionary(fc.string({ maxLength: 12 }), anyJson, { maxKeys: 2 })).map(([known, extra]) => ({ ...extra, ...known }));
    /** A valid request with 0 to 3 of its fields (or unknown ones) changed to anything or removed. */
    const mutated = (bases: Json[], values: fc.Arbitrary<unknown>) => {
      const keys = [...new Set(bases.flatMap((b) => Object.keys(b)))];
      const key = fc.oneof({ weight: 5, arbitrary: fc.constantFrom(...keys) }, { weight: 1, arbitrary: fc.string({ maxLength: 12 }) });
      const changes = fc.array(fc.tuple(key, fc.option(values, { nil: MISSING })), { maxLength: 3 });
      return fc.tuple(fc.constantFrom(...bases), changes).map(([base, list]) => list.reduce<Json>((b, [k, v]) => withField(b, k, v), base));
    };
    const VALID_PAYMENTS: Json[] = [
      { date: '2026-11-01', paymentAmount: 10, paymentRecipient: 'CollectionPartner' },
      { date: '2026-11-02', paymentAmount: 2.5, paymentRecipient: 'Creditor', commissionPaymentStatus: 'Unpaid', createUnpaidCommissionFollowUp: true },
      { date: '2026-11-03T12:00:00Z', paymentAmount: 100, paymentRecipient: 'Platform', payoutCreditor: 80, payoutCollectionPartner: 20, closeCase: true },
    ];
    const fieldValue = fc.oneof(anyJson, amount, date, fc.constantFrom('CollectionPartner', 'Creditor', 'Platform', 'Paid', 'Unpaid', true, false));
    const paymentBody = fc.oneof(
      { weight: 1, arbitrary: anyJson },
      {
        weight: 2,
        arbitrary: withUnknownKeys(
          fc.record(
            {
              date,
              paymentAmount: amount,
              paymentRecipient: fc.oneof(fc.constantFrom('CollectionPartner', 'Creditor', 'Platform'), anyJson),
              commissionPaymentStatus: fc.oneof(fc.constantFrom('Paid', 'Unpaid'), anyJson),
              payoutCreditor: amount,
              payoutCollectionPartner: amount,
              closeCase: fc.oneof(fc.boolean(), anyJson),
              createUnpaidCommissionFollowUp: fc.oneof(fc.boolean(), anyJson),
            },
            { requiredKeys: [] },
          ),
        ),
      },
      { weight: 3, arbitrary: mutated(VALID_PAYMENTS, fieldValue) },
    );

    const seen = new Map<number, number>();
    async function noServerError(label: string, res: { status: number; body: unknown }) {
      seen.set(res.status, (seen.get(res.status) ?? 0) + 1);
      expect(res.status, `${label} → ${JSON.stringify(res.body)?.slice(0, 300)}`).toBeLessThan(500);
      if (res.status === 400) expect(res.body).toMatchObject({ error: 'ValidationError' });
    }

    it('POST /cases/{id}/payments: 200 random bodies and Idempotency-Keys', async () => {
      const request = fc.record({
        currency: fc.constantFrom('EUR', 'JPY', 'KWD') as fc.Arbitrary<Currency>,
        body: paymentBody,
        // mostly none; sometimes a shared one (replays and conflicts), sometimes any length
        idempotencyKey: fc.oneof(
          { weight: 6, arbitrary: fc.constant(undefined) },
          { weight: 1, arbitrary: fc.constantFrom('fuzz-1', 'fuzz-2') },
          { weight: 3, arbitrary: fc.stringMatching(/^[!-~]{0,260}$/) },
        ),
      });
      await fc.assert(
        fc.asyncProperty(request, async ({ currency, body, idempotencyKey }) => {
          const res = await call('POST', `/cases/${fx.fuzz[currency]}/payments`, {
            key: fx.partner.apiKey,
            body,
            headers: idempotencyKey === undefined ? {} : { 'Idempotency-Key': idempotencyKey },
          });
          await noServerError(JSON.stringify(body), res);
        }),
        { seed: 20_261_101, numRuns: 200, endOnFailure: true },
      );
      // the fixed seed reaches both the validation and the ledger
      expect(seen.get(400)).toBeGreaterThan(0);
      expect(seen.get(200)).toBeGreaterThan(0);
      seen.clear();
    });

    it('the other bodies: 100 valid requests with fields changed to anything', async () => {
      type Target = { method: Method; path: () => string; admin?: boolean; base: () => Json };
      // a case of its own that nothing closes, so that every 400 of the fee changes is a ValidationError
      const feesCase = (
        await ok<{ id: string }>(
          call('POST', '/admin/cases', { key: ADMIN, body: { ...caseBase('KWD')(), grossAmount: 1_000_000_000, isTestCase: true } }),
          201,
        )
      ).id;
      const targets: Target[] = [
        { method: 'POST', path: () => '/admin/partners', admin: true, base: partnerBase },
        { method: 'POST', path: () => '/admin/cases', admin: true, base: () => ({ ...caseBase('EUR')(), isTestCase: true }) },
        { method: 'POST', path: () => '/admin/invoicing-runs', admin: true, base: () => ({ partnerId: fx.partner.id }) },
        { method: 'POST', path: () => '/managed-cases', base: managedBase('KWD') },
        {
          method: 'PUT',
          path: () => `/cases/${fx.fuzz.EUR}/payments/${fx.fuzzPayment}`,
          base: () => ({ ...editBase(), paymentRecipient: 'Creditor', commissionPaymentStatus: 'Unpaid' }),
        },
        { method: 'POST', path: () => `/cases/${fx.fuzz.EUR}/payments/${fx.fuzzPayment}/commission`, base: () => ({ status: 'Paid' }) },
        { method: 'POST', path: () => `/test/cases/${fx.fuzzTestCase}/advance`, base: () => ({ to: 'Closed:Paid', amount: 500 }) },
        { method: 'POST', path: () => `/cases/${fx.fuzzTestCase}/close`, base: () => ({ closeCode: 'Other', comment: 'fuzz' }) },
        { method: 'POST', path: firePath, base: () => ({ event: 'case.updated', caseId: fx.fuzzTestCase }) },
        { method: 'POST', path: () => `/managed-cases/${fx.fuzz.KWD}/payments`, base: () => ({ date: '2026-11-01', paymentAmount: 0.001, closeCase: false }) },
        {
          method: 'PUT',
          path: () => `/cases/${feesCase}/fees`,
          base: () => ({ grossAmount: 1_000_000_000, interestFees: 0.125, collectionFees: 1, confirmPriceChange: false, keepIntentionalRate: true }),
        },
      ];
      const request = fc
        .integer({ min: 0, max: targets.length - 1 })
        .chain((i) => mutated([targets[i]!.base()], fc.oneof(anyJson, amount, date)).map((body) => ({ target: targets[i]!, body })));
      await fc.assert(
        fc.asyncProperty(request, async ({ target: t, body }) => {
          const res = await call(t.method, t.path(), { key: t.admin ? ADMIN : fx.partner.apiKey, body });
          await noServerError(`${t.method} ${t.path()} ${JSON.stringify(body)}`, res);
        }),
        { seed: 20_261_102, numRuns: 100, endOnFailure: true },
      );
      expect(seen.get(400)).toBeGreaterThan(0);
      expect([...seen.keys()].some((status) => status < 300)).toBe(true);
    });
  });
}
