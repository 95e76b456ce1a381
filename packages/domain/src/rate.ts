// Rates (success fee percent, revenue share fraction) are integers in parts per million.
import { divRoundHalfUp, type Minor } from './money';

export type Ppm = bigint;
export const PPM = 1_000_000n;

/**
 * Parses a decimal JSON number into a fraction in parts per million: a percent (unit 100, 20.5 → 205000)
 * or a fraction (unit 1, 0.4 → 400000).
 * Returns undefined when the value has more precision than a ppm can hold or is out of [0, max].
 */
export function parseRate(value: unknown, unit: 1 | 100, max: number): Ppm | undefined {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > max) return undefined;
  const text = value.toString();
  if (text.includes('e')) return value === 0 ? 0n : undefined;
  const scaleDigits = unit === 100 ? 4 : 6; // 1 ppm = 0.0001 % = 0.000001
  const [whole = '0', fraction = ''] = text.split('.');
  if (fraction.length > scaleDigits) return undefined;
  return BigInt(whole + fraction.padEnd(scaleDigits, '0'));
}

export function rateToNumber(ppm: Ppm, unit: 1 | 100): number {
  const scale = unit === 100 ? 10_000 : 1_000_000;
  return Number(ppm) / scale;
}

/** amount × rate, rounded half up to a whole minor unit. */
export function applyRate(amount: Minor, rate: Ppm): Minor {
  return divRoundHalfUp(amount * rate, PPM);
}
