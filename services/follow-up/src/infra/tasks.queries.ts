import { readPage, type PageWindow, type Queryable } from '@pp/platform';
import { SCHEMA } from '../migrations';

export interface TaskRow {
  id: string;
  type: string;
  status: string;
  case_id: string;
  partner_id: string;
  payment_id: string;
  amount_owed: string;
  currency: string;
  due_at: Date;
  reminder_count: number;
  created_at: Date;
  completed_at: Date | null;
}

const tasks = (db: Queryable) => db.withSchema(SCHEMA).table('tasks');

export async function insertTask(db: Queryable, row: TaskRow): Promise<void> {
  await tasks(db).insert(row).onConflict(db.raw("(payment_id) WHERE type = 'InvoiceClient'")).ignore();
}

/** Newest first, id breaking the tie (the order of the index tasks_partner_list); one page of them with a window. */
export async function listTasks(
  db: Queryable,
  partnerId: string,
  filter: { caseId?: string; status?: string },
  window?: PageWindow,
): Promise<{ rows: TaskRow[]; total: number }> {
  const q = tasks(db).where('partner_id', partnerId);
  if (filter.caseId) q.where('case_id', filter.caseId);
  if (filter.status) q.where('status', filter.status);
  q.orderBy([
    { column: 'created_at', order: 'desc' },
    { column: 'id', order: 'desc' },
  ]);
  return readPage<TaskRow>(q, window);
}

export async function openTasksOfPayment(db: Queryable, paymentId: string): Promise<TaskRow[]> {
  return tasks(db).where({ payment_id: paymentId, status: 'Open' }).forUpdate().select<TaskRow[]>();
}

export async function updateTask(db: Queryable, id: string, changes: Partial<TaskRow>): Promise<void> {
  await tasks(db).where('id', id).update(changes);
}

export async function purge(db: Queryable, partnerId: string, caseIds: readonly string[]): Promise<number> {
  if (caseIds.length === 0) return 0;
  return tasks(db).where('partner_id', partnerId).whereIn('case_id', caseIds).delete();
}

/** Opens (or reopens) the payment's one task of this type. */
export async function openTask(db: Queryable, row: TaskRow): Promise<void> {
  await tasks(db)
    .insert(row)
    .onConflict(db.raw(`(payment_id) WHERE type = '${row.type === 'ChaseClient' ? 'ChaseClient' : 'InvoiceClient'}'`))
    .merge({ status: 'Open', due_at: row.due_at, amount_owed: row.amount_owed, completed_at: null });
}

export async function setTaskStatus(db: Queryable, paymentId: string, from: { type?: string; status: string }, changes: Partial<TaskRow>): Promise<void> {
  const q = tasks(db).where({ payment_id: paymentId, status: from.status });
  if (from.type) q.where('type', from.type);
  await q.update(changes);
}

export async function setAmountOwed(db: Queryable, paymentId: string, amountOwed: string): Promise<void> {
  await tasks(db).where('payment_id', paymentId).update({ amount_owed: amountOwed });
}

export async function countReminder(db: Queryable, paymentId: string, reminderCount: number, dueAt: Date): Promise<void> {
  await tasks(db).where({ payment_id: paymentId, type: 'ChaseClient' }).update({ reminder_count: reminderCount, due_at: dueAt });
}
