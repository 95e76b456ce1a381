// All SQL of the cases aggregate and the public event log.
import type { Queryable } from '@pp/platform';
import { SCHEMA } from '../migrations';

export interface Party {
  companyName?: string;
  officeEmail?: string;
  type?: string;
  name?: string;
}

export interface CaseRow {
  id: string;
  partner_id: string;
  reference: string;
  is_test: boolean;
  /** created by the partner itself (POST /managed-cases) */
  managed: boolean;
  lifecycle: string;
  close_code: string | null;
  currency: string;
  gross_amount: string;
  interest_fees: string;
  reminder_fees: string;
  collection_fees: string;
  success_fee_ppm: string;
  engagement_phase: string;
  creditor_reference: string | null;
  creditor: Party | null;
  debtor: Party | null;
  /** the claim's calendar dates (YYYY-MM-DD: date columns are read as text, platform db.ts) */
  date: string | null;
  due_date: string | null;
  creditor_id: string;
  /** as given at creation, else assigned by the platform */
  debtor_id: string;
  tag: string | null;
  event_sequence: number;
  /** the ledger account's updatedAt of the lifecycle last mirrored */
  ledger_seen_at: Date | null;
  /** the ledger's remainder in major units, a copy for sorting (NULL until known) */
  remainder: string | null;
  /** when the ledger event that gave `remainder` happened (NULL: from the case's creation) */
  remainder_at: Date | null;
  created_at: Date;
  updated_at: Date;
  finished_at: Date | null;
}

const cases = (db: Queryable) => db.withSchema(SCHEMA).table('cases');

export async function insertCase(
  db: Queryable,
  row: Omit<CaseRow, 'event_sequence' | 'finished_at' | 'close_code' | 'ledger_seen_at' | 'remainder_at'>,
): Promise<void> {
  await cases(db).insert({ ...row, creditor: row.creditor ? JSON.stringify(row.creditor) : null, debtor: row.debtor ? JSON.stringify(row.debtor) : null });
}

export async function findCase(db: Queryable, partnerId: string, caseId: string): Promise<CaseRow | undefined> {
  return cases(db).where({ id: caseId, partner_id: partnerId }).first<CaseRow | undefined>();
}

/** A case of the partner by the reference printed on its letters; another partner's answers nothing. */
export async function findCaseByReference(db: Queryable, partnerId: string, reference: string): Promise<CaseRow | undefined> {
  return cases(db).where({ reference, partner_id: partnerId }).first<CaseRow | undefined>();
}

export async function lockCaseById(db: Queryable, caseId: string): Promise<CaseRow | undefined> {
  return cases(db).where({ id: caseId }).forUpdate().first<CaseRow | undefined>();
}

/** The orders of a case list (SPEC §10 `Sort`): a column and a direction; the id breaks ties. */
export const CASE_SORTS = {
  dateCreated: ['created_at', 'asc'],
  '-dateCreated': ['created_at', 'desc'],
  dateUpdated: ['updated_at', 'asc'],
  '-dateUpdated': ['updated_at', 'desc'],
  remainder: ['remainder', 'asc'],
  '-remainder': ['remainder', 'desc'],
  reference: ['reference', 'asc'],
  '-reference': ['reference', 'desc'],
} as const satisfies Record<string, readonly [string, 'asc' | 'desc']>;
export type CaseSort = keyof typeof CASE_SORTS;

export interface CaseListFilter {
  statuses: string[];
  includeTest: boolean;
  page: number;
  pageSize: number;
  managedOnly?: boolean;
  /** only these cases (none: any) */
  ids?: string[];
  /** only the cases of these debtors (none: any) */
  debtorIds?: string[];
  sort?: CaseSort;
  /** the ledger's current lifecycle of cases it changed lately: `statuses` takes these over the copy */
  lifecycleOverrides?: readonly { caseId: string; lifecycle: string }[];
}

