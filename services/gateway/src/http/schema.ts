// Declarative request fields: each endpoint's body and query is declared once as a shape (field name →
// kind and options). A shape drives the validation, through the `Fields` checks of ./body (so messages,
// field names and types stay those of the contract), and is turned into the JSON Schema (2020-12, as
// OpenAPI 3.1 uses it) that ./openapi publishes. Rules across fields stay code next to the handler; the
// operation's description in ./api says what they are.
import { isCurrency, MAX_MAJOR_AMOUNT, parseRate, type Minor, type Ppm } from '@pp/domain';
import { Fields, parseDate, UUID } from './body';

export type JsonSchema = { [keyword: string]: unknown };

/** What every kind can carry for the documentation only. */
export interface Doc {
  readonly description?: string;
  readonly examples?: readonly unknown[];
  /** Extra JSON Schema keywords for a rule the handler enforces in code (documented, not checked here). */
  readonly schema?: JsonSchema;
  /** Other names the parameter is accepted under (query parameters: `page` for `Page`). */
  readonly aliases?: readonly string[];
  /** The client must send it, by a rule the handler enforces (e.g. isTest must be true). */
  readonly documentRequired?: boolean;
}

type Kind =
  // ---- JSON body fields (checked by the Fields methods of the same name)
  | { readonly kind: 'string'; readonly required?: boolean; readonly max?: number; readonly min?: number; readonly pattern?: RegExp }
  | { readonly kind: 'email'; readonly required?: boolean }
  | { readonly kind: 'uuid'; readonly required?: boolean }
  | { readonly kind: 'date'; readonly required?: boolean }
  | { readonly kind: 'currency'; readonly required?: boolean }
  | { readonly kind: 'boolean'; readonly default: boolean | undefined }
  | { readonly kind: 'oneOf'; readonly values: readonly string[]; readonly required?: boolean; readonly default?: string }
  | { readonly kind: 'listOf'; readonly values: readonly string[]; readonly required?: boolean }
  | { readonly kind: 'number'; readonly required?: boolean; readonly min?: number; readonly max?: number; readonly integer?: boolean }
  | { readonly kind: 'rate'; readonly unit: 1 | 100; readonly max: number; readonly required?: boolean; readonly default?: number; readonly invalid: string }
  | { readonly kind: 'money'; readonly required?: boolean; readonly positive?: boolean; readonly default?: 0 }
  | { readonly kind: 'object'; readonly required?: boolean; readonly fields: Shape }
  | { readonly kind: 'timestamp' }
  // ---- query-string parameters: a string, an array when repeated, absent otherwise
  | { readonly kind: 'query.int'; readonly min: number; readonly max: number; readonly default: number; readonly digits: number }
  | { readonly kind: 'query.boolean' }
  | { readonly kind: 'query.list'; readonly values: readonly string[]; readonly label: string }
  | { readonly kind: 'query.uuid' }
  | { readonly kind: 'query.uuids'; readonly max: number }
  | { readonly kind: 'query.oneOf'; readonly values: readonly string[] }
  | { readonly kind: 'query.date' }
  | { readonly kind: 'query.amount' };

declare const VALUE: unique symbol;

/** A declared field; `V` is what reading it gives the handler. */
export type FieldSpec<V = unknown> = Kind & Doc & { readonly [VALUE]?: V };
export type Shape = { readonly [name: string]: FieldSpec };
export type ValueOf<S> = S extends { readonly [VALUE]?: infer V } ? V : never;
export type Values<S extends Shape> = { -readonly [K in keyof S]: ValueOf<S[K]> };

const spec = <V>(k: Kind & Doc): FieldSpec<V> => k as FieldSpec<V>;

type Req = { readonly required?: boolean };

function oneOf<T extends string>(values: readonly T[], o: { readonly default: T } & Doc): FieldSpec<T>;
function oneOf<T extends string>(values: readonly T[], o?: Req & Doc): FieldSpec<T | undefined>;
function oneOf<T extends string>(values: readonly T[], o: Req & { readonly default?: T } & Doc = {}): FieldSpec<T | undefined> {
  return spec({ kind: 'oneOf', values, ...o });
}

