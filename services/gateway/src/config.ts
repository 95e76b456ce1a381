// The only place the gateway reads the environment: every SPEC §9 variable, validated at start.
import { env } from '@pp/platform';
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
  LEDGER_GRPC_ADDRESS: z.string().optional(),
  CASE_LIFECYCLE_GRPC_ADDRESS: z.string().optional(),
  FOLLOW_UP_GRPC_ADDRESS: z.string().optional(),
});

export type GatewayConfig = z.output<typeof gatewayEnvSchema>;
