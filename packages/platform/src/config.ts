// Environment parsing shared by every service's config.ts: each service declares a zod schema,
// this parses it once and fails fast with every bad key named.
import { z } from 'zod';

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
  }
}

export function parseConfig<S extends z.ZodType>(schema: S, env: Record<string, string | undefined>): z.output<S> {
  const result = schema.safeParse(env);
  if (result.success) return result.data;
  throw new ConfigError(result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`));
}

const DURATION = /^P(?!$)(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?=\d)(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/;

/** ISO 8601 duration to milliseconds (years as 365 days, months as 30 days). */
export function parseIsoDuration(text: string): number | undefined {
  const m = DURATION.exec(text);
  if (!m) return undefined;
  const [, y, mo, w, d, h, mi, s] = m.map((v) => (v === undefined ? 0 : Number(v)));
  const days = (y ?? 0) * 365 + (mo ?? 0) * 30 + (w ?? 0) * 7 + (d ?? 0);
  return Math.round((((days * 24 + (h ?? 0)) * 60 + (mi ?? 0)) * 60 + (s ?? 0)) * 1000);
}

/** "0s,5s,5m,30m,2h" → milliseconds */
export function parseDelayList(text: string): number[] | undefined {
  const out: number[] = [];
  for (const part of text.split(',').map((p) => p.trim())) {
    const m = /^(\d+)(ms|s|m|h|d)$/.exec(part);
    if (!m) return undefined;
    const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 'ms' | 's' | 'm' | 'h' | 'd'];
    out.push(Number(m[1]) * unit);
  }
  return out.length > 0 ? out : undefined;
}

export const env = {
  port: (fallback: number) =>
    z
      .string()
      .optional()
      .transform((v, ctx) => {
        const n = v === undefined || v === '' ? fallback : Number(v);
        if (!Number.isInteger(n) || n < 0 || n > 65535) {
          ctx.addIssue({ code: 'custom', message: `must be a port number, got "${v}"` });
          return z.NEVER;
        }
        return n;
      }),
  bool: (fallback: boolean) =>
    z
      .string()
      .optional()
      .transform((v, ctx) => {
        if (v === undefined || v === '') return fallback;
        if (v === 'true' || v === '1') return true;
        if (v === 'false' || v === '0') return false;
        ctx.addIssue({ code: 'custom', message: `must be true or false, got "${v}"` });
        return z.NEVER;
      }),
  positiveInt: (fallback: number) =>
    z
      .string()
      .optional()
      .transform((v, ctx) => {
        const n = v === undefined || v === '' ? fallback : Number(v);
        if (!Number.isInteger(n) || n <= 0) {
          ctx.addIssue({ code: 'custom', message: `must be a positive integer, got "${v}"` });
          return z.NEVER;
        }
        return n;
      }),
  duration: (fallback: string) =>
    z
      .string()
      .optional()
      .transform((v, ctx) => {
        const ms = parseIsoDuration(v === undefined || v === '' ? fallback : v);
        if (ms === undefined || ms <= 0) {
          ctx.addIssue({ code: 'custom', message: `must be a positive ISO 8601 duration such as P14D, got "${v}"` });
          return z.NEVER;
        }
        return ms;
      }),
  url: (protocols: string[]) =>
    z
      .string()
      .optional()
      .transform((v, ctx) => {
        if (v === undefined || v === '') return undefined;
        try {
          const u = new URL(v);
          if (!protocols.includes(u.protocol)) throw new Error('protocol');
          return v;
        } catch {
          ctx.addIssue({ code: 'custom', message: `must be a ${protocols.join(' or ')} URL` });
          return z.NEVER;
        }
      }),
  delayList: (fallback: string) =>
    z
      .string()
      .optional()
      .transform((v, ctx) => {
        const delays = parseDelayList(v === undefined || v === '' ? fallback : v);
        if (delays === undefined) {
          ctx.addIssue({ code: 'custom', message: `must be a comma list of delays such as 0s,5s,5m,2h, got "${v}"` });
          return z.NEVER;
        }
        return delays;
      }),
  list: () =>
    z
      .string()
      .optional()
      .transform((v) =>
        v === undefined || v.trim() === ''
          ? undefined
          : v
              .split(',')
              .map((s) => s.trim())
              .filter(Boolean),
      ),
};