/** true or false; absent → `fallback` (undefined: absent stays absent, for a change of only what is sent). */
function boolean(fallback: boolean, o?: Doc): FieldSpec<boolean>;
function boolean(fallback: undefined, o?: Doc): FieldSpec<boolean | undefined>;
function boolean(fallback: boolean | undefined, o: Doc = {}): FieldSpec<boolean | undefined> {
  return spec({ kind: 'boolean', default: fallback, ...o });
}

function money(o: { readonly default: 0; readonly positive?: boolean } & Doc): FieldSpec<Minor>;
function money(o?: Req & { readonly positive?: boolean } & Doc): FieldSpec<Minor | undefined>;
function money(o: Req & { readonly positive?: boolean; readonly default?: 0 } & Doc = {}): FieldSpec<Minor | undefined> {
  return spec({ kind: 'money', ...o });
}

/** The field kinds. Body kinds read JSON values; `query.*` kinds read query-string parameters. */
export const t = {
  string: (o: Req & { readonly max?: number; readonly min?: number; readonly pattern?: RegExp } & Doc = {}) =>
    spec<string | undefined>({ kind: 'string', ...o }),
  email: (o: Req & Doc = {}) => spec<string | undefined>({ kind: 'email', ...o }),
  uuid: (o: Req & Doc = {}) => spec<string | undefined>({ kind: 'uuid', ...o }),
  /** YYYY-MM-DD, or an ISO date-time cut to its date. */
  date: (o: Req & Doc = {}) => spec<string | undefined>({ kind: 'date', ...o }),
  /** An ISO 4217 code, three capital letters. */
  currency: (o: Req & Doc = {}) => spec<string | undefined>({ kind: 'currency', ...o }),
  boolean,
  oneOf,
  /** A non-empty array of distinct known values (duplicates are dropped). */
  listOf: <T extends string>(values: readonly T[], o: Req & Doc = {}) => spec<T[] | undefined>({ kind: 'listOf', values, ...o }),
  number: (o: Req & { readonly min?: number; readonly max?: number; readonly integer?: boolean } & Doc = {}) =>
    spec<number | undefined>({ kind: 'number', ...o }),
  /** A percent (unit 100) or fraction (unit 1) in [0, max], read into parts per million; `invalid` when it has more precision. */
  rate: (o: { readonly unit: 1 | 100; readonly max: number; readonly invalid: string; readonly default?: number } & Req & Doc) =>
    spec<Ppm | undefined>({ kind: 'rate', ...o }),
  /** Money in major units with the digits of the currency given when reading (ISO 4217). */
  money,
  object: <S extends Shape>(fields: S, o: Req & Doc = {}) => spec<Values<S> | undefined>({ kind: 'object', fields, ...o }),
  /** An ISO 8601 date or timestamp (query `since`). */
  timestamp: (o: Doc = {}) => spec<Date | undefined>({ kind: 'timestamp', ...o }),
  query: {
    /** Digits only, in [min, max]; absent or empty → the default. */
    int: (o: { readonly min: number; readonly max: number; readonly default: number; readonly digits: number } & Doc) =>
      spec<number>({ kind: 'query.int', ...o }),
    /** `true` or `false`; absent → false. */
    boolean: (o: Doc = {}) => spec<boolean>({ kind: 'query.boolean', ...o }),
    /** Repeatable, and each value may be a comma list; every entry one of `values`. */
    list: <T extends string>(values: readonly T[], o: { readonly label: string } & Doc) => spec<T[]>({ kind: 'query.list', values, ...o }),
    /** A UUID, or '' when absent. */
    uuid: (o: Doc = {}) => spec<string>({ kind: 'query.uuid', ...o }),
    /** UUIDs, repeatable and each value a comma list, at most `max` of them; lower-cased, duplicates dropped. */
    uuids: (o: { readonly max: number } & Doc) => spec<string[]>({ kind: 'query.uuids', ...o }),
    /** One of `values`, or '' when absent. */
    oneOf: <T extends string>(values: readonly T[], o: Doc = {}) => spec<T | ''>({ kind: 'query.oneOf', values, ...o }),
    date: (o: Doc = {}) => spec<string | undefined>({ kind: 'query.date', ...o }),
    /** A non-negative amount in major units of the currency given when reading. */
    amount: (o: Doc = {}) => spec<Minor | undefined>({ kind: 'query.amount', ...o }),
  },
};

