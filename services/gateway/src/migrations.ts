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
  {
    // Several keys per partner (rotation with overlap: create the new, then revoke the old), each with its
    // own row: prefix to recognise it, last use, revocation. A partner can be deactivated: its keys stop,
    // its data stays. The existing keys move over (their prefix is unknown: only hashes were kept);
    // partners.api_key_hash is no longer read or written and is dropped by a later migration, once no
    // replica of the previous release can be running.
    name: '20261206090000_api_keys_and_partner_state',
    async up(db, schema) {
      await db.schema.withSchema(schema).alterTable('partners', (t) => {
        t.boolean('active').notNullable().defaultTo(true);
        t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(db.fn.now());
      });
      await db.raw(`ALTER TABLE ??.partners ALTER COLUMN api_key_hash DROP NOT NULL`, [schema]);
      await db.schema.withSchema(schema).createTable('api_keys', (t) => {
        t.uuid('id').primary();
        t.uuid('partner_id').notNullable().references('id').inTable(`${schema}.partners`);
        // sha-256 of a 256-bit random key: the key itself is never stored
        t.text('key_hash').notNullable().unique();
        // the key's first characters, to tell keys apart in lists (null for keys made before this table)
        t.text('prefix');
        t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(db.fn.now());
        t.timestamp('last_used_at', { useTz: true });
        t.timestamp('revoked_at', { useTz: true });
      });
      await db.raw(`CREATE INDEX api_keys_partner ON ??.api_keys (partner_id, created_at)`, [schema]);
      await db.raw(
        `INSERT INTO ??.api_keys (id, partner_id, key_hash, created_at) SELECT gen_random_uuid(), id, api_key_hash, created_at FROM ??.partners WHERE api_key_hash IS NOT NULL`,
        [schema, schema],
      );
      await db.raw(`UPDATE ??.partners SET api_key_hash = NULL`, [schema]);
    },
  },
  {
    // Every write to the operator API, recorded before it runs and completed with its outcome after, so
    // that a write interrupted by a crash still shows (as Started). `operator` is the operator key's id
    // (a fingerprint of ADMIN_API_KEY, never the key).
    name: '20261206090100_operator_audit',
    async up(db, schema) {
      await db.schema.withSchema(schema).createTable('operator_audit', (t) => {
        t.uuid('id').primary();
        t.timestamp('at', { useTz: true }).notNullable().defaultTo(db.fn.now());
        t.text('operator').notNullable();
        t.text('operation').notNullable();
        t.text('method').notNullable();
        t.text('path').notNullable();
        t.uuid('target_id');
        t.text('request');
        t.integer('status_code');
        t.timestamp('completed_at', { useTz: true });
      });
      await db.raw(`CREATE INDEX operator_audit_at ON ??.operator_audit (at DESC, id DESC)`, [schema]);
      await db.raw(`CREATE INDEX operator_audit_target ON ??.operator_audit (target_id, at DESC)`, [schema]);
    },
  },
];
