// Money is an integer count of minor units (bigint). Decimal text exists only at the JSON edge.
import { DomainError } from './errors';

export type Minor = bigint;

/** Largest amount accepted at the edge, in major units: keeps every amount exact in a JSON double. */
export const MAX_MAJOR_AMOUNT = 1_000_000_000_000;

let supportedCurrencies: ReadonlySet<string> | undefined;

function currencies(): ReadonlySet<string> {
  supportedCurrencies ??= new Set(Intl.supportedValuesOf('currency'));
  return supportedCurrencies;
}

export function isCurrency(code: string): boolean {
  return /^[A-Z]{3}$/.test(code) && currencies().has(code);
}

/** ISO 4217 minor-unit digits (EUR 2, JPY 0, KWD 3). */
// Building an Intl.NumberFormat costs tens of microseconds and every money value asks: keep the answer.
const digitsByCurrency = new Map<string, number>();

export function currencyDigits(code: string): number {
  const known = digitsByCurrency.get(code);
  if (known !== undefined) return known;
  if (!isCurrency(code)) throw new DomainError('ValidationError', `Unknown currency ${code}`, 'currency');
  const digits = new Intl.NumberFormat('en', { style: 'currency', currency: code }).resolvedOptions().maximumFractionDigits ?? 2;
  digitsByCurrency.set(code, digits);
  return digits;
}

export type ParseAmountFailure = 'not-a-number' | 'too-many-decimals' | 'too-large' | 'negative';

/**
 * Parses a JSON number in major units into minor units without floating-point arithmetic:
 * the number's shortest decimal representation is split on the decimal point.
 */
export function parseMajor(value: unknown, digits: number): { ok: true; minor: Minor } | { ok: false; reason: ParseAmountFailure } {
  if (typeof value !== 'number' || !Number.isFinite(value)) return { ok: false, reason: 'not-a-number' };
  if (value < 0 || Object.is(value, -0)) return value === 0 ? { ok: true, minor: 0n } : { ok: false, reason: 'negative' };
  if (value > MAX_MAJOR_AMOUNT) return { ok: false, reason: 'too-large' };
  const text = value.toString();
  // Small values print in exponent form (1e-7): they always carry more decimals than any currency.
  if (text.includes('e')) return { ok: false, reason: 'too-many-decimals' };
  const [whole = '0', fraction = ''] = text.split('.');
  if (fraction.length > digits) return { ok: false, reason: 'too-many-decimals' };
  return { ok: true, minor: BigInt(whole + fraction.padEnd(digits, '0')) };
}

/** Minor units to a JSON number in major units, exact to the currency's digits. */
export function toMajor(minor: Minor, digits: number): number {
  return Number(toMajorText(minor, digits));
}

/** Minor units to decimal text in major units with exactly the currency's digits (EUR 1250.50, JPY 5000, KWD 1.125). */
export function toMajorText(minor: Minor, digits: number): string {
  const negative = minor < 0n;
  const abs = (negative ? -minor : minor).toString().padStart(digits + 1, '0');
  const whole = abs.slice(0, abs.length - digits);
  const fraction = digits > 0 ? `.${abs.slice(abs.length - digits)}` : '';
  return `${negative ? '-' : ''}${whole}${fraction}`;
}

/** n / d rounded half up (away from zero for ties), for n >= 0 and d > 0. */
export function divRoundHalfUp(n: bigint, d: bigint): bigint {
  if (d <= 0n) throw new RangeError('divisor must be positive');
  if (n < 0n) return -divRoundHalfUp(-n, d);
  return (n * 2n + d) / (2n * d);
}

/** One hundredth of a major unit in minor units (0 when the currency has no cents): the split tolerance. */
export function splitTolerance(digits: number): Minor {
  return digits >= 2 ? 10n ** BigInt(digits - 2) : 0n;
}