export interface ReadContext {
  /** The currency of `money` and `query.amount` fields. */
  readonly currency?: string;
  /** Required in this request although optional in general (a rule across fields, e.g. amount for to=Closed:Paid). */
  readonly required?: boolean;
}

/**
 * Reads the declared fields of one request body or query, one at a time in the handler's order (some
 * need a currency known only after other fields or a lookup), collecting problems in `fields` until
 * `check()`. With `failFast`, the first problem answers at once.
 */
export class Reader<S extends Shape> {
  readonly fields: Fields;

  constructor(
    readonly shape: S,
    input: unknown,
    private readonly options: { readonly failFast?: boolean } = {},
  ) {
    this.fields = input instanceof Fields ? input : new Fields(withAliases(shape, input));
  }

  get<K extends keyof S & string>(name: K, ctx: ReadContext = {}): ValueOf<S[K]> {
    const field = this.shape[name];
    if (!field) throw new Error(`field ${name} is not declared`);
    const value = readField(this.fields, name, field, ctx);
    if (this.options.failFast) this.fields.check();
    return value as ValueOf<S[K]>;
  }

  /** Every declared field not read yet, in declaration order. */
  rest(ctx: ReadContext = {}, skip: readonly (keyof S & string)[] = []): Partial<Values<S>> {
    const out: Record<string, unknown> = {};
    for (const name of Object.keys(this.shape)) if (!skip.includes(name)) out[name] = this.get(name, ctx);
    return out as Partial<Values<S>>;
  }

  has(name: keyof S & string): boolean {
    return this.fields.has(name);
  }

  /** A rule across fields, with the message format of every other problem. */
  problem(name: keyof S & string, message: string): void {
    this.fields.problem(name, message);
  }

  check(): void {
    this.fields.check();
  }
}

/**
 * A request body as the original API reads it: property names in any case (ASP.NET's JSON binding is
 * case-insensitive), so `{"Events": […], "IsActive": false}` is `{"events": […], "isActive": false}`.
 * A declared field missing under its own name takes the value of a key that differs only in case. One
 * field sent in two spellings (`{"isActive": true, "IsActive": false}`) is ambiguous: its path goes to
 * `duplicates`, and the request answers 400 (SPEC §10). Nested objects of the shape are read the same way.
 */
export function anyCaseBody(shape: Shape, input: unknown, duplicates: string[] = [], prefix = ''): unknown {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) return input;
  const raw = input as Record<string, unknown>;
  const byLowerCase = new Map<string, string[]>();
  for (const key of Object.keys(raw)) byLowerCase.set(key.toLowerCase(), [...(byLowerCase.get(key.toLowerCase()) ?? []), key]);
  const out: Record<string, unknown> = { ...raw };
  for (const [name, spec] of Object.entries(shape)) {
    for (const spelling of [name, ...(spec.aliases ?? [])]) {
      const sent = byLowerCase.get(spelling.toLowerCase()) ?? [];
      if (sent.length > 1) duplicates.push(`${prefix}${spelling}`);
      if (sent.length === 1 && (!Object.hasOwn(out, spelling) || out[spelling] === undefined)) out[spelling] = raw[sent[0]!];
    }
    if (spec.kind === 'object' && out[name] !== undefined) out[name] = anyCaseBody(spec.fields, out[name], duplicates, `${prefix}${name}.`);
  }
  return out;
}