export async function listCases(db: Queryable, partnerId: string, filter: CaseListFilter): Promise<{ rows: CaseRow[]; total: number }> {
  const base = () => {
    const q = cases(db).where('partner_id', partnerId);
    if (filter.managedOnly) q.where('managed', true);
    else if (!filter.includeTest) q.where('is_test', false);
    if (filter.statuses.length > 0) {
      const overridden = filter.lifecycleOverrides ?? [];
      if (overridden.length === 0) q.whereIn('lifecycle', filter.statuses);
      else {
        // the copy may not have applied the ledger's latest change of these cases yet: the ledger's value counts
        const matching = overridden.filter((o) => filter.statuses.includes(o.lifecycle)).map((o) => o.caseId);
        q.where((w) => {
          w.where((copy) =>
            copy
              .whereNotIn(
                'id',
                overridden.map((o) => o.caseId),
              )
              .whereIn('lifecycle', filter.statuses),
          );
          if (matching.length > 0) w.orWhereIn('id', matching);
        });
      }
    }
    if (filter.ids && filter.ids.length > 0) q.whereIn('id', filter.ids);
    if (filter.debtorIds && filter.debtorIds.length > 0) q.whereIn('debtor_id', filter.debtorIds);
    return q;
  };
  const [column, order] = CASE_SORTS[filter.sort ?? '-dateCreated'];
  const [count] = await base().count<{ count: string }[]>({ count: '*' });
  const rows = await base()
    // a remainder not known yet (a case from before the copy existed, until it is filled) sorts last; the
    // other columns are never NULL, and a NULLS clause there would keep cases_partner_created from giving the order
    .orderBy([column === 'remainder' ? { column, order, nulls: 'last' as const } : { column, order }, { column: 'id', order }])
    .limit(filter.pageSize)
    .offset((filter.page - 1) * filter.pageSize)
    .select<CaseRow[]>();
  return { rows, total: Number(count?.count ?? 0) };
}

export async function partnerOfCase(db: Queryable, caseId: string): Promise<string | undefined> {
  const row = await cases(db).where({ id: caseId }).first<{ partner_id: string } | undefined>('partner_id');
  return row?.partner_id;
}

/** What a ledger event tells about a case besides its lifecycle: the remainder after it, and when. */
export interface LedgerFacts {
  /** major units, as a decimal string */
  readonly remainder: string;
  readonly at: Date;
}

/**
 * The columns a ledger event updates: the remainder copy unless a newer event gave it already, and
 * `updated_at`, which never goes back. One UPDATE with the sequence, so mirroring costs no statement more.
 */
function ledgerColumns(db: Queryable, facts: LedgerFacts | undefined) {
  if (!facts) return {};
  const newer = 'remainder_at IS NULL OR remainder_at <= ?';
  return {
    remainder: db.raw(`CASE WHEN ${newer} THEN ?::numeric ELSE remainder END`, [facts.at, facts.remainder]),
    remainder_at: db.raw(`CASE WHEN ${newer} THEN ?::timestamptz ELSE remainder_at END`, [facts.at, facts.at]),
    updated_at: db.raw('GREATEST(updated_at, ?::timestamptz)', [facts.at]),
  };
}

export async function setLifecycle(
  db: Queryable,
  caseId: string,
  changes: { lifecycle: string; close_code: string | null; finished_at: Date | null; event_sequence: number; ledger_seen_at?: Date },
  facts?: LedgerFacts,
): Promise<void> {
  await cases(db)
    .where('id', caseId)
    .update({ ...changes, ...ledgerColumns(db, facts), updated_at: new Date() });
}

export async function bumpSequence(db: Queryable, caseId: string, sequence: number, facts?: LedgerFacts): Promise<void> {
  await cases(db)
    .where('id', caseId)
    .update({ event_sequence: sequence, ...ledgerColumns(db, facts) });
}

export async function insertCaseEvent(
  db: Queryable,
  e: { id: string; case_id: string; partner_id: string; type: string; sequence: number; is_test: boolean; data: unknown; created_at: Date },
): Promise<void> {
  await db
    .withSchema(SCHEMA)
    .table('case_events')
    .insert({ ...e, data: JSON.stringify(e.data) });
}

export async function findTestCaseIds(db: Queryable, partnerId: string, by: { caseId?: string; tag?: string }): Promise<{ id: string; is_test: boolean }[]> {
  const q = cases(db).where('partner_id', partnerId);
  if (by.caseId) q.where('id', by.caseId);
  else q.where('tag', by.tag ?? '').where('is_test', true);
  return q.select<{ id: string; is_test: boolean }[]>('id', 'is_test');
}

export async function deleteCases(db: Queryable, partnerId: string, ids: readonly string[]): Promise<number> {
  if (ids.length === 0) return 0;
  await db.withSchema(SCHEMA).table('case_events').whereIn('case_id', ids).delete();
  return cases(db).where('partner_id', partnerId).where('is_test', true).whereIn('id', ids).delete();
}
