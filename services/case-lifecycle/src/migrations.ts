import { createDeadLetterTable, createInboxTable, createOutboxTable, type Migration } from '@pp/platform';

export const SCHEMA = 'cases';

export const migrations: Migration[] = [
  {
    name: '20261123120000_create_cases_and_case_events',
    async up(db, schema) {
      await db.schema.withSchema(schema).createTable('cases', (t) => {
        t.uuid('id').primary();
        t.uuid('partner_id').notNullable();
        t.text('reference').notNullable().unique();
        t.boolean('is_test').notNullable();
        t.text('lifecycle').notNullable();
        t.text('close_code');
        t.text('currency').notNullable();
        t.bigInteger('gross_amount').notNullable();
        t.bigInteger('interest_fees').notNullable();
        t.bigInteger('reminder_fees').notNullable();
        t.bigInteger('collection_fees').notNullable();
        t.bigInteger('success_fee_ppm').notNullable();
        t.text('engagement_phase').notNullable();
        t.text('creditor_reference');
        t.jsonb('creditor');
        t.jsonb('debtor');
        t.text('tag');
        t.integer('event_sequence').notNullable().defaultTo(0);
        t.timestamps(true, true);
        t.timestamp('finished_at', { useTz: true });
      });
      await db.raw(`CREATE INDEX cases_partner_list ON ??.cases (partner_id, is_test, lifecycle, created_at DESC)`, [schema]);
      await db.raw(`CREATE INDEX cases_partner_tag ON ??.cases (partner_id, tag) WHERE is_test`, [schema]);
      // The public event log: what partners' webhooks are built from, numbered per case.
      await db.schema.withSchema(schema).createTable('case_events', (t) => {
        t.uuid('id').primary();
        t.uuid('case_id').notNullable();
        t.uuid('partner_id').notNullable();
        t.text('type').notNullable();
        t.integer('sequence').notNullable();
        t.boolean('is_test').notNullable();
        t.jsonb('data').notNullable();
        t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(db.fn.now());
        t.unique(['case_id', 'sequence']);
      });
      await createOutboxTable(db, schema);
      await createInboxTable(db, schema);
    },
  },
  {
    name: '20261123150000_webhooks',
    async up(db, schema) {
      await db.schema.withSchema(schema).createTable('webhook_subscriptions', (t) => {
        t.uuid('id').primary();
        t.uuid('partner_id').notNullable();
        t.text('url').notNullable();
        t.jsonb('events').notNullable();
        t.boolean('is_active').notNullable();
        t.boolean('is_test_mode').notNullable();
        t.text('secret').notNullable();
        t.text('disabled_reason');
        // consecutive events whose every attempt failed; reset by a delivery
        t.integer('failed_streak').notNullable().defaultTo(0);
        t.timestamp('created_at', { useTz: true }).notNullable();
        t.timestamp('updated_at', { useTz: true }).notNullable();
      });
      await db.raw(`CREATE INDEX webhook_subscriptions_partner ON ??.webhook_subscriptions (partner_id, created_at)`, [schema]);
      // One row per (public event, subscription): the delivery, its retry timer and its outcome.
      await db.schema.withSchema(schema).createTable('webhook_deliveries', (t) => {
        t.uuid('id').primary(); // also the envelope id and the webhook-id header
        t.uuid('subscription_id').notNullable().references('id').inTable(`${schema}.webhook_subscriptions`).onDelete('CASCADE');
        t.uuid('partner_id').notNullable();
        t.uuid('case_id').notNullable();
        t.uuid('case_event_id').notNullable();
        t.text('event_type').notNullable();
        t.text('payload').notNullable();
        t.text('status').notNullable(); // Pending | Delivered | Failed
        t.integer('attempt_count').notNullable().defaultTo(0);
        // the attempt number last handed to the delivery topic
        t.integer('enqueued_attempt').notNullable().defaultTo(0);
        t.timestamp('next_attempt_at', { useTz: true }).notNullable();
        t.uuid('lease_token');
        t.timestamp('lease_until', { useTz: true });
        t.boolean('replay').notNullable().defaultTo(false);
        t.integer('last_response_code');
        t.text('last_error');
        t.timestamp('created_at', { useTz: true }).notNullable();
        t.timestamp('delivered_at', { useTz: true });
        t.unique(['case_event_id', 'subscription_id']);
      });
      await db.raw(`CREATE INDEX webhook_deliveries_due ON ??.webhook_deliveries (next_attempt_at) WHERE status = 'Pending'`, [schema]);
      await db.raw(`CREATE INDEX webhook_deliveries_partner ON ??.webhook_deliveries (partner_id, created_at DESC)`, [schema]);
      await db.raw(`CREATE INDEX webhook_deliveries_case ON ??.webhook_deliveries (case_id)`, [schema]);
      await db.schema.withSchema(schema).createTable('webhook_attempts', (t) => {
        t.bigIncrements('id').primary();
        t.uuid('delivery_id').notNullable().references('id').inTable(`${schema}.webhook_deliveries`).onDelete('CASCADE');
        t.integer('attempt').notNullable();
        t.integer('response_code');
        t.integer('latency_ms').notNullable();
        t.text('error');
        t.boolean('replay').notNullable();
        t.timestamp('at', { useTz: true }).notNullable();
      });
      await db.raw(`CREATE INDEX webhook_attempts_delivery ON ??.webhook_attempts (delivery_id, attempt)`, [schema]);
    },
  },
  {
    name: '20261123160000_cases_ledger_seen_at',
    async up(db, schema) {
      await db.schema.withSchema(schema).alterTable('cases', (t) => {
        t.timestamp('ledger_seen_at', { useTz: true });
      });
    },
  },
  {
    // Messages a consumer's handler kept failing on, parked after the bounded attempts (platform dead-letters.ts).
    name: '20261204100000_dead_letters',
    async up(db, schema) {
      await createDeadLetterTable(db, schema);
    },
  },
  {
    // Issue 12: DELETE /webhooks/{id} cascades to the subscription's deliveries; without an index on the
    // FK's column every delete scanned all deliveries (the unique key has subscription_id second).
    name: '20261204130000_webhook_deliveries_subscription',
    async up(db, schema) {
      await db.raw(`CREATE INDEX IF NOT EXISTS webhook_deliveries_subscription ON ??.webhook_deliveries (subscription_id)`, [schema]);
    },
  },
  {
    // Issue 12: GET /cases lists a partner's cases by created_at DESC, id DESC. cases_partner_list has
    // is_test and lifecycle before created_at, so it cannot give that order and every page sorted all the
    // partner's cases; this one gives it, the filters apply on the way, and a page stops at its LIMIT.
    // cases_partner_list stays: the list's count(*) with its filters is served by it.
    name: '20261204130100_cases_partner_created',
    async up(db, schema) {
      await db.raw(`CREATE INDEX IF NOT EXISTS cases_partner_created ON ??.cases (partner_id, created_at DESC, id DESC)`, [schema]);
    },
  },
  {
    // SPEC §10: GET /managed-cases lists the cases a partner created itself with POST /managed-cases.
    // Until now nothing recorded who created a case; partners create test cases only, so the test
    // cases that exist are taken as theirs (an operator's test case for a partner would be the rare
    // exception, and it is still the partner's own test case).
    name: '20261204140000_cases_managed',
    async up(db, schema) {
      await db.raw(`ALTER TABLE ??.cases ADD COLUMN IF NOT EXISTS managed boolean NOT NULL DEFAULT false`, [schema]);
      await db.raw(`UPDATE ??.cases SET managed = true WHERE is_test`, [schema]);
    },
  },
  {
    // SPEC §10: GET /cases?Sort=remainder|dateUpdated. The remainder is the ledger's; this service keeps
    // a copy (major units, so cases of different currencies compare as the API shows them) from the
    // events it already consumes, with the time of the event it came from so an older event never
    // overwrites a newer one. Existing rows start NULL and are filled by the ledger's events (since
    // issue 14 the ledger announces the balance of its older accounts once: ledger app/announce-balances.ts);
    // NULL sorts last meanwhile.
    name: '20261205100000_cases_remainder',
    async up(db, schema) {
      await db.raw(`ALTER TABLE ??.cases ADD COLUMN IF NOT EXISTS remainder numeric`, [schema]);
      await db.raw(`ALTER TABLE ??.cases ADD COLUMN IF NOT EXISTS remainder_at timestamptz`, [schema]);
      await db.raw(`CREATE INDEX IF NOT EXISTS cases_remainder_unknown ON ??.cases (partner_id) WHERE remainder IS NULL`, [schema]);
    },
  },
  {
    // Issue 13: the case carries its claim's dates (date, dueDate: calendar dates as given at creation, else
    // null) and the ids of its creditor and debtor (SPEC §10: debtor.id as given at creation, else assigned
    // here). Existing cases get fresh party ids (the volatile default is evaluated per row); their dates
    // were never recorded and stay null. The service always writes the ids; the default covers other writers.
    name: '20261205120000_cases_dates_and_party_ids',
    async up(db, schema) {
      await db.raw(
        `ALTER TABLE ??.cases ADD COLUMN IF NOT EXISTS date date, ADD COLUMN IF NOT EXISTS due_date date,
           ADD COLUMN IF NOT EXISTS creditor_id uuid NOT NULL DEFAULT gen_random_uuid(), ADD COLUMN IF NOT EXISTS debtor_id uuid NOT NULL DEFAULT gen_random_uuid()`,
        [schema],
      );
    },
  },
  {
    // SPEC §10: GET /cases?DebtorIds=… finds a partner's cases of some debtors.
    name: '20261205130000_cases_partner_debtor',
    async up(db, schema) {
      await db.raw(`CREATE INDEX IF NOT EXISTS cases_partner_debtor ON ??.cases (partner_id, debtor_id)`, [schema]);
    },
  },
  {
    // Issue 16: the delivery history shows the start of each answer a receiver gave.
    name: '20261205140000_webhook_attempts_response_excerpt',
    async up(db, schema) {
      await db.raw(`ALTER TABLE ??.webhook_attempts ADD COLUMN IF NOT EXISTS response_excerpt text`, [schema]);
    },
  },
  {
    // Issue 16: a disabled subscription is told to the partner's office address. The gateway hands the
    // address over on creation and on every change; subscriptions older than this learn it on their
    // next change (until then a disabling is logged and counted, with no mail: no address is known).
    name: '20261206100000_webhook_subscriptions_notify_email',
    async up(db, schema) {
      await db.raw(`ALTER TABLE ??.webhook_subscriptions ADD COLUMN IF NOT EXISTS notify_email text`, [schema]);
    },
  },
  {
    // Issue 16: the partner's event stream (GET /webhooks/events/stream) reads the public event log in
    // the order its transactions finished, so that a reader never moves past an event that commits
    // later: each event carries the id of the transaction that wrote it, and only events of
    // transactions older than every running one (pg_snapshot_xmin) are handed out (infra/stream.queries.ts).
    name: '20261206110000_case_events_stream_position',
    async up(db, schema) {
      await db.raw(`ALTER TABLE ??.case_events ADD COLUMN IF NOT EXISTS tx xid8 NOT NULL DEFAULT pg_current_xact_id()`, [schema]);
      await db.raw(`CREATE INDEX IF NOT EXISTS case_events_stream ON ??.case_events (partner_id, is_test, tx, case_id, sequence)`, [schema]);
    },
  },
  {
    // Issue 16: GET /webhooks/events pages through a partner's deliveries newest first, id breaking the
    // tie. With id in the index the order is read from it, to the last row of a page; it has the columns
    // of webhook_deliveries_partner (partner_id, created_at DESC) as its prefix and replaces it.
    name: '20261207100000_webhook_deliveries_partner_list',
    async up(db, schema) {
      await db.raw(`CREATE INDEX IF NOT EXISTS webhook_deliveries_partner_list ON ??.webhook_deliveries (partner_id, created_at DESC, id DESC)`, [schema]);
      await db.raw(`DROP INDEX IF EXISTS ??.webhook_deliveries_partner`, [schema]);
    },
  },
];
