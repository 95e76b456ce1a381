// Hostile-input run (issue 11): requests generated from the gateway's own GET /openapi.json — every
// operation, every documented parameter and body field — made malformed, mistyped, huge, deeply nested,
// unicode-laden, duplicated, foreign or spelled otherwise, with hostile headers. Every answer is checked:
// no 5xx, no hang, no partial write (a rejected write leaves the state as it was), no /admin operation
// reached with a partner key, an error body as in SPEC §1, and another partner's id answered exactly like
// an unknown one. Deterministic for a seed. Used by `npm run fuzz` (bench/fuzz.mjs) on the distributed
// stack and on the embedded default, and by services/gateway/test/fuzz.int.spec.ts.
import pg from 'pg';
import { rawRequest, type RawOutcome } from './http-raw';
import { Rng } from './random';

export interface FuzzOptions {
  readonly baseUrl: string;
  readonly adminKey: string;
  /** a label for the report: "stack", "embedded" */
  readonly mode: string;
  readonly seed: number;
  /** requests to send (setup and state reads not counted) */
  readonly requests: number;
  readonly timeLimitMs: number;
  /** an answer slower than this is a hang */
  readonly requestTimeoutMs: number;
  /** with it, the state compared around each rejected write is read from PostgreSQL; without, through the API */
  readonly databaseUrl?: string;
  /** a webhook destination the system accepts (WEBHOOK_ALLOW_INSECURE/PRIVATE for a loopback receiver) */
  readonly webhookUrl: string;
  /** send only these request numbers (as printed with a finding), to reproduce one */
  readonly only?: readonly number[];
  readonly log: (line: string) => void;
}

export const FUZZ_DEFAULTS = { seed: 1, requests: 2000, timeLimitMs: 300_000, requestTimeoutMs: 10_000 };

export type FindingKind = '5xx' | 'hang' | 'partial write' | 'admin bypass' | 'error body' | 'foreign id';
export const FINDING_KINDS: readonly FindingKind[] = ['5xx', 'hang', 'partial write', 'admin bypass', 'error body', 'foreign id'];

export interface FuzzFinding {
  readonly kind: FindingKind;
  /** the request number: FUZZ_ONLY=<n> with the same FUZZ_SEED sends it again */
  readonly n: number;
  readonly category: string;
  readonly label: string;
  readonly method: string;
  readonly path: string;
  readonly status: number | string;
  readonly request: string;
  readonly answer: string;
  readonly detail: string;
}

export interface FuzzReport {
  readonly ok: boolean;
  readonly mode: string;
  readonly sent: number;
  readonly extra: number;
  readonly skipped: number;
  readonly ms: number;
  readonly operations: number;
  readonly statuses: Record<string, number>;
  readonly counts: Record<FindingKind, number>;
  readonly findings: FuzzFinding[];
  readonly lines: string[];
}

// ---------------------------------------------------------------- the OpenAPI document, as far as used

interface Schema {
  type?: string | string[];
  properties?: Record<string, Schema>;
  required?: string[];
  enum?: unknown[];
  const?: unknown;
  items?: Schema;
  format?: string;
  pattern?: string;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  minLength?: number;
  maxLength?: number;
  default?: unknown;
  examples?: unknown[];
  $ref?: string;
  allOf?: Schema[];
}

interface Param {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  required?: boolean;
  schema?: Schema;
  $ref?: string;
}

interface Operation {
  readonly id: string;
  readonly method: string;
  readonly template: string;
  readonly pathParams: string[];
  readonly query: { name: string; schema: Schema; required: boolean }[];
  readonly idempotent: boolean;
  readonly body: Schema | undefined;
  readonly auth: 'public' | 'partner' | 'operator';
}

interface OpenApiDoc {
  paths: Record<
    string,
    Record<
      string,
      { operationId?: string; parameters?: Param[]; requestBody?: { content?: Record<string, { schema?: Schema }> }; security?: Record<string, unknown>[] }
    >
  >;
  components?: Record<string, Record<string, unknown>>;
}

function operationsOf(doc: OpenApiDoc): Operation[] {
  const deref = <T>(node: T & { $ref?: string }): T => {
    if (!node?.$ref) return node;
    const target = node.$ref
      .replace(/^#\//, '')
      .split('/')
      .reduce<unknown>((o, k) => (o as Record<string, unknown>)?.[k], doc) as T & { $ref?: string };
    return deref(target);
  };
  const resolve = (s: Schema | undefined): Schema | undefined => {
    if (!s) return s;
    const d = deref(s);
    const out: Schema = { ...d };
    if (d.properties) out.properties = Object.fromEntries(Object.entries(d.properties).map(([k, v]) => [k, resolve(v)!]));
    if (d.items) out.items = resolve(d.items)!;
    return out;
  };
  const ops: Operation[] = [];
  for (const [template, methods] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(methods)) {
      if (!['get', 'post', 'put', 'delete', 'patch'].includes(method)) continue;
      const params = (op.parameters ?? []).map((p) => deref(p));
      const security = op.security ?? [];
      const auth = security.length === 0 ? 'public' : security.some((s) => 'AdminApiKey' in s) ? 'operator' : 'partner';
      ops.push({
        id: op.operationId ?? `${method} ${template}`,
        method: method.toUpperCase(),
        template,
        pathParams: params.filter((p) => p.in === 'path').map((p) => p.name),
        query: params.filter((p) => p.in === 'query').map((p) => ({ name: p.name, schema: resolve(p.schema) ?? {}, required: p.required === true })),
        idempotent: params.some((p) => p.in === 'header' && p.name.toLowerCase() === 'idempotency-key'),
        body: resolve(op.requestBody?.content?.['application/json']?.schema),
        auth,
      });
    }
  }
  return ops;
}

// ---------------------------------------------------------------- fixtures: two partners' resources

interface PartnerFx {
  id: string;
  apiKey: string;
  caseId: string;
  testCaseId: string;
  paymentId: string;
  unpaidPaymentId: string;
  webhookId: string;
  eventId: string | undefined;
}

interface Fixtures {
  self: PartnerFx;
  other: PartnerFx;
  /** a partner with nothing to invoice: the operator calls of the fuzz run target it */
  bystander: { id: string };
}

type Who = 'self' | 'other' | 'unknown';

// ---------------------------------------------------------------- requests

interface Draft {
  method: string;
  /** the path, already spelled as sent */
  path: string;
  query: string[];
  headers: Record<string, string | string[]>;
  /** a JSON value to send, or raw bytes */
  body: { json: unknown } | { raw: string | Buffer } | undefined;
  key: 'self' | 'other' | 'admin' | 'none' | 'custom';
}

interface Entry {
  readonly category: string;
  readonly label: string;
  readonly op: Operation;
  /** builds the request(s); two for a foreign-id probe: the other partner's id, then an unknown one */
  build(fx: Fixtures, rng: Rng, n: number): { draft: Draft; who: Who }[];
  readonly adminProbe?: boolean;
}

const HINTS: Record<string, unknown> = {
  paymentRecipient: 'CollectionPartner',
  closeCode: 'Other',
  to: 'Active',
  status: 'Paid',
  currentEngagementPhase: 'Pre-legal',
  type: 'Person',
};

