// Consumer inbox: the ids of applied events are recorded in the same transaction as the effect,
// so a redelivered or rebalanced message changes nothing.
import type { Knex } from 'knex';
import type { Trx } from './db';

export async function createInboxTable(db: Knex, schema: string): Promise<void> {
  await db.schema.withSchema(schema).createTable('inbox', (t) => {
    t.text('consumer').notNullable();
    t.text('event_id').notNullable();
    t.timestamp('applied_at', { useTz: true }).notNullable().defaultTo(db.fn.now());
    t.primary(['consumer', 'event_id']);
  });
}

/** true when this consumer has not applied the event yet (and now owns applying it in `trx`). */
export async function claimInbox(trx: Trx, schema: string, consumer: string, eventId: string): Promise<boolean> {
  const inserted = await trx
    .withSchema(schema)
    .table('inbox')
    .insert({ consumer, event_id: eventId })
    .onConflict(['consumer', 'event_id'])
    .ignore()
    .returning('event_id');
  return inserted.length > 0;
}
