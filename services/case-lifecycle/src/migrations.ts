import { createInboxTable, createOutboxTable, type Migration } from '@pp/platform';

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
];