function validValue(s: Schema, name: string, fx: Fixtures, webhookUrl: string): unknown {
  if (s.const !== undefined) return s.const;
  if (name in HINTS && (!s.enum || s.enum.includes(HINTS[name]))) return HINTS[name];
  if (s.enum && s.enum.length > 0) return s.enum[0];
  const type: string = (Array.isArray(s.type) ? s.type.find((t) => t !== 'null') : s.type) ?? 'any';
  switch (type) {
    case 'string':
      if (s.format === 'uuid') return name === 'partnerId' ? fx.bystander.id : fx.self.caseId;
      if (s.format === 'email') return 'fuzz@example.test';
      if (s.format === 'uri') return webhookUrl;
      if (s.format === 'date-time') return '2026-01-01T00:00:00Z';
      if (s.format === 'date' || s.pattern?.startsWith('^\\d{4}')) return '2026-11-01';
      if (s.pattern === '^[A-Z]{3}$') return 'EUR';
      if (typeof s.examples?.[0] === 'string') return s.examples[0];
      return 'fuzz';
    case 'number':
      return s.maximum !== undefined && s.maximum <= 1 ? 0.5 : 10;
    case 'integer':
      return Math.max(1, s.minimum ?? 1);
    case 'boolean':
      return typeof s.default === 'boolean' ? s.default : false;
    case 'array':
      return s.items ? [validValue(s.items, name, fx, webhookUrl)] : [];
    case 'object': {
      const out: Record<string, unknown> = {};
      for (const r of s.required ?? []) if (s.properties?.[r]) out[r] = validValue(s.properties[r]!, r, fx, webhookUrl);
      return out;
    }
    default:
      return 'fuzz';
  }
}

/** Every documented body field, nested ones as dotted paths (`debtor.name`, `events.0`). */
function fieldsOf(s: Schema, prefix = ''): { path: string; schema: Schema }[] {
  const out: { path: string; schema: Schema }[] = [];
  for (const [name, sub] of Object.entries(s.properties ?? {})) {
    const path = prefix ? `${prefix}.${name}` : name;
    out.push({ path, schema: sub });
    if (sub.properties) out.push(...fieldsOf(sub, path));
    if (sub.items) out.push({ path: `${path}.0`, schema: sub.items });
  }
  return out;
}

function setPath(target: Record<string, unknown>, path: string, value: unknown, remove = false): void {
  const parts = path.split('.');
  let node: Record<string, unknown> = target;
  for (const part of parts.slice(0, -1)) {
    const next = node[part];
    if (typeof next !== 'object' || next === null) node[part] = /^\d+$/.test(parts[parts.indexOf(part) + 1] ?? '') ? [] : {};
    node = node[part] as Record<string, unknown>;
  }
  const last = parts[parts.length - 1]!;
  if (remove) delete node[last];
  else node[last] = value;
}

/** A UUID from the seeded generator: the same seed probes the same unknown ids. */
function seededUuid(rng: Rng): string {
  const hex = Array.from({ length: 32 }, () => rng.int(0, 15).toString(16)).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${'89ab'[rng.int(0, 3)]}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** The value of one path parameter: the caller's own resource, the other partner's, or an unknown id. */
function paramValue(op: Operation, name: string, fx: Fixtures, who: Who, rng: Rng): string {
  if (who === 'unknown') return seededUuid(rng);
  const owner = who === 'other' ? fx.other : fx.self;
  if (name === 'paymentId') return op.template.endsWith('/commission') ? owner.unpaidPaymentId : owner.paymentId;
  if (op.template.startsWith('/test/cases/')) return owner.testCaseId;
  if (op.template.startsWith('/cases/')) return owner.caseId;
  if (op.template.startsWith('/webhooks/events/')) return owner.eventId ?? seededUuid(rng);
  if (op.template.startsWith('/webhooks/')) return owner.webhookId;
  return seededUuid(rng); // e.g. a dead letter: no fixture
}

function resolvePath(op: Operation, fx: Fixtures, who: Who, rng: Rng, override: Record<string, string> = {}): string {
  return op.template.replace(/\{(\w+)\}/g, (_m, name: string) => override[name] ?? paramValue(op, name, fx, who, rng));
}

function baseDraft(op: Operation, fx: Fixtures, who: Who, rng: Rng, n: number, seed: number, webhookUrl: string): Draft {
  const headers: Record<string, string | string[]> = {};
  if (op.idempotent) headers['Idempotency-Key'] = `fuzz-${seed}-${n}`;
  const query = op.query.filter((q) => q.required).map((q) => `${q.name}=${encodeURIComponent(String(validValue(q.schema, q.name, fx, webhookUrl)))}`);
  const body = op.body ? { json: validValue(op.body, '', fx, webhookUrl) } : undefined;
  return {
    method: op.method,
    path: resolvePath(op, fx, who, rng),
    query,
    headers,
    body,
    key: op.auth === 'operator' ? 'admin' : op.auth === 'partner' ? 'self' : 'none',
  };
}

// ---------------------------------------------------------------- the hostile values

const LONG = 'x'.repeat(10_000);
/** UTF-8 bytes of a string as a latin1 JS string: Node sends each char as one byte (header values). */
const utf8Bytes = (s: string) => Buffer.from(s, 'utf8').toString('latin1');

const WRONG_VALUES: [string, unknown][] = [
  ['null', null],
  ['true', true],
  ['0', 0],
  ['-1', -1],
  ['1e308', 1e308],
  ['-0.0001', -0.0001],
  ['1.005', 1.005],
  ['2^64', 18446744073709551616],
  ['"1"', '1'],
  ['""', ''],
  ['" "', ' '],
  ['10k chars', LONG],
  ['[]', []],
  ['[1,2]', [1, 2]],
  ['{}', {}],
  ['{"$gt":""}', { $gt: '' }],
  ['"NaN"', 'NaN'],
  ['"2026-02-30"', '2026-02-30'],
  ['"9999-99-99T99:99"', '9999-99-99T99:99'],
  ['a UUID', '00000000-0000-0000-0000-000000000000'],
];

const UNICODE: [string, string][] = [
  ['NUL', 'a\u0000b'],
  ['lone high surrogate', 'a\ud800b'],
  ['lone low surrogate', '\udc00'],
  ['RTL override', '\u202eevil\u202c'],
  ['emoji', '💸🏦👩🏽‍💻'],
  ['zero-width', '\u200b\u200d\ufeff'],
  ['combining', 'e\u0301\u0301\u0301\u0301'],
  ['control chars', '\u0001\u0007\u001b[31m'],
  ['CJK + Arabic', '債務 دين'],
  ['line separators', 'a\u2028b\u2029c\r\n'],
  ['10k emoji', '😀'.repeat(5_000)],
];

/** Raw bodies that are not valid JSON (or not what a JSON parser should take). */
const MALFORMED: [string, string | Buffer][] = [
  ['empty', ''],
  ['{', '{'],
  ['truncated', '{"a":'],
  ['trailing comma', '{"a":1,}'],
  ['single quotes', "{'a':1}"],
  ['NaN', '{"a":NaN}'],
  ['Infinity', '{"a":Infinity}'],
  ['1e999', '{"a":1e999}'],
  ['comment', '/*x*/{}'],
  ['BOM', '\ufeff{}'],
  ['two documents', '{}{}'],
  ['bad escape', '{"a":"\\x41"}'],
  ['escaped lone surrogate', '{"a":"\\ud800"}'],
  ['null', 'null'],
  ['array', '[]'],
  ['number', '1'],
  ['string', '"s"'],
  ['true', 'true'],
  ['__proto__', '{"__proto__":{"isAdmin":true},"constructor":{"prototype":{"polluted":1}}}'],
  ['invalid UTF-8', Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0xc0, 0xaf, 0xed, 0xa0, 0x80, 0x22, 0x7d])],
  ['NUL bytes', Buffer.from([0x7b, 0x00, 0x7d])],
  ['UTF-16 LE', Buffer.from('{"a":1}', 'utf16le')],
  ['whitespace only', ' \n\t '],
];