function withAliases(shape: Shape, input: unknown): unknown {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) return input;
  const aliased = Object.entries(shape).filter(([, s]) => s.aliases?.length);
  if (aliased.length === 0) return input;
  const raw = input as Record<string, unknown>;
  const out: Record<string, unknown> = { ...raw };
  for (const [name, s] of aliased) out[name] = [name, ...(s.aliases ?? [])].map((n) => raw[n]).find((v) => v !== undefined && v !== null);
  return out;
}

/** A list parameter's entries: repeatable, and each value may be a comma list; blanks dropped. */
function listParts(v: unknown): string[] {
  if (v === undefined) return [];
  return (Array.isArray(v) ? v : [v])
    .flatMap((x) => String(x).split(','))
    .map((x) => x.trim())
    .filter(Boolean);
}

function needCurrency(name: string, ctx: ReadContext): string {
  if (!ctx.currency) throw new Error(`${name}: reading money needs the currency`);
  return ctx.currency;
}

function readField(f: Fields, name: string, s: FieldSpec, ctx: ReadContext): unknown {
  const required = ctx.required ?? ('required' in s && s.required === true);
  switch (s.kind) {
    case 'string':
      return f.string(name, {
        required,
        ...(s.max !== undefined ? { max: s.max } : {}),
        ...(s.min !== undefined ? { min: s.min } : {}),
        ...(s.pattern ? { pattern: s.pattern } : {}),
      });
    case 'email':
      return f.email(name, required);
    case 'uuid':
      return f.uuid(name, required);
    case 'date':
      return f.date(name, required);
    case 'currency': {
      const v = f.string(name, { required, max: 3 });
      if (v !== undefined && !isCurrency(v)) f.problem(name, 'must be an ISO 4217 currency code');
      return v;
    }
    case 'boolean':
      return f.boolean(name, s.default);
    case 'oneOf':
      return f.oneOf(name, s.values, required) ?? s.default;
    case 'listOf':
      return f.listOf(name, s.values, required);
    case 'number':
      return f.number(name, {
        required,
        ...(s.min !== undefined ? { min: s.min } : {}),
        ...(s.max !== undefined ? { max: s.max } : {}),
        ...(s.integer ? { integer: true } : {}),
      });
    case 'rate': {
      const sent = f.has(name);
      const n = f.number(name, { required: required && s.default === undefined, min: 0, max: s.max }) ?? (sent ? undefined : s.default);
      if (n === undefined) return undefined;
      const ppm = parseRate(n, s.unit, s.max);
      if (ppm === undefined && f.problems.every((p) => p.field !== name)) f.problem(name, s.invalid);
      return ppm;
    }
    case 'money': {
      const v = f.money(name, needCurrency(name, ctx), { required, ...(s.positive ? { positive: true } : {}) });
      return v ?? (s.default === 0 ? 0n : undefined);
    }
    case 'object': {
      const nested = f.object(name, required);
      if (!nested) return undefined;
      const values: Record<string, unknown> = {};
      for (const [key, inner] of Object.entries(s.fields)) values[key] = readField(nested, key, inner, { ...(ctx.currency ? { currency: ctx.currency } : {}) });
      f.merge(nested);
      return values;
    }
    case 'timestamp': {
      const text = f.string(name, { max: 40 });
      const at = text === undefined ? undefined : new Date(text);
      if (at !== undefined && (Number.isNaN(at.getTime()) || !/^\d{4}-\d{2}-\d{2}/.test(text ?? ''))) {
        f.problem(name, 'must be an ISO 8601 date or timestamp');
        return undefined;
      }
      return at;
    }
    case 'query.int': {
      const v = f.value(name);
      if (v === undefined || v === '') return s.default;
      const n = typeof v === 'string' && new RegExp(`^\\d{1,${s.digits}}$`).test(v) ? Number(v) : NaN;
      if (!Number.isInteger(n) || n < s.min || n > s.max) {
        f.problem(name, `must be an integer between ${s.min} and ${s.max}`);
        return s.default;
      }
      return n;
    }
    case 'query.boolean': {
      const v = f.value(name);
      if (v !== undefined && v !== 'true' && v !== 'false') f.problem(name, 'must be true or false');
      return v === 'true';
    }
    case 'query.list': {
      const parts = listParts(f.value(name));
      const unknown = parts.filter((x) => !s.values.includes(x));
      if (unknown.length > 0) f.problem(name, `unknown ${s.label} ${unknown.join(', ')}`);
      return parts;
    }
    case 'query.uuid': {
      const v = f.value(name);
      const text = typeof v === 'string' ? v : '';
      if (text && !UUID.test(text)) f.problem(name, 'must be a UUID');
      return text;
    }
    case 'query.uuids': {
      const parts = listParts(f.value(name));
      if (parts.some((x) => !UUID.test(x))) f.problem(name, 'must be UUIDs (repeat the parameter or send a comma-separated list)');
      else if (new Set(parts).size > s.max) f.problem(name, `must name at most ${s.max} ids`);
      return [...new Set(parts.map((x) => x.toLowerCase()))];
    }
    case 'query.oneOf': {
      const v = f.value(name);
      const text = typeof v === 'string' ? v : '';
      if (Array.isArray(v)) f.problem(name, 'must be given once');
      else if (text && !s.values.includes(text)) f.problem(name, `must be one of ${s.values.join(', ')}`);
      return text;
    }
    case 'query.date': {
      const v = f.value(name);
      const date = typeof v === 'string' ? parseDate(v) : undefined;
      if (v !== undefined && !date) f.problem(name, 'must be a date (YYYY-MM-DD)');
      return date;
    }
    case 'query.amount': {
      const v = f.value(name);
      if (v === undefined) return undefined;
      const parsed = new Fields({ [name]: Number(v) }).money(name, needCurrency(name, ctx), {});
      if (typeof v !== 'string' || !/^\d{1,13}(\.\d+)?$/.test(v) || parsed === undefined) {
        f.problem(name, 'must be a non-negative amount');
        return undefined;
      }
      return parsed;
    }
    default:
      return assertNeverKind(s);
  }
}

