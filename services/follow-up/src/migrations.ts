import { createInboxTable, type Migration } from '@pp/platform';

export const SCHEMA = 'followup';

export const migrations: Migration[] = [
  {
    name: '20261123120000_create_tasks',
    async up(db, schema) {
      await db.schema.withSchema(schema).createTable('tasks', (t) => {
        t.uuid('id').primary();
        t.text('type').notNullable();
        t.text('status').notNullable();
        t.uuid('case_id').notNullable();
        t.uuid('partner_id').notNullable();
        t.uuid('payment_id').notNullable();
        t.bigInteger('amount_owed').notNullable();
        t.text('currency').notNullable();
        t.timestamp('due_at', { useTz: true }).notNullable();
        t.integer('reminder_count').notNullable().defaultTo(0);
        t.timestamp('created_at', { useTz: true }).notNullable();
        t.timestamp('completed_at', { useTz: true });
      });
      // Exactly one InvoiceClient task per payment, whatever is redelivered.
      await db.raw(`CREATE UNIQUE INDEX tasks_one_invoice_client ON ??.tasks (payment_id) WHERE type = 'InvoiceClient'`, [schema]);
      await db.raw(`CREATE INDEX tasks_partner ON ??.tasks (partner_id, case_id, status)`, [schema]);
      await createInboxTable(db, schema);
    },
  },
];