const CONTENT_TYPES: [string, string | undefined][] = [
  ['none', undefined],
  ['text/plain', 'text/plain'],
  ['form', 'application/x-www-form-urlencoded'],
  ['multipart', 'multipart/form-data; boundary=x'],
  ['utf-16 charset', 'application/json; charset=utf-16'],
  ['latin1 charset', 'application/json; charset=latin1'],
  ['bogus charset', 'application/json; charset=no-such'],
  ['upper case', 'APPLICATION/JSON'],
  ['spaced params', 'application/json ; charset=UTF-8 ; x=y'],
  ['merge-patch', 'application/merge-patch+json'],
  ['xml', 'application/xml'],
  ['wildcard', '*/*'],
  ['empty', ''],
  ['10k', `application/json; x=${LONG}`],
];

/** Headers that are not the request's business or are hostile; value builders get the fixtures. */
const HEADERS: [string, (fx: Fixtures) => Record<string, string | string[]>, Draft['key']?][] = [
  ['x-request-id TAB', () => ({ 'x-request-id': 'a\tb' })],
  ['x-request-id latin1', () => ({ 'x-request-id': 'caf\u00e9' })],
  ['x-request-id UTF-8 bytes', () => ({ 'x-request-id': utf8Bytes('ид-💥') })],
  ['x-request-id 10k', () => ({ 'x-request-id': LONG })],
  ['x-request-id empty', () => ({ 'x-request-id': '' })],
  ['x-request-id twice', () => ({ 'x-request-id': ['one', 'two'] })],
  ['x-request-id with spaces', () => ({ 'x-request-id': ' a b ' })],
  ['XApiKey empty', () => ({ XApiKey: '' }), 'custom'],
  ['XApiKey padded', (fx) => ({ XApiKey: ` ${fx.self.apiKey} ` }), 'custom'],
  ['XApiKey twice (own, other)', (fx) => ({ XApiKey: [fx.self.apiKey, fx.other.apiKey] }), 'custom'],
  ['XApiKey twice (other, own)', (fx) => ({ XApiKey: [fx.other.apiKey, fx.self.apiKey] }), 'custom'],
  ['XApiKey 10k', () => ({ XApiKey: LONG }), 'custom'],
  ['XApiKey latin1', () => ({ XApiKey: 'pk_\u00e9\u00ff' }), 'custom'],
  ['XApiKey as Authorization', (fx) => ({ Authorization: `Bearer ${fx.self.apiKey}` }), 'custom'],
  ['X-Api-Key spelling', (fx) => ({ 'X-Api-Key': fx.self.apiKey }), 'custom'],
  ['header 20 KB', () => ({ 'x-pad': 'x'.repeat(20_000) })],
  ['header 70 KB', () => ({ 'x-pad': 'x'.repeat(70_000) })],
  ['300 headers', () => Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`x-h${i}`, 'v'.repeat(40)]))],
  ['Accept xml', () => ({ accept: 'application/xml' })],
  ['Accept-Encoding gzip', () => ({ 'accept-encoding': 'gzip, br' })],
  ['X-Forwarded-For spoof', () => ({ 'x-forwarded-for': '10.0.0.1, 127.0.0.1', 'x-real-ip': '10.0.0.1' })],
  ['X-HTTP-Method-Override', () => ({ 'x-http-method-override': 'DELETE' })],
  ['X-Original-URL /admin', () => ({ 'x-original-url': '/admin/partners', 'x-rewrite-url': '/admin/partners' })],
  ['traceparent garbage', () => ({ traceparent: `00-${'z'.repeat(32)}-${'0'.repeat(16)}-01`, tracestate: LONG })],
  ['Expect 100-continue', () => ({ expect: '100-continue' })],
];

const IDEMPOTENCY_KEYS: [string, (n: number) => string | string[]][] = [
  ['empty', () => ''],
  ['space', () => ' '],
  ['TAB', () => '\t'],
  ['255 chars', (n) => `${n}-`.padEnd(255, 'k')],
  ['256 chars', (n) => `${n}-`.padEnd(256, 'k')],
  ['5000 chars', (n) => `${n}-`.padEnd(5000, 'k')],
  ['latin1', (n) => `k\u00e9${n}`],
  ['UTF-8 bytes', (n) => utf8Bytes(`ключ-${n}-🔑`)],
  ['twice', (n) => [`a-${n}`, `b-${n}`]],
  ['SQL', (n) => `'; DROP TABLE gateway.idempotency_keys; --${n}`],
  ['percent-encoded', (n) => `%00%ff-${n}`],
];

const BAD_IDS: [string, string][] = [
  ['not a uuid', 'not-a-uuid'],
  ['upper-case uuid', '00000000-0000-4000-8000-00000000000A'],
  ['braced uuid', '{00000000-0000-4000-8000-000000000000}'],
  ['uuid + x', '00000000-0000-4000-8000-000000000000x'],
  ['nil uuid', '00000000-0000-0000-0000-000000000000'],
  ['%00', '%00'],
  ['%zz', '%zz'],
  ['dot-dot', '..'],
  ['%2e%2e', '%2e%2e'],
  ['%2F', 'a%2Fb'],
  ['2000 chars', 'a'.repeat(2000)],
  ['101 chars', 'a'.repeat(101)],
  ['emoji', '%F0%9F%92%B8'],
  ['space', '%20'],
  ['SQL', "'%20OR%201=1--"],
  ['__proto__', '__proto__'],
  ['constructor', 'constructor'],
  ['negative', '-1'],
  ['overlong UTF-8', '%C0%AF'],
  ['invalid UTF-8', '%FF%FE'],
];

const QUERY_VALUES: [string, string][] = [
  ['empty', ''],
  ['word', 'x'],
  ['-1', '-1'],
  ['0', '0'],
  ['1e9', '1e9'],
  ['1.5', '1.5'],
  ['%00', '%00'],
  ['%zz', '%zz'],
  ['10k', LONG],
  ['emoji', '%F0%9F%92%B8'],
  ['maybe', 'maybe'],
  ['array syntax', '[]'],
  ['SQL', "'%20OR%201=1--"],
  ['comma list of junk', 'a,,b,'],
];