function assertNeverKind(s: never): never {
  throw new Error(`unknown field kind ${JSON.stringify(s)}`);
}

// ---- JSON Schema (2020-12)

const DEFAULT_MAX_STRING = 2000;
const MONEY_TEXT = 'Major units of the case currency (1250.5 = 1,250.50), with at most its ISO 4217 digits (EUR 2, JPY 0, KWD 3).';

/** The JSON Schema of one field. */
export function fieldSchema(s: FieldSpec): JsonSchema {
  const out = { ...baseSchema(s) };
  const notes = [s.description, out.description].filter(Boolean);
  if (s.aliases?.length) notes.push(`Also accepted as ${s.aliases.map((a) => `\`${a}\``).join(', ')}.`);
  delete out.description;
  const merged: JsonSchema = {
    ...(notes.length > 0 ? { description: notes.join(' ') } : {}),
    ...out,
    ...(s.examples ? { examples: [...s.examples] } : {}),
    ...(s.schema ?? {}),
  };
  // `schema` may unset a generated keyword with undefined (a default that a rule makes meaningless)
  return Object.fromEntries(Object.entries(merged).filter(([, v]) => v !== undefined));
}

function baseSchema(s: FieldSpec): JsonSchema {
  const required = 'required' in s && s.required === true;
  switch (s.kind) {
    case 'string':
      return {
        type: 'string',
        ...(required || s.min ? { minLength: s.min ?? 1 } : {}),
        maxLength: s.max ?? DEFAULT_MAX_STRING,
        ...(s.pattern ? { pattern: s.pattern.source } : {}),
        ...(required ? { description: 'Must not be blank.' } : {}),
      };
    case 'email':
      return { type: 'string', format: 'email', maxLength: 320 };
    case 'uuid':
    case 'query.uuid':
      return { type: 'string', format: 'uuid' };
    case 'query.uuids':
      return {
        type: 'array',
        items: { type: 'string', format: 'uuid' },
        maxItems: s.max,
        description: 'Repeat the parameter, or send a comma-separated list.',
      };
    case 'date':
    case 'query.date':
      return {
        type: 'string',
        pattern: '^\\d{4}-\\d{2}-\\d{2}',
        maxLength: 40,
        description: 'A calendar date YYYY-MM-DD; a full ISO 8601 date-time is accepted and cut to its date.',
        examples: ['2026-11-01'],
      };
    case 'currency':
      return { type: 'string', pattern: '^[A-Z]{3}$', description: 'An ISO 4217 currency code.', examples: ['EUR'] };
    case 'boolean':
      return { type: 'boolean', ...(s.default !== undefined ? { default: s.default } : {}) };
    case 'oneOf':
      return { type: 'string', enum: [...s.values], ...(s.default !== undefined ? { default: s.default } : {}) };
    case 'listOf':
      return {
        type: 'array',
        items: { type: 'string', enum: [...s.values] },
        minItems: 1,
        maxItems: s.values.length * 4,
        description: 'Duplicates are ignored.',
      };
    case 'number':
      return { type: s.integer ? 'integer' : 'number', ...(s.min !== undefined ? { minimum: s.min } : {}), ...(s.max !== undefined ? { maximum: s.max } : {}) };
    case 'rate': {
      const decimals = s.unit === 100 ? 4 : 6;
      return {
        type: 'number',
        minimum: 0,
        maximum: s.max,
        ...(s.default !== undefined ? { default: s.default } : {}),
        description: `At most ${decimals} decimals.`,
      };
    }
    case 'money':
      return {
        type: 'number',
        ...(s.positive ? { exclusiveMinimum: 0 } : { minimum: 0 }),
        maximum: MAX_MAJOR_AMOUNT,
        ...(s.default !== undefined ? { default: s.default } : {}),
        description: s.positive ? `${MONEY_TEXT} At least one minor unit.` : MONEY_TEXT,
      };
    case 'object':
      return objectSchema(s.fields);
    case 'timestamp':
      return {
        type: 'string',
        maxLength: 40,
        pattern: '^\\d{4}-\\d{2}-\\d{2}',
        description: 'An ISO 8601 date or timestamp.',
        examples: ['2026-11-01T00:00:00Z'],
      };
    case 'query.int':
      return { type: 'integer', minimum: s.min, maximum: s.max, default: s.default };
    case 'query.boolean':
      return { type: 'boolean', default: false };
    case 'query.list':
      return { type: 'array', items: { type: 'string', enum: [...s.values] }, description: 'Repeat the parameter, or send a comma-separated list.' };
    case 'query.oneOf':
      return { type: 'string', enum: [...s.values] };
    case 'query.amount':
      return {
        type: 'number',
        minimum: 0,
        maximum: MAX_MAJOR_AMOUNT,
        description: "A non-negative amount in major units, with at most the currency's digits.",
      };
    default:
      return assertNeverKind(s);
  }
}

/** Whether a client must send the field (booleans and fields with a default never must). */
export function isRequired(s: FieldSpec): boolean {
  if (s.documentRequired !== undefined) return s.documentRequired;
  return 'required' in s && s.required === true && !('default' in s && s.default !== undefined);
}

export function objectSchema(shape: Shape): JsonSchema {
  const required = Object.entries(shape)
    .filter(([, s]) => isRequired(s))
    .map(([name]) => name);
  return {
    type: 'object',
    properties: Object.fromEntries(Object.entries(shape).map(([name, s]) => [name, fieldSchema(s)])),
    ...(required.length > 0 ? { required } : {}),
  };
}
