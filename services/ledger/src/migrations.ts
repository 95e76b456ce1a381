import { createInboxTable, createOutboxTable, type Migration } from '@pp/platform';

export const SCHEMA = 'ledger';

export const migrations: Migration[] = [
  {
    name: '20261123120000_create_accounts_payments_payouts_journal_audit',
    async up(db, schema) {
      await db.schema.withSchema(schema).createTable('accounts', (t) => {
        t.uuid('case_id').primary();
        t.uuid('partner_id').notNullable().index();
        t.text('reference').notNullable();
        t.text('currency').notNullable();
        t.integer('digits').notNullable();
        t.bigInteger('gross_amount').notNullable();
        t.bigInteger('total_fees').notNullable();
        t.bigInteger('total_payments').notNullable().defaultTo(0);
        t.integer('payment_count').notNullable().defaultTo(0);
        t.bigInteger('success_fee_ppm').notNullable();
        t.bigInteger('revenue_share_ppm').notNullable();
        t.boolean('is_test').notNullable();
        t.text('notify_email').notNullable();
        t.text('lifecycle').notNullable();
        t.text('close_code');
        t.timestamp('closed_at', { useTz: true });
        t.timestamps(true, true);
      });
      await db.schema.withSchema(schema).createTable('invoices', (t) => {
        t.uuid('id').primary();
        t.uuid('partner_id').notNullable();
        t.text('currency').notNullable();
        t.bigInteger('total_platform_fee').notNullable();
        t.integer('payout_count').notNullable();
        t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(db.fn.now());
      });
      await db.schema.withSchema(schema).createTable('payments', (t) => {
        t.uuid('id').primary();
        t.uuid('case_id').notNullable().references('case_id').inTable(`${schema}.accounts`).onDelete('CASCADE');
        t.uuid('partner_id').notNullable();
        t.date('date').notNullable();
        t.bigInteger('amount').notNullable();
        t.text('recipient').notNullable();
        t.text('commission_status').notNullable();
        t.text('idempotency_key');
        t.jsonb('record_result').notNullable();
        t.timestamps(true, true);
        t.unique(['partner_id', 'idempotency_key']);
      });
      await db.raw(`CREATE INDEX payments_case_order ON ??.payments (case_id, date DESC, created_at DESC)`, [schema]);
      // The payout is the payment's split; it goes with the payment and is what an invoicing run freezes.
      await db.schema.withSchema(schema).createTable('payouts', (t) => {
        t.uuid('payment_id').primary().references('id').inTable(`${schema}.payments`).onDelete('CASCADE');
        t.uuid('partner_id').notNullable();
        t.text('currency').notNullable();
        t.bigInteger('payout_creditor').notNullable();
        t.bigInteger('payout_collection_partner').notNullable();
        t.bigInteger('platform_fee').notNullable();
        t.uuid('invoice_id').references('id').inTable(`${schema}.invoices`);
      });
      await db.raw(`CREATE INDEX payouts_uninvoiced ON ??.payouts (partner_id, currency) WHERE invoice_id IS NULL`, [schema]);
      // Append-only postings: a record applies, a delete reverses, an edit reverses and re-applies.
      await db.schema.withSchema(schema).createTable('journal', (t) => {
        t.bigIncrements('seq').primary();
        t.uuid('case_id').notNullable().index();
        t.uuid('payment_id').notNullable();
        t.text('kind').notNullable();
        t.bigInteger('amount').notNullable();
        t.bigInteger('payout_creditor').notNullable();
        t.bigInteger('payout_collection_partner').notNullable();
        t.bigInteger('platform_fee').notNullable();
        t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(db.fn.now());
      });
      await db.schema.withSchema(schema).createTable('audit', (t) => {
        t.bigIncrements('seq').primary();
        t.uuid('id').notNullable().unique();
        t.uuid('case_id').notNullable().index();
        t.text('type').notNullable();
        t.uuid('payment_id');
        t.jsonb('before');
        t.jsonb('after');
        t.text('actor').notNullable();
        t.timestamp('at', { useTz: true }).notNullable();
      });
      await createOutboxTable(db, schema);
      await createInboxTable(db, schema);
    },
  },
  {
    // Issue 12: GET /cases/{id}/audit can read a case's entries in seq order from this index, where the
    // case_id index left only a sort (it spilled to disk at 10,000 entries). (case_id, seq) serves every
    // case_id lookup (the purge) as well, so the case_id index would only cost writes.
    name: '20261203130000_audit_case_seq',
    async up(db, schema) {
      await db.raw(`CREATE INDEX IF NOT EXISTS audit_case_seq ON ??.audit (case_id, seq)`, [schema]);
      await db.raw(`DROP INDEX IF EXISTS ??.audit_case_id_index`, [schema]);
    },
  },
  {
    // Issue 12: the payments of a case in their list order, tie-breaker id included, so the list is read
    // without a sort. Its prefix is payments_case_order, which it replaces (one index less to write).
    name: '20261203130100_payments_case_list',
    async up(db, schema) {
      await db.raw(`CREATE INDEX IF NOT EXISTS payments_case_list ON ??.payments (case_id, date DESC, created_at DESC, id DESC)`, [schema]);
      await db.raw(`DROP INDEX IF EXISTS ??.payments_case_order`, [schema]);
    },
  },
  {
    // SPEC §10 PUT /cases/{id}/fees: the ledger owns the money, so it keeps the fee breakdown next to its
    // sum (total_fees) and changes both in the transaction that locks the account. Null on an account
    // opened before: the ledger never knew its breakdown (the case was created with it; see update-fees.ts).
    name: '20261205090000_accounts_fee_breakdown',
    async up(db, schema) {
      await db.schema.withSchema(schema).alterTable('accounts', (t) => {
        t.bigInteger('interest_fees');
        t.bigInteger('reminder_fees');
        t.bigInteger('collection_fees');
      });
    },
  },
  {
    // Issue 15: the operator reads invoices after their run. GET /admin/invoices pages through them newest
    // first, of everyone or of one partner: each order is an index, so a page never sorts the whole table
    // (the invoices of one run share created_at, id breaks the tie). GET /admin/invoices/{id} reads the
    // payouts of one invoice: until now invoice_id was written but never searched (only its NULLs were).
    name: '20261206100000_invoices_list_and_payouts_by_invoice',
    async up(db, schema) {
      await db.raw(`CREATE INDEX IF NOT EXISTS invoices_list ON ??.invoices (created_at DESC, id DESC)`, [schema]);
      await db.raw(`CREATE INDEX IF NOT EXISTS invoices_partner_list ON ??.invoices (partner_id, created_at DESC, id DESC)`, [schema]);
      await db.raw(`CREATE INDEX IF NOT EXISTS payouts_by_invoice ON ??.payouts (invoice_id) WHERE invoice_id IS NOT NULL`, [schema]);
    },
  },
  {
    // Issue 16: GET /commissions/owed sums a partner's unpaid commissions: a partial index holds just
    // those payments (few, next to all). GET /payments/export walks a partner's payments of a date range
    // in (date, id) order, a keyset page at a time: this index is that order.
    name: '20261206110000_payments_owed_and_by_partner_date',
    async up(db, schema) {
      await db.raw(
        `CREATE INDEX IF NOT EXISTS payments_commission_unpaid ON ??.payments (partner_id, case_id) WHERE recipient = 'Creditor' AND commission_status = 'Unpaid'`,
        [schema],
      );
      await db.raw(`CREATE INDEX IF NOT EXISTS payments_partner_date ON ??.payments (partner_id, date, id)`, [schema]);
    },
  },
  {
    // Issue 14: the ledger is the one owner of a case's lifecycle; case-lifecycle keeps a copy fed by the
    // ledger's events only. A list filtered by lifecycle reads that copy, so the gateway overlays the
    // accounts whose lifecycle changed lately (read-your-writes while the copy catches up): this column says
    // when, and the index finds a partner's recent changes without reading its other accounts.
    name: '20261207090000_accounts_lifecycle_changed_at',
    async up(db, schema) {
      await db.schema.withSchema(schema).alterTable('accounts', (t) => {
        t.timestamp('lifecycle_changed_at', { useTz: true });
      });
      await db.raw(
        `CREATE INDEX IF NOT EXISTS accounts_lifecycle_changes ON ??.accounts (partner_id, lifecycle_changed_at) WHERE lifecycle_changed_at IS NOT NULL`,
        [schema],
      );
    },
  },
  {
    // Issue 14: case-lifecycle no longer asks the ledger for the balances its remainder copy lacks (the
    // cases from before the copy existed). The accounts that exist now are announced once by event
    // instead (app/announce-balances.ts); accounts opened from here on start announced (their case is
    // created with its remainder copy).
    name: '20261207090100_accounts_balance_announced',
    async up(db, schema) {
      await db.raw(`ALTER TABLE ??.accounts ADD COLUMN IF NOT EXISTS balance_announced boolean NOT NULL DEFAULT false`, [schema]);
      await db.raw(`ALTER TABLE ??.accounts ALTER COLUMN balance_announced SET DEFAULT true`, [schema]);
      await db.raw(`CREATE INDEX IF NOT EXISTS accounts_unannounced ON ??.accounts (case_id) WHERE NOT balance_announced`, [schema]);
    },
  },
];