/** Spellings of a path that a router or a proxy in front might take for it. */
function spellings(path: string): [string, string][] {
  const segs = path.split('/');
  const first = segs[1] ?? '';
  const rest = segs.slice(2).join('/');
  const tail = rest ? `/${rest}` : '';
  const enc = (s: string, i: number) => `${s.slice(0, i)}%${s.charCodeAt(i).toString(16)}${s.slice(i + 1)}`;
  return [
    ['as documented', path],
    ['first letter percent-encoded', `/${enc(first, 0)}${tail}`],
    ['all percent-encoded', `/${[...first].map((c) => `%${c.charCodeAt(0).toString(16)}`).join('')}${tail}`],
    ['upper-case percent-encoding', `/%${first.charCodeAt(0).toString(16).toUpperCase()}${first.slice(1)}${tail}`],
    ['encoded capital', `/%${first.toUpperCase().charCodeAt(0).toString(16)}${first.slice(1)}${tail}`],
    ['upper case', `/${first.toUpperCase()}${tail}`],
    ['capitalised', `/${first.charAt(0).toUpperCase()}${first.slice(1)}${tail}`],
    ['double slash before', `//${first}${tail}`],
    ['double slash after', `/${first}/${tail}`],
    ['dot segment', `/x/../${first}${tail}`],
    ['encoded dot segment', `/x/%2e%2e/${first}${tail}`],
    ['single dot', `/${first}/.${tail}`],
    ['trailing slash', `${path}/`],
    ['encoded slash', `/${first}${tail.replace('/', '%2F')}`],
    ['second segment encoded', rest ? `/${first}/${enc(rest, 0)}` : `${path}%2F`],
    ['matrix parameter', `${path};x=1`],
    ['fragment', `${path}#x`],
    ['backslash', `/${first}\\${rest}`],
    ['encoded NUL', `${path}%00`],
    ['tab', `/${first}%09${tail}`],
  ];
}

function deep(depth: number, open: string, close: string, inner = ''): string {
  return open.repeat(depth) + inner + close.repeat(depth);
}

// ---------------------------------------------------------------- the catalogue

