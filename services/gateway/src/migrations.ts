import type { Migration } from '@pp/platform';

export const SCHEMA = 'gateway';

export const migrations: Migration[] = [
  {
    name: '20261123120000_create_partners_and_idempotency_keys',
    async up(db, schema) {
      await db.schema.withSchema(schema).createTable('partners', (t) => {
        t.uuid('id').primary();
        t.text('company_name').notNullable();
        t.text('office_email').notNullable();
        t.bigInteger('pre_legal_share_ppm').notNullable();
        t.bigInteger('legal_share_ppm').notNullable();
        // sha-256 of a 256-bit random key: the key itself is never stored
        t.text('api_key_hash').notNullable().unique();
        t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(db.fn.now());
      });
      await db.schema.withSchema(schema).createTable('idempotency_keys', (t) => {
        t.uuid('partner_id').notNullable();
        t.text('key').notNullable();
        t.text('request_hash').notNullable();
        t.text('state').notNullable();
        t.integer('status_code');
        t.text('response_body');
        t.timestamp('locked_until', { useTz: true }).notNullable();
        t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(db.fn.now());
        t.primary(['partner_id', 'key']);
      });
      await db.raw(`CREATE INDEX idempotency_keys_created ON ??.idempotency_keys (created_at)`, [schema]);
    },
  },
  {
    // Running keys are held by a short lease their request renews; the owner lets only it renew or release.
    name: '20261203090000_idempotency_key_owner',
    async up(db, schema) {
      await db.schema.withSchema(schema).alterTable('idempotency_keys', (t) => {
        t.uuid('owner');
      });
    },
  },
  {
    // The per-key rate limit shared by every gateway replica: one row per (key, one-minute window, limit)
    // counting the tokens handed out to the replicas, which spend them locally (src/app/rate-limit.ts).
    // Replicas configured with another RATE_LIMIT_PER_MINUTE keep their own count, so none is ever
    // refused because another leased tokens against a larger limit.
    name: '20261203100000_rate_limit_windows',
    async up(db, schema) {
      await db.schema.withSchema(schema).createTable('rate_limit_windows', (t) => {
        // sha-256 of the API key, as in partners.api_key_hash: the key itself is never stored
        t.text('key_hash').notNullable();
        t.timestamp('window_start', { useTz: true }).notNullable();
        t.integer('window_limit').notNullable();
        // tokens handed out in this window (never above the limit), and the size of the last grant
        t.integer('granted').notNullable();
        t.integer('last_grant').notNullable();
        t.primary(['key_hash', 'window_start', 'window_limit']);
      });
      await db.raw(`CREATE INDEX rate_limit_windows_start ON ??.rate_limit_windows (window_start)`, [schema]);
    },
  },
];
