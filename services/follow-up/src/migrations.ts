import { createDeadLetterTable, createInboxTable, createOutboxTable, type Migration } from '@pp/platform';

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
  {
    name: '20261123140000_follow_up_state_timers_mail',
    async up(db, schema) {
      // One follow-up per payment: the state of the pure machine in @pp/domain (decideFollowUp).
      await db.schema.withSchema(schema).createTable('followups', (t) => {
        t.uuid('payment_id').primary();
        t.uuid('case_id').notNullable();
        t.uuid('partner_id').notNullable();
        t.text('case_reference').notNullable();
        t.text('notify_email').notNullable();
        t.text('currency').notNullable();
        t.bigInteger('amount_owed').notNullable();
        t.text('stage').notNullable();
        t.integer('generation').notNullable();
        t.integer('reminders').notNullable();
        t.boolean('escalated').notNullable();
        t.timestamp('updated_at', { useTz: true }).notNullable();
      });
      // Durable timers: any replica claims due rows with FOR UPDATE SKIP LOCKED and publishes them.
      await db.schema.withSchema(schema).createTable('timers', (t) => {
        t.uuid('id').primary();
        t.uuid('payment_id').notNullable();
        t.text('kind').notNullable();
        t.integer('generation').notNullable();
        t.integer('step').notNullable();
        t.timestamp('due_at', { useTz: true }).notNullable();
        t.timestamp('fired_at', { useTz: true });
        t.unique(['payment_id', 'kind', 'generation', 'step']);
      });
      await db.raw(`CREATE INDEX timers_due ON ??.timers (due_at) WHERE fired_at IS NULL`, [schema]);
      // Outgoing mail, one row per step: sent by the mail sender with retries, never twice by design.
      await db.schema.withSchema(schema).createTable('emails', (t) => {
        t.uuid('id').primary();
        t.text('step_id').notNullable().unique();
        t.uuid('partner_id').notNullable();
        t.uuid('case_id').notNullable();
        t.uuid('payment_id').notNullable();
        t.text('kind').notNullable();
        t.text('to').notNullable();
        t.text('subject').notNullable();
        t.text('text').notNullable();
        t.integer('attempts').notNullable().defaultTo(0);
        t.timestamp('next_attempt_at', { useTz: true }).notNullable();
        t.text('last_error');
        t.timestamp('created_at', { useTz: true }).notNullable();
        t.timestamp('sent_at', { useTz: true });
      });
      await db.raw(`CREATE INDEX emails_unsent ON ??.emails (next_attempt_at) WHERE sent_at IS NULL`, [schema]);
      await db.raw(`CREATE INDEX emails_partner ON ??.emails (partner_id, created_at DESC)`, [schema]);
      // Exactly one ChaseClient task per payment (there is one escalation per payment).
      await db.raw(`CREATE UNIQUE INDEX tasks_one_chase_client ON ??.tasks (payment_id) WHERE type = 'ChaseClient'`, [schema]);
      await createOutboxTable(db, schema);
    },
  },
  {
    name: '20261123170000_tasks_by_payment',
    async up(db, schema) {
      // Settlement, edits, deletes and escalation all find a payment's tasks: not by a table scan.
      await db.raw(`CREATE INDEX IF NOT EXISTS tasks_payment ON ??.tasks (payment_id)`, [schema]);
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
    // Issue 16: follow-up also mails partner notices that belong to no case or payment (a disabled
    // webhook subscription); their step_id is the notice's event id, which keeps them to one mail.
    name: '20261206100000_emails_without_case',
    async up(db, schema) {
      await db.raw(`ALTER TABLE ??.emails ALTER COLUMN case_id DROP NOT NULL, ALTER COLUMN payment_id DROP NOT NULL`, [schema]);
    },
  },
  {
    // Issue 16: GET /tasks pages through a partner's tasks newest first (id breaks the tie). The order is
    // this index, so a page is read without sorting every task of the partner; tasks_partner (partner_id,
    // case_id, status) still serves the caseId and status filters.
    name: '20261207100000_tasks_partner_list',
    async up(db, schema) {
      await db.raw(`CREATE INDEX IF NOT EXISTS tasks_partner_list ON ??.tasks (partner_id, created_at DESC, id DESC)`, [schema]);
    },
  },
];