function catalogue(ops: Operation[], o: FuzzOptions): Entry[][] {
  const cats: Entry[][] = [];
  const entry = (category: string, label: string, op: Operation, mutate: (d: Draft, fx: Fixtures, rng: Rng, n: number) => void, who: Who = 'self'): Entry => ({
    category,
    label,
    op,
    build: (fx, rng, n) => {
      const d = baseDraft(op, fx, who, rng, n, o.seed, o.webhookUrl);
      mutate(d, fx, rng, n);
      return [{ draft: d, who }];
    },
  });
  const withBody = ops.filter((op) => op.body);
  const withIds = ops.filter((op) => op.pathParams.length > 0);
  const admin = ops.filter((op) => op.auth === 'operator');

  // the operator API with a partner key, or none, in every spelling: never a 2xx
  const bypass: Entry[] = [];
  for (const op of admin) {
    for (const [spelling] of spellings(op.template)) {
      for (const key of ['self', 'none', 'other'] as const) {
        for (const method of op.method === 'GET' ? ['GET', 'HEAD'] : [op.method]) {
          bypass.push({
            category: 'admin bypass',
            label: `${spelling}, ${key === 'none' ? 'no key' : `${key === 'self' ? 'a' : 'another'} partner key`}${method === 'HEAD' ? ', HEAD' : ''}`,
            op,
            adminProbe: true,
            build: (fx, rng, n) => {
              const d = baseDraft(op, fx, 'self', rng, n, o.seed, o.webhookUrl);
              d.key = key;
              d.method = method;
              if (method === 'HEAD') d.body = undefined;
              d.path = spellings(d.path).find(([s]) => s === spelling)![1];
              return [{ draft: d, who: 'self' }];
            },
          });
        }
      }
    }
  }
  cats.push(bypass);

  // hostile headers on every operation
  const headers: Entry[] = [];
  for (const op of ops)
    for (const [label, make, key] of HEADERS)
      headers.push(
        entry('headers', label, op, (d, fx) => {
          Object.assign(d.headers, make(fx));
          if (key) d.key = key;
        }),
      );
  cats.push(headers);

  // Idempotency-Key edge cases
  const idem: Entry[] = [];
  for (const op of ops.filter((x) => x.idempotent)) {
    for (const [label, make] of IDEMPOTENCY_KEYS)
      idem.push(entry('idempotency-key', label, op, (d, _fx, _rng, n) => void (d.headers['Idempotency-Key'] = make(n))));
    idem.push(
      entry('idempotency-key', 'same key, another body', op, (d, _fx, _rng, n) => {
        d.headers['Idempotency-Key'] = `fuzz-${o.seed}-reused`;
        d.body = { json: { ...(d.body && 'json' in d.body ? (d.body.json as object) : {}), fuzzRequest: n } };
      }),
    );
    idem.push(entry('idempotency-key', 'key of another path', op, (d) => void (d.headers['Idempotency-Key'] = `fuzz-${o.seed}-shared-across-paths`)));
    idem.push(
      entry('idempotency-key', 'deep JSON with a key', op, (d, _fx, _rng, n) => {
        d.headers['Idempotency-Key'] = `fuzz-${o.seed}-deep-${n}`;
        d.body = { raw: `{"a":${deep(10_000, '[', ']')}}` };
      }),
    );
  }
  cats.push(idem);

  // deep, huge and oversize bodies
  const big: Entry[] = [];
  const bigBodies: [string, () => string][] = [
    ['depth 10,000 arrays', () => deep(10_000, '[', ']')],
    ['depth 10,000 objects', () => deep(10_000, '{"a":', '}', '1')],
    ['depth 10,000 in a field', () => `{"date":${deep(10_000, '[', ']')}}`],
    ['depth 33', () => deep(33, '[', ']')],
    ['depth 32', () => `{"a":${deep(31, '[', ']')}}`],
    ['depth 100,000 unclosed', () => '['.repeat(100_000)],
    ['2 MiB string', () => JSON.stringify({ pad: 'x'.repeat(2 * 1024 * 1024) })],
    ['1 MiB + 1 byte', () => `{"p":"${'x'.repeat(1024 * 1024 - 7)}"}`],
    ['900 KB string field', () => JSON.stringify({ companyName: 'x'.repeat(900_000), url: 'x'.repeat(900_000 / 10) })],
    ['200k-element array', () => `{"events":[${Array.from({ length: 200_000 }, () => '1').join(',')}]}`],
    ['50k keys', () => `{${Array.from({ length: 50_000 }, (_, i) => `"k${i}":1`).join(',')}}`],
  ];
  for (const op of withBody) for (const [label, make] of bigBodies) big.push(entry('big bodies', label, op, (d) => void (d.body = { raw: make() })));
  for (const op of ops.filter((x) => !x.body))
    big.push(entry('big bodies', 'a body where none is documented (depth 10,000)', op, (d) => void (d.body = { raw: deep(10_000, '[', ']') })));
  cats.push(big);

  const malformed: Entry[] = [];
  for (const op of withBody) for (const [label, raw] of MALFORMED) malformed.push(entry('malformed JSON', label, op, (d) => void (d.body = { raw })));
  cats.push(malformed);

  // wrong types and missing fields, per documented field
  const types: Entry[] = [];
  const missing: Entry[] = [];
  const unicode: Entry[] = [];
  const keys: Entry[] = [];
  for (const op of withBody) {
    const fields = fieldsOf(op.body!);
    for (const f of fields) {
      for (const [label, value] of WRONG_VALUES)
        types.push(entry('wrong types', `${f.path} = ${label}`, op, (d) => setPath((d.body as { json: Record<string, unknown> }).json, f.path, value)));
      missing.push(
        entry('missing fields', `without ${f.path}`, op, (d) => setPath((d.body as { json: Record<string, unknown> }).json, f.path, undefined, true)),
      );
      const isString = f.schema.type === 'string' || f.schema.enum !== undefined;
      if (isString) {
        for (const [label, value] of UNICODE)
          unicode.push(entry('unicode', `${f.path}: ${label}`, op, (d) => setPath((d.body as { json: Record<string, unknown> }).json, f.path, value)));
        unicode.push(
          entry('unicode', `${f.path}: raw invalid UTF-8`, op, (d) => {
            const json = (d.body as { json: Record<string, unknown> }).json;
            setPath(json, f.path, '@@RAW@@');
            const [a, b] = JSON.stringify(json).split('"@@RAW@@"');
            d.body = {
              raw: Buffer.concat([
                Buffer.from(`${a}"`),
                Buffer.from([0xc3, 0x28, 0xa0, 0xa1, 0xed, 0xa0, 0x80, 0xf8, 0x88, 0x80, 0x80, 0x80]),
                Buffer.from(`"${b ?? ''}`),
              ]),
            };
          }),
        );
      }
      if (!f.path.includes('.')) {
        const upper = f.path.charAt(0).toUpperCase() + f.path.slice(1);
        const dup = (label: string, text: (v: string) => string) =>
          keys.push(
            entry('duplicate keys', `${f.path}: ${label}`, op, (d) => {
              const json = (d.body as { json: Record<string, unknown> }).json;
              const v = JSON.stringify(json[f.path] ?? 'x');
              const rest = JSON.stringify(Object.fromEntries(Object.entries(json).filter(([k]) => k !== f.path))).slice(1, -1);
              d.body = { raw: `{${text(v)}${rest ? `,${rest}` : ''}}` };
            }),
          );
        dup('twice, same value', (v) => `"${f.path}":${v},"${f.path}":${v}`);
        dup('twice, second a string', (v) => `"${f.path}":${v},"${f.path}":"other"`);
        dup('camel and Pascal case', (v) => `"${f.path}":${v},"${upper}":${v}`);
        dup('Pascal case only', (v) => `"${upper}":${v}`);
        dup('UPPER case only', (v) => `"${f.path.toUpperCase()}":${v}`);
        dup('with a NUL in the key', (v) => `"${f.path}\\u0000":${v}`);
      }
    }
    keys.push(
      entry('duplicate keys', 'unknown extra field', op, (d) =>
        setPath((d.body as { json: Record<string, unknown> }).json, 'zzUnknownField', { a: [1, 'b', null] }),
      ),
    );
  }
  cats.push(types, missing, unicode, keys);

  const contentTypes: Entry[] = [];
  for (const op of withBody) {
    for (const [label, type] of CONTENT_TYPES) {
      contentTypes.push(
        entry('content-type', label, op, (d) => {
          d.headers['content-type'] = type ?? '@@NONE@@';
          if (label === 'utf-16 charset' && d.body && 'json' in d.body) d.body = { raw: Buffer.from(JSON.stringify(d.body.json), 'utf16le') };
          if (label === 'form') d.body = { raw: 'date=2026-11-01&paymentAmount=1' };
        }),
      );
    }
  }
  cats.push(contentTypes);

  // another partner's ids: the answer must be the unknown id's answer (and never a 2xx)
  const foreign: Entry[] = [];
  for (const op of withIds.filter((x) => x.auth === 'partner')) {
    const variants: [string, (d: Draft) => void][] = [['as documented', () => undefined]];
    if (op.body) {
      variants.push(['with {}', (d) => void (d.body = { json: {} })]);
      variants.push(['with malformed JSON', (d) => void (d.body = { raw: '{"a":' })]);
      variants.push([
        'with a wrong type',
        (d) => void (d.body = { json: { ...(d.body && 'json' in d.body ? (d.body.json as object) : {}), [fieldsOf(op.body!)[0]?.path ?? 'a']: [] } }),
      ]);
      variants.push(['with depth 10,000', (d) => void (d.body = { raw: deep(10_000, '[', ']') })]);
    }
    if (op.query.length > 0) variants.push(['with a bad query value', (d) => void d.query.push(`${op.query[0]!.name}=maybe`)]);
    const params = op.pathParams.length > 1 ? [...op.pathParams, '*'] : ['*'];
    for (const [label, mutate] of variants) {
      for (const which of params) {
        foreign.push({
          category: 'foreign ids',
          label: `${which === '*' ? "another partner's ids" : `another partner's ${which}`} ${label}`,
          op,
          build: (fx, rng, n) => {
            const twin = (who: Who) => {
              const d = baseDraft(op, fx, 'self', rng, n, o.seed, o.webhookUrl);
              // one id foreign (or unknown), the others the caller's own; or all of them
              d.path = which === '*' ? resolvePath(op, fx, who, rng) : resolvePath(op, fx, 'self', rng, { [which]: paramValue(op, which, fx, who, rng) });
              if (d.headers['Idempotency-Key']) d.headers['Idempotency-Key'] = `fuzz-${o.seed}-${n}-${who}`;
              mutate(d);
              return { draft: d, who };
            };
            return [twin('other'), twin('unknown')];
          },
        });
      }
    }
  }
  cats.push(foreign);

  const badIds: Entry[] = [];
  for (const op of withIds) {
    for (const name of op.pathParams) {
      for (const [label, value] of BAD_IDS)
        badIds.push(entry('malformed ids', `${name} = ${label}`, op, (d, fx, rng) => void (d.path = resolvePath(op, fx, 'self', rng, { [name]: value }))));
    }
  }
  cats.push(badIds);

  const paths: Entry[] = [];
  for (const op of ops.filter((x) => x.auth !== 'operator')) {
    for (const [label] of spellings(op.template).slice(1))
      paths.push(entry('path spellings', label, op, (d) => void (d.path = spellings(d.path).find(([s]) => s === label)![1])));
  }
  cats.push(paths);

  const query: Entry[] = [];
  for (const op of ops) {
    for (const q of op.query) {
      for (const [label, value] of QUERY_VALUES) query.push(entry('query', `${q.name} = ${label}`, op, (d) => void d.query.push(`${q.name}=${value}`)));
      query.push(
        entry(
          'query',
          `${q.name} twice`,
          op,
          (d, fx) => void d.query.push(`${q.name}=${encodeURIComponent(String(validValue(q.schema, q.name, fx, o.webhookUrl)))}`, `${q.name}=x`),
        ),
      );
      query.push(entry('query', `${q.name} in other case`, op, (d) => void d.query.push(`${q.name.toUpperCase()}=x`)));
    }
    query.push(entry('query', 'unknown parameter', op, (d) => void d.query.push('zz=1')));
    query.push(entry('query', 'bare ?&=', op, (d) => void d.query.push('&=&')));
    query.push(entry('query', 'malformed percent-encoding', op, (d) => void d.query.push('%zz=%zz')));
    query.push(entry('query', '500 parameters', op, (d) => void d.query.push(...Array.from({ length: 500 }, (_, i) => `p${i}=${i}`))));
  }
  cats.push(query);

  const methods: Entry[] = [];
  const templates = [...new Set(ops.map((op) => op.template))];
  for (const t of templates) {
    const op = ops.find((x) => x.template === t)!;
    for (const method of ['PATCH', 'OPTIONS', 'TRACE', 'PROPFIND', 'HEAD']) methods.push(entry('methods', method, op, (d) => void (d.method = method)));
  }
  cats.push(methods);
  return cats;
}

// ---------------------------------------------------------------- state, for partial writes

type Snapshot = Record<string, string>;

