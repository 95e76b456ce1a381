// SQL of the follow-up state, its durable timers and its outgoing mail.
import type { FollowUpState, TimerKind } from '@pp/domain';
import type { Queryable } from '@pp/platform';
import { SCHEMA } from '../migrations';

export interface FollowUpRow {
  payment_id: string;
  case_id: string;
  partner_id: string;
  case_reference: string;
  notify_email: string;
  currency: string;
  amount_owed: string;
  stage: string;
  generation: number;
  reminders: number;
  escalated: boolean;
  updated_at: Date;
}

export interface TimerRow {
  id: string;
  payment_id: string;
  kind: TimerKind;
  generation: number;
  step: number;
  due_at: Date;
  fired_at: Date | null;
}

export interface EmailRow {
  id: string;
  step_id: string;
  partner_id: string;
  /** null on a notice that belongs to no case (a disabled webhook subscription) */
  case_id: string | null;
  payment_id: string | null;
  kind: string;
  to: string;
  subject: string;
  text: string;
  attempts: number;
  next_attempt_at: Date;
  last_error: string | null;
  created_at: Date;
  sent_at: Date | null;
}

const table = (db: Queryable, name: string) => db.withSchema(SCHEMA).table(name);

export const stateOf = (row: FollowUpRow): FollowUpState => ({
  stage: row.stage as FollowUpState['stage'],
  generation: row.generation,
  reminders: row.reminders,
  escalated: row.escalated,
});

/** Creates the follow-up row when missing and locks it: every input of one payment is serialised here. */
export async function lockFollowUp(db: Queryable, row: FollowUpRow): Promise<FollowUpRow> {
  await table(db, 'followups').insert(row).onConflict('payment_id').ignore();
  const locked = await table(db, 'followups').where('payment_id', row.payment_id).forUpdate().first<FollowUpRow | undefined>();
  if (!locked) throw new Error(`follow-up ${row.payment_id} vanished`);
  return locked;
}

export async function lockExistingFollowUp(db: Queryable, paymentId: string): Promise<FollowUpRow | undefined> {
  return table(db, 'followups').where('payment_id', paymentId).forUpdate().first<FollowUpRow | undefined>();
}

export async function saveFollowUp(db: Queryable, paymentId: string, changes: Partial<FollowUpRow>): Promise<void> {
  await table(db, 'followups').where('payment_id', paymentId).update(changes);
}

export async function insertTimer(db: Queryable, row: Omit<TimerRow, 'fired_at'>): Promise<void> {
  await table(db, 'timers').insert(row).onConflict(['payment_id', 'kind', 'generation', 'step']).ignore();
}

/** Due timers, locked so that no other replica claims them in the meantime. */
export async function claimDueTimers(db: Queryable, now: Date, limit: number): Promise<TimerRow[]> {
  return table(db, 'timers').whereNull('fired_at').where('due_at', '<=', now).orderBy('due_at').limit(limit).forUpdate().skipLocked().select<TimerRow[]>();
}

export async function markTimersFired(db: Queryable, ids: readonly string[], now: Date): Promise<void> {
  if (ids.length > 0) await table(db, 'timers').whereIn('id', ids).update({ fired_at: now });
}

export async function timerBacklog(db: Queryable, now: Date): Promise<number> {
  const [row] = await table(db, 'timers').whereNull('fired_at').where('due_at', '<=', now).count<{ count: string }[]>({ count: '*' });
  return Number(row?.count ?? 0);
}

export async function insertEmail(db: Queryable, row: Omit<EmailRow, 'attempts' | 'last_error' | 'sent_at'>): Promise<void> {
  await table(db, 'emails').insert(row).onConflict('step_id').ignore();
}

/** Claims unsent mail that is due: the lease (next_attempt_at moved forward) keeps other senders off. */
export async function leaseDueEmails(db: Queryable, now: Date, leaseMs: number, limit: number): Promise<EmailRow[]> {
  const due = await table(db, 'emails')
    .whereNull('sent_at')
    .where('next_attempt_at', '<=', now)
    .orderBy('next_attempt_at')
    .limit(limit)
    .forUpdate()
    .skipLocked()
    .select<EmailRow[]>();
  if (due.length === 0) return [];
  await table(db, 'emails')
    .whereIn(
      'id',
      due.map((e) => e.id),
    )
    .update({ next_attempt_at: new Date(now.getTime() + leaseMs), attempts: db.raw('attempts + 1') });
  return due.map((e) => ({ ...e, attempts: e.attempts + 1 }));
}

export async function markEmail(db: Queryable, id: string, changes: Pick<Partial<EmailRow>, 'sent_at' | 'next_attempt_at' | 'last_error'>): Promise<void> {
  await table(db, 'emails').where('id', id).update(changes);
}

export async function listEmails(db: Queryable, partnerId: string, limit: number): Promise<EmailRow[]> {
  const q = table(db, 'emails');
  if (partnerId) q.where('partner_id', partnerId);
  return q
    .orderBy([
      { column: 'created_at', order: 'desc' },
      { column: 'step_id', order: 'desc' },
    ])
    .limit(limit)
    .select<EmailRow[]>();
}

export async function purgeFollowUps(db: Queryable, paymentIdsOfCases: { partnerId: string; caseIds: readonly string[] }): Promise<void> {
  if (paymentIdsOfCases.caseIds.length === 0) return;
  const payments = table(db, 'followups').where('partner_id', paymentIdsOfCases.partnerId).whereIn('case_id', paymentIdsOfCases.caseIds).select('payment_id');
  await table(db, 'timers').whereIn('payment_id', payments.clone()).delete();
  await table(db, 'emails').where('partner_id', paymentIdsOfCases.partnerId).whereIn('case_id', paymentIdsOfCases.caseIds).delete();
  await table(db, 'followups').where('partner_id', paymentIdsOfCases.partnerId).whereIn('case_id', paymentIdsOfCases.caseIds).delete();
}
