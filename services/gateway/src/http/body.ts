// Request parsing at the edge: raw JSON in, typed values out, one problem per bad field.
import { COMMISSION_STATUSES, currencyDigits, parseMajor, validationError, type FieldProblem, type Minor } from '@pp/domain';

const MAX_STRING = 2000;

export class Fields {
  readonly problems: FieldProblem[] = [];
  private readonly raw: Record<string, unknown>;

  constructor(
    body: unknown,
    private readonly prefix = '',
  ) {
    if (body === undefined || body === null || typeof body !== 'object' || Array.isArray(body)) {
      if (prefix === '') this.problems.push({ message: 'The request body must be a JSON object' });
      this.raw = {};
    } else this.raw = body as Record<string, unknown>;
  }

  has(name: string): boolean {
    return this.raw[name] !== undefined && this.raw[name] !== null;
  }

  /** The raw value of a field, as sent. */
  value(name: string): unknown {
    return this.raw[name];
  }

  /** Adds a problem naming the field (`<field>: <message>`), as every check here does. */
  problem(name: string, message: string): void {
    this.bad(name, message);
  }

  private bad(name: string, message: string): undefined {
    this.problems.push({ field: this.prefix + name, message: `${this.prefix + name}: ${message}` });
    return undefined;
  }

  string(name: string, opts: { required?: boolean; max?: number; min?: number; pattern?: RegExp } = {}): string | undefined {
    const v = this.raw[name];
    if (v === undefined || v === null) return opts.required ? this.bad(name, 'is required') : undefined;
    if (typeof v !== 'string') return this.bad(name, 'must be a string');
    if (v.length > (opts.max ?? MAX_STRING)) return this.bad(name, `must be at most ${opts.max ?? MAX_STRING} characters`);
    if (v.trim().length < (opts.min ?? (opts.required ? 1 : 0))) return this.bad(name, 'must not be empty');
    if (v.includes('\u0000')) return this.bad(name, 'must not contain NUL characters');
    if (opts.pattern && !opts.pattern.test(v)) return this.bad(name, 'has an invalid format');
    return v;
  }

  email(name: string, required: boolean): string | undefined {
    return this.string(name, { required, max: 320, pattern: /^[^\s@]+@[^\s@]+\.[^\s@]+$/ });
  }

  uuid(name: string, required: boolean): string | undefined {
    return this.string(name, { required, max: 36, pattern: UUID });
  }

  boolean(name: string, fallback: boolean): boolean;
  boolean(name: string, fallback: boolean | undefined): boolean | undefined;
  boolean(name: string, fallback: boolean | undefined): boolean | undefined {
    const v = this.raw[name];
    if (v === undefined || v === null) return fallback;
    if (typeof v !== 'boolean') return this.bad(name, 'must be true or false') ?? fallback;
    return v;
  }

  oneOf<T extends string>(name: string, values: readonly T[], required: boolean): T | undefined {
    const v = this.raw[name];
    if (v === undefined || v === null) return required ? this.bad(name, 'is required') : undefined;
    if (typeof v !== 'string' || !(values as readonly string[]).includes(v)) return this.bad(name, `must be one of ${values.join(', ')}`);
    return v as T;
  }

  /** A non-empty array of distinct known values. */
  listOf<T extends string>(name: string, values: readonly T[], required: boolean): T[] | undefined {
    const v = this.raw[name];
    if (v === undefined || v === null) return required ? this.bad(name, 'is required') : undefined;
    if (!Array.isArray(v)) return this.bad(name, 'must be an array');
    if (v.length === 0) return this.bad(name, 'must name at least one value');
    if (v.length > values.length * 4) return this.bad(name, 'has too many entries');
    const unknown = v.filter((x) => typeof x !== 'string' || !(values as readonly unknown[]).includes(x));
    if (unknown.length > 0) return this.bad(name, `must only contain ${values.join(', ')}`);
    return [...new Set(v as T[])];
  }

  number(name: string, opts: { required?: boolean; min?: number; max?: number; integer?: boolean } = {}): number | undefined {
    const v = this.raw[name];
    if (v === undefined || v === null) return opts.required ? this.bad(name, 'is required') : undefined;
    if (typeof v !== 'number' || !Number.isFinite(v)) return this.bad(name, 'must be a number');
    if (opts.integer && !Number.isInteger(v)) return this.bad(name, 'must be an integer');
    if (opts.min !== undefined && v < opts.min) return this.bad(name, `must be at least ${opts.min}`);
    if (opts.max !== undefined && v > opts.max) return this.bad(name, `must be at most ${opts.max}`);
    return v;
  }

  /** Money in major units with the currency's digits; `positive` rejects zero. */
  money(name: string, currency: string, opts: { required?: boolean; positive?: boolean }): Minor | undefined {
    const v = this.raw[name];
    if (v === undefined || v === null) return opts.required ? this.bad(name, 'is required') : undefined;
    const digits = currencyDigits(currency);
    const parsed = parseMajor(v, digits);
    if (!parsed.ok) {
      const why = {
        'not-a-number': 'must be a number',
        'too-many-decimals': `must have at most ${digits} decimals for ${currency}`,
        'too-large': 'is too large',
        negative: 'must not be negative',
      }[parsed.reason];
      return this.bad(name, why);
    }
    if (opts.positive && parsed.minor <= 0n) return this.bad(name, `must be at least one minor unit of ${currency}`);
    return parsed.minor;
  }

  date(name: string, required: boolean): string | undefined {
    const v = this.string(name, { required, max: 40 });
    if (v === undefined) return undefined;
    const date = parseDate(v);
    return date ?? this.bad(name, 'must be a date (YYYY-MM-DD)');
  }

  object(name: string, required: boolean): Fields | undefined {
    const v = this.raw[name];
    if (v === undefined || v === null) return required ? this.bad(name, 'is required') : undefined;
    if (typeof v !== 'object' || Array.isArray(v)) return this.bad(name, 'must be an object');
    const nested = new Fields(v, `${this.prefix}${name}.`);
    return nested;
  }

  merge(other: Fields | undefined): void {
    if (other) this.problems.push(...other.problems);
  }

  /** Throws a 400 ValidationError listing every problem found so far. */
  check(): void {
    if (this.problems.length > 0) throw validationError(this.problems);
  }
}

export const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

/** YYYY-MM-DD, or an ISO date-time cut to its date; only real calendar dates. */
export function parseDate(value: string): string | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(?:Z|[+-](?:[01]\d|2[0-3]):?[0-5]\d)?)?$/.exec(value);
  if (!m) return undefined;
  const [, y, mo, d, hh, mm, ss] = m;
  if (Number(hh ?? 0) > 23 || Number(mm ?? 0) > 59 || Number(ss ?? 0) > 59) return undefined;
  const date = new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d)));
  if (date.getUTCFullYear() !== Number(y) || date.getUTCMonth() !== Number(mo) - 1 || date.getUTCDate() !== Number(d) || Number(y) < 1900) return undefined;
  return `${y}-${mo}-${d}`;
}

export const COMMISSION = COMMISSION_STATUSES;