function dbSnapshot(pool: pg.Pool, fx: () => Fixtures): () => Promise<Snapshot> {
  return async () => {
    const f = fx();
    const ids = [f.self.id, f.other.id];
    const { rows } = await pool.query<Snapshot>(
      `SELECT
         (SELECT count(*) FROM gateway.partners)::text AS partners,
         (SELECT count(*) FROM cases.cases)::text AS cases,
         (SELECT count(*) FROM ledger.accounts)::text AS accounts,
         (SELECT count(*) FROM ledger.invoices)::text AS invoices,
         (SELECT md5(coalesce(string_agg(concat_ws(':', id, case_id, amount, recipient, commission_status, date), ',' ORDER BY id), '')) FROM ledger.payments WHERE partner_id = ANY($1)) AS payments,
         (SELECT md5(coalesce(string_agg(concat_ws(':', case_id, lifecycle, close_code, total_payments, payment_count, gross_amount, total_fees, interest_fees, reminder_fees, collection_fees), ',' ORDER BY case_id), '')) FROM ledger.accounts WHERE partner_id = ANY($1)) AS "ledger accounts",
         (SELECT count(*) FROM ledger.journal WHERE case_id IN (SELECT case_id FROM ledger.accounts WHERE partner_id = ANY($1)))::text AS journal,
         (SELECT count(*) FROM ledger.audit WHERE case_id IN (SELECT case_id FROM ledger.accounts WHERE partner_id = ANY($1)))::text AS audit,
         (SELECT md5(coalesce(string_agg(concat_ws(':', id, url, events::text, is_active, is_test_mode, secret, disabled_reason), ',' ORDER BY id), '')) FROM cases.webhook_subscriptions WHERE partner_id = ANY($1)) AS webhooks,
         (SELECT md5(coalesce(string_agg(concat_ws(':', id, gross_amount, interest_fees, reminder_fees, collection_fees, tag, is_test, currency, success_fee_ppm), ',' ORDER BY id), '')) FROM cases.cases WHERE partner_id = ANY($1)) AS "case rows"`,
      [ids],
    );
    return rows[0]!;
  };
}

function apiSnapshot(get: (path: string, key: string) => Promise<{ status: number; json: unknown }>, fx: () => Fixtures): () => Promise<Snapshot> {
  return async () => {
    const f = fx();
    const out: Snapshot = {};
    for (const [who, p] of [
      ['self', f.self],
      ['other', f.other],
    ] as const) {
      const list = (await get('/cases?includeTestCases=true&PageSize=100', p.apiKey)).json as {
        page?: { totalResults?: number };
        cases?: { id: string; totalPayments: number; grossAmount: number; totalAddedFees: number }[];
      };
      out[`${who} cases`] = JSON.stringify([list.page?.totalResults, (list.cases ?? []).map((c) => [c.id, c.totalPayments, c.grossAmount, c.totalAddedFees])]);
      for (const caseId of [p.caseId, p.testCaseId]) {
        const payments = (await get(`/cases/${caseId}/payments`, p.apiKey)).json;
        out[`${who} payments of ${caseId}`] = JSON.stringify(
          Array.isArray(payments)
            ? payments.map((x: Record<string, unknown>) => [x.id, x.paymentAmount, x.paymentRecipient, x.commissionPaymentStatus, x.date])
            : payments,
        );
        const audit = (await get(`/cases/${caseId}/audit`, p.apiKey)).json;
        out[`${who} audit of ${caseId}`] = String(Array.isArray(audit) ? audit.length : JSON.stringify(audit));
      }
      const hooks = (await get('/webhooks', p.apiKey)).json;
      out[`${who} webhooks`] = JSON.stringify(
        Array.isArray(hooks)
          ? hooks.map((h: Record<string, unknown>) => [h.id, h.url, h.events, h.isActive, h.isTestMode, h.updatedUtc, h.disabledReason])
          : hooks,
      );
    }
    return out;
  };
}

const diff = (a: Snapshot, b: Snapshot) => Object.keys({ ...a, ...b }).filter((k) => a[k] !== b[k]);

// ---------------------------------------------------------------- checks of one answer

const excerpt = (s: string, n = 160) => {
  const j = JSON.stringify(s.length > n ? s.slice(0, n) : s);
  return s.length > n ? `${j}… (${s.length} chars)` : j;
};

function errorBodyProblem(status: number, method: string, text: string): string | undefined {
  if (status < 400 || method === 'HEAD') return undefined;
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    return 'not JSON';
  }
  if (status === 401 || status === 403) {
    return typeof body.type === 'string' && typeof body.title === 'string' && body.status === status && typeof body.detail === 'string'
      ? undefined
      : 'not an RFC 9457 {type,title,status,detail} body';
  }
  if (status === 429) return body.error === 'rate_limit_exceeded' && typeof body.retryAfter === 'number' ? undefined : 'not the §1 rate-limit body';
  const list = body.businessErrors;
  const ok =
    Array.isArray(list) &&
    list.length > 0 &&
    list.every((e: Record<string, unknown>) => typeof e?.type === 'string' && typeof e?.message === 'string') &&
    typeof body.error === 'string' &&
    typeof body.message === 'string';
  if (!ok) return 'not the §1 error body {businessErrors:[{type,message,field}],error,message}';
  if (status >= 500 && typeof body.errorId !== 'string') return 'a 5xx without errorId';
  return undefined;
}

function describeRequest(headers: Record<string, string | string[]>, body: Buffer | undefined, keys: Record<string, string>): string {
  // keys are shown by role, not value
  const key = (v: string) => keys[v] ?? excerpt(v, 60);
  const shown = Object.entries(headers)
    .filter(([k]) => k.toLowerCase() !== 'content-length')
    .map(([k, v]) => `${k}: ${Array.isArray(v) ? `[${v.map((x) => key(x)).join(', ')}]` : key(v)}`);
  if (shown.length > 8) shown.splice(8, shown.length - 8, `… ${Object.keys(headers).length - 8} more headers`);
  return `${shown.join('; ')}${body ? ` | body ${excerpt(body.toString('utf8'), 120)}` : ''}`;
}

// ---------------------------------------------------------------- the run

