// The only place the gateway reads the environment: every SPEC §9 variable, validated at start.
import { ConfigError, env } from '@pp/platform';
import { z } from 'zod';

export const gatewayEnvSchema = z.object({
  PORT: env.port(3000),
  HOST: z.string().optional().default('0.0.0.0'),
  ADMIN_API_KEY: z
    .string()
    .optional()
    .transform((v) => (v === '' ? undefined : v)),
  DATABASE_URL: env.url(['postgres:', 'postgresql:']),
  /** false: DATABASE_URL's role only reads and writes rows; the migrate Job migrates (distributed only) */
  DB_MIGRATE_AT_START: env.bool(true),
  KAFKA_BROKERS: env.list(),
  DATA_DIR: z.string().optional().default('.data'),
  SMTP_URL: env.url(['smtp:', 'smtps:']),
  FOLLOW_UP_CHASE_AFTER: env.duration('P14D'),
  FOLLOW_UP_REMINDER_INTERVAL: env.duration('P7D'),
  WEBHOOK_RETRY_SCHEDULE: env.delayList('0s,5s,5m,30m,2h,5h,10h,10h'),
  WEBHOOK_DISABLE_AFTER: env.positiveInt(5),
  WEBHOOK_ALLOW_INSECURE: env.bool(false),
  WEBHOOK_ALLOW_PRIVATE: env.bool(false),
  RATE_LIMIT_PER_MINUTE: env.positiveInt(2000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).optional().default('info'),
  /** json lines, or readable lines; absent: readable on a terminal, JSON otherwise */
  LOG_FORMAT: z.enum(['json', 'pretty']).optional(),
  LEDGER_GRPC_ADDRESS: z.string().optional(),
  CASE_LIFECYCLE_GRPC_ADDRESS: z.string().optional(),
  FOLLOW_UP_GRPC_ADDRESS: z.string().optional(),
});

export type GatewayConfig = z.output<typeof gatewayEnvSchema>;

/**
 * Not SPEC §9, the distributed gateway only: where a cluster scrapes it. /metrics stays on PORT by
 * default (SPEC §8 lists it); with METRICS_PORT set it is also served on a listener of its own (on
 * HOST), and METRICS_ON_API_PORT=false takes it off the public port. No default port, unlike the gRPC
 * services: the gateway already serves /metrics, and two gateways on one host must not collide.
 */
export const gatewayMetricsEnv = {
  METRICS_PORT: z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v === '') return undefined;
      const n = Number(v);
      if (!Number.isInteger(n) || n < 0 || n > 65535) {
        ctx.addIssue({ code: 'custom', message: `must be a port number, got "${v}"` });
        return z.NEVER;
      }
      return n;
    }),
  METRICS_ON_API_PORT: env.bool(true),
};

/** Where /metrics is served; refuses a configuration that would serve it nowhere. */
export function metricsListeners(config: { METRICS_PORT: number | undefined; METRICS_ON_API_PORT: boolean }): { onApiPort: boolean; port?: number } {
  if (!config.METRICS_ON_API_PORT && config.METRICS_PORT === undefined)
    throw new ConfigError(['METRICS_ON_API_PORT: false needs METRICS_PORT, or /metrics would be served nowhere']);
  return { onApiPort: config.METRICS_ON_API_PORT, ...(config.METRICS_PORT !== undefined ? { port: config.METRICS_PORT } : {}) };
}