export async function runFuzz(o: FuzzOptions): Promise<FuzzReport> {
  const started = Date.now();
  let extra = 0;
  const call = async (method: string, path: string, key: string | undefined, body?: unknown): Promise<{ status: number; json: unknown; text: string }> => {
    extra += 1;
    const out = await rawRequest(o.baseUrl, {
      method,
      path,
      timeoutMs: 30_000,
      headers: { ...(key ? { XApiKey: key } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    if (out.kind !== 'answer') throw new Error(`${method} ${path}: ${out.kind === 'error' ? out.error : 'timed out'}`);
    let json: unknown;
    try {
      json = out.text ? JSON.parse(out.text) : undefined;
    } catch {
      json = out.text;
    }
    return { status: out.status, json, text: out.text };
  };
  const expectStatus = async (status: number, method: string, path: string, key: string | undefined, body?: unknown) => {
    const res = await call(method, path, key, body);
    if (res.status !== status) throw new Error(`fuzz setup: ${method} ${path}: expected ${status}, got ${res.status} ${res.text.slice(0, 300)}`);
    return res.json as Record<string, unknown>;
  };

  // ---- the document and the fixtures
  const doc = (await expectStatus(200, 'GET', '/openapi.json', undefined)) as unknown as OpenApiDoc;
  const ops = operationsOf(doc);
  const tag = `fuzz-${o.seed}`;
  const newPartner = async (name: string) =>
    expectStatus(201, 'POST', '/admin/partners', o.adminKey, { companyName: `${name} ${Date.now()}`, officeEmail: `${name.toLowerCase()}@example.test` });
  const makeCase = async (partnerId: string) =>
    (await expectStatus(201, 'POST', '/admin/cases', o.adminKey, { partnerId, currency: 'EUR', grossAmount: 1_000_000, successFee: 20 })).id as string;
  const makeTestCase = async (key: string) =>
    (
      await expectStatus(200, 'POST', '/managed-cases', key, {
        isTest: true,
        currencyCode: 'EUR',
        amountToRecover: 1000,
        date: '2026-11-01',
        creditorCompanyName: 'Fuzz Creditor',
        debtor: { type: 'Person', name: 'Fuzz Debtor' },
        tag,
      })
    ).id as string;
  const makePayment = async (key: string, caseId: string, body: Record<string, unknown>) =>
    (await expectStatus(200, 'POST', `/cases/${caseId}/payments`, key, { date: '2026-11-01', paymentAmount: 10, ...body })).paymentId as string;
  const makeWebhook = async (key: string) =>
    (await expectStatus(201, 'POST', '/webhooks', key, { url: o.webhookUrl, events: ['payment.created', 'case.updated'] })).id as string;
  const partnerFx = async (name: string): Promise<PartnerFx> => {
    const p = await newPartner(name);
    const key = p.apiKey as string;
    const caseId = await makeCase(p.id as string);
    const webhookId = await makeWebhook(key);
    return {
      id: p.id as string,
      apiKey: key,
      caseId,
      testCaseId: await makeTestCase(key),
      paymentId: await makePayment(key, caseId, { paymentRecipient: 'CollectionPartner' }),
      unpaidPaymentId: await makePayment(key, caseId, { paymentRecipient: 'Creditor', commissionPaymentStatus: 'Unpaid' }),
      webhookId,
      eventId: undefined,
    };
  };
  const fx: Fixtures = {
    self: await partnerFx('FuzzSelf'),
    other: await partnerFx('FuzzOther'),
    bystander: { id: (await newPartner('FuzzBystander')).id as string },
  };
  // event ids for /webhooks/events/{id}/replay come from the delivery log, filled asynchronously
  for (let i = 0; i < 50 && (!fx.self.eventId || !fx.other.eventId); i++) {
    for (const p of [fx.self, fx.other]) {
      const events = (await call('GET', '/webhooks/events', p.apiKey)).json;
      if (Array.isArray(events) && events.length > 0) p.eventId = (events[0] as { id: string }).id;
    }
    if (!fx.self.eventId || !fx.other.eventId) await new Promise((resolve) => setTimeout(resolve, 200));
  }

  /** After a write answered 2xx: the fixtures that it used up (deleted, closed) are made again. */
  const repair = async () => {
    for (const p of [fx.self, fx.other]) {
      const c = await call('GET', `/cases/${p.caseId}`, p.apiKey);
      if (c.status !== 200 || (c.json as { lifecycle?: string }).lifecycle !== 'Active') {
        p.caseId = await makeCase(p.id);
        p.paymentId = await makePayment(p.apiKey, p.caseId, { paymentRecipient: 'CollectionPartner' });
        p.unpaidPaymentId = await makePayment(p.apiKey, p.caseId, { paymentRecipient: 'Creditor', commissionPaymentStatus: 'Unpaid' });
      }
      const payments = (await call('GET', `/cases/${p.caseId}/payments`, p.apiKey)).json;
      const live = new Set(Array.isArray(payments) ? payments.map((x: { id: string }) => x.id) : []);
      if (!live.has(p.paymentId)) p.paymentId = await makePayment(p.apiKey, p.caseId, { paymentRecipient: 'CollectionPartner' });
      if (!live.has(p.unpaidPaymentId))
        p.unpaidPaymentId = await makePayment(p.apiKey, p.caseId, { paymentRecipient: 'Creditor', commissionPaymentStatus: 'Unpaid' });
      if ((await call('GET', `/cases/${p.testCaseId}`, p.apiKey)).status !== 200) p.testCaseId = await makeTestCase(p.apiKey);
      if ((await call('GET', `/webhooks/${p.webhookId}`, p.apiKey)).status !== 200) p.webhookId = await makeWebhook(p.apiKey);
    }
  };

  const pool = o.databaseUrl ? new pg.Pool({ connectionString: o.databaseUrl, max: 2 }) : undefined;
  const snapshot = pool
    ? dbSnapshot(pool, () => fx)
    : apiSnapshot(
        async (path, key) => {
          const r = await call('GET', path, key);
          return { status: r.status, json: r.json };
        },
        () => fx,
      );

  // ---- the sequence: the catalogue's categories in turn (each shuffled by the seed), then random picks
  const rng = new Rng(o.seed);
  const cats = catalogue(ops, o).map((list) => shuffle(list, rng.fork(list.length)));
  const pick = rng.fork(7);
  const cursor = cats.map(() => 0);
  let turn = 0;
  const nextEntry = (): Entry => {
    for (let tries = 0; tries < cats.length; tries++) {
      const c = turn++ % cats.length;
      if (cursor[c]! < cats[c]!.length) return cats[c]![cursor[c]!++]!;
    }
    const list = pick.pick(cats.filter((c) => c.length > 0));
    return pick.pick(list);
  };

  const statuses: Record<string, number> = {};
  const findings: FuzzFinding[] = [];
  const roles = (): Record<string, string> => ({
    [o.adminKey]: '<operator key>',
    [fx.self.apiKey]: '<partner key>',
    [fx.other.apiKey]: "<another partner's key>",
  });
  const counts = Object.fromEntries(FINDING_KINDS.map((k) => [k, 0])) as Record<FindingKind, number>;
  let sent = 0;
  let skipped = 0;
  let state = await snapshot();
  const only = o.only && o.only.length > 0 ? new Set(o.only) : undefined;
  const total = only ? Math.max(...only) + 1 : o.requests;
  const catalogueSize = cats.reduce((s, c) => s + c.length, 0);
  o.log(
    `${o.mode}: ${ops.length} operations in /openapi.json, ${catalogueSize} catalogue entries in ${cats.length} categories; sending ${only ? `only ${[...only].join(', ')}` : total} (seed ${o.seed})`,
  );

  let n = 0;
  while (n < total && Date.now() - started < o.timeLimitMs) {
    const e = nextEntry();
    const reqRng = rng.fork(n + 1000);
    const requests = e.build(fx, reqRng, n);
    const answers: { who: Who; out: RawOutcome; draft: Draft }[] = [];
    const first = n;
    for (const { draft, who } of requests) {
      n += 1;
      if (only && !only.has(first)) continue;
      const { headers, body } = wire(draft, fx, o.adminKey);
      const out = await rawRequest(o.baseUrl, {
        method: draft.method,
        path: draft.path + (draft.query.length ? `?${draft.query.join('&')}` : ''),
        headers,
        timeoutMs: o.requestTimeoutMs,
        ...(body ? { body } : {}),
      });
      if (out.kind === 'error' && out.error.startsWith('not sendable')) {
        skipped += 1;
        continue;
      }
      sent += 1;
      answers.push({ who, out, draft });
      const status = out.kind === 'answer' ? out.status : out.kind;
      statuses[String(status)] = (statuses[String(status)] ?? 0) + 1;
      const fullPath = draft.path + (draft.query.length ? `?${draft.query.join('&')}` : '');
      const finding = (kind: FindingKind, detail: string) => {
        counts[kind] += 1;
        findings.push({
          kind,
          n: first,
          category: e.category,
          label: `${e.op.id}: ${e.label}${requests.length > 1 ? ` (${who})` : ''}`,
          method: draft.method,
          path: fullPath,
          status,
          request: describeRequest(headers, body, roles()),
          answer: out.kind === 'answer' ? excerpt(out.text, 200) : out.kind === 'error' ? out.error : `no answer in ${o.requestTimeoutMs} ms`,
          detail,
        });
      };
      if (out.kind !== 'answer')
        finding('hang', out.kind === 'timeout' ? `no answer within ${o.requestTimeoutMs} ms` : `connection failed without an answer: ${out.error}`);
      else {
        if (out.status >= 500) finding('5xx', `answered ${out.status}`);
        const problem = errorBodyProblem(out.status, draft.method, out.text);
        if (problem) finding('error body', `${out.status}: ${problem}`);
        if (e.adminProbe && out.status >= 200 && out.status < 300)
          finding('admin bypass', `${draft.key === 'none' ? 'no key' : 'a partner key'} reached ${e.op.method} ${e.op.template} with ${out.status}`);
      }
      // a write that did not answer 2xx must leave everything as it was
      if (!['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PROPFIND'].includes(draft.method)) {
        const accepted = out.kind === 'answer' && out.status >= 200 && out.status < 300;
        if (accepted) {
          await repair();
          state = await snapshot();
        } else {
          const after = await snapshot();
          const changed = diff(state, after);
          if (changed.length > 0) finding('partial write', `answered ${status} but changed: ${changed.join(', ')}`);
          state = after;
          const key = headers['Idempotency-Key'];
          if (pool && out.kind === 'answer' && out.status === 400 && typeof key === 'string' && draft.key === 'self') {
            const { rows } = await pool.query('SELECT state FROM gateway.idempotency_keys WHERE partner_id = $1 AND key = $2', [fx.self.id, key]);
            if (rows.length > 0) finding('partial write', `a 400 kept its Idempotency-Key (${rows[0].state}): §4.2 says 400 answers are not stored`);
          }
        }
      }
    }
    // another partner's id answers exactly like an unknown one, and never 2xx
    if (answers.length === 2 && e.category === 'foreign ids') {
      const [f, u] = answers as [(typeof answers)[number], (typeof answers)[number]];
      const sig = (a: RawOutcome) => {
        if (a.kind !== 'answer') return a.kind;
        let type = '';
        try {
          type = a.text ? String((JSON.parse(a.text) as { error?: string }).error ?? '') : '(empty body)';
        } catch {
          type = '(not JSON)';
        }
        return `${a.status} ${type}`;
      };
      const fs = sig(f.out);
      const us = sig(u.out);
      const foreignOk = f.out.kind === 'answer' && !(f.out.status >= 200 && f.out.status < 300);
      if (!foreignOk || fs !== us) {
        counts['foreign id'] += 1;
        const { headers, body } = wire(f.draft, fx, o.adminKey);
        findings.push({
          kind: 'foreign id',
          n: first,
          category: e.category,
          label: `${e.op.id}: ${e.label}`,
          method: f.draft.method,
          path: f.draft.path + (f.draft.query.length ? `?${f.draft.query.join('&')}` : ''),
          status: f.out.kind === 'answer' ? f.out.status : f.out.kind,
          request: describeRequest(headers, body, roles()),
          answer: f.out.kind === 'answer' ? excerpt(f.out.text, 200) : f.out.kind,
          detail: `another partner's id answered "${fs}", an unknown id "${us}"${foreignOk ? '' : ' (SPEC §1: what is not theirs answers 404)'}`,
        });
      }
    }
  }
  await pool?.end();
  const ms = Date.now() - started;
  const ok = FINDING_KINDS.every((k) => counts[k] === 0);
  const lines = reportLines(o, { sent, extra, skipped, ms, operations: ops.length, statuses, counts, findings });
  return { ok, mode: o.mode, sent, extra, skipped, ms, operations: ops.length, statuses, counts, findings, lines };
}

/** The request's final headers and bytes: the key it speaks with, Content-Type for a body unless removed. */
function wire(d: Draft, fx: Fixtures, adminKey: string): { headers: Record<string, string | string[]>; body: Buffer | undefined } {
  const headers: Record<string, string | string[]> = {};
  if (d.key === 'self') headers.XApiKey = fx.self.apiKey;
  if (d.key === 'other') headers.XApiKey = fx.other.apiKey;
  if (d.key === 'admin') headers.XApiKey = adminKey;
  const body =
    d.body === undefined
      ? undefined
      : 'raw' in d.body
        ? Buffer.isBuffer(d.body.raw)
          ? d.body.raw
          : Buffer.from(d.body.raw, 'utf8')
        : Buffer.from(JSON.stringify(d.body.json) ?? '', 'utf8');
  if (body !== undefined) headers['content-type'] = 'application/json';
  for (const [k, v] of Object.entries(d.headers)) {
    if (k === 'content-type') {
      if (v === '@@NONE@@') delete headers['content-type'];
      else headers['content-type'] = v;
    } else headers[k] = v;
  }
  return { headers, body };
}

function shuffle<T>(items: T[], rng: Rng): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = rng.int(0, i);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

function reportLines(o: FuzzOptions, r: Pick<FuzzReport, 'sent' | 'extra' | 'skipped' | 'ms' | 'operations' | 'statuses' | 'counts' | 'findings'>): string[] {
  const byStatus = Object.entries(r.statuses)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([s, n]) => `${s}: ${n}`)
    .join(', ');
  const lines = [
    `fuzz (${o.mode}, seed ${o.seed}): ${r.sent} requests sent over ${r.operations} operations in ${(r.ms / 1000).toFixed(1)} s (+${r.extra} for setup and state reads; ${r.skipped} not sendable by Node's client)`,
    `answers: ${byStatus}`,
    `5xx ${r.counts['5xx']}`,
    `hangs ${r.counts.hang} (no answer within ${o.requestTimeoutMs / 1000} s, or the connection dropped)`,
    `partial writes ${r.counts['partial write']}`,
    `admin bypass ${r.counts['admin bypass']}`,
    `off-contract error bodies ${r.counts['error body']}`,
    `foreign ids not answered like unknown ones ${r.counts['foreign id']}`,
  ];
  const shown = new Map<string, number>();
  for (const f of r.findings) {
    const k = `${f.kind}|${f.category}|${f.label.replace(/^[^:]*: /, '')}|${f.status}`;
    shown.set(k, (shown.get(k) ?? 0) + 1);
    // one line per kind of defect and input: the same defect on 30 operations is shown 3 times
    if (shown.get(k)! > 3) continue;
    lines.push(`  [${f.kind}] #${f.n} ${f.method} ${excerpt(f.path, 150)} → ${f.status}: ${f.detail}`);
    lines.push(`      ${f.label} | ${f.request}`);
    lines.push(`      answer ${f.answer}`);
  }
  const hidden = [...shown.values()].reduce((s, v) => s + Math.max(0, v - 3), 0);
  if (hidden > 0) lines.push(`  (${hidden} more findings like the ones above; FUZZ_ONLY=<#> with FUZZ_SEED=${o.seed} sends one again)`);
  else if (r.findings.length > 0) lines.push(`  (FUZZ_ONLY=<#> with FUZZ_SEED=${o.seed} sends one again)`);
  return lines;
}
