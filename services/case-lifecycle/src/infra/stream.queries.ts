// The partner's event stream (issue 16): the public event log read in the order its transactions
// finished, and within a transaction by case and sequence. A position is (transaction id, case id, sequence). Events of a transaction still running, or of one
// younger than a running one, are held back until every older transaction has finished
// (pg_snapshot_xmin), so a reader that moves its position forward never skips an event that commits
// after it has read: a later transaction always gets a larger id than the xmin a reader saw.
import type { Queryable } from '@pp/platform';
import { SCHEMA } from '../migrations';

export interface StreamPosition {
  readonly tx: string;
  readonly caseId: string;
  readonly sequence: number;
}

export interface StreamEventRow {
  id: string;
  case_id: string;
  type: string;
  is_test: boolean;
  data: unknown;
  created_at: Date;
  tx: string;
  sequence: number;
}

const BEFORE_ANY = '00000000-0000-0000-0000-000000000000';

/** Where a new reader starts: after everything already finished (it sees only what comes next). */
export async function currentPosition(db: Queryable): Promise<StreamPosition> {
  const result = await db.raw<{ rows: { tx: string }[] }>(`SELECT pg_snapshot_xmin(pg_current_snapshot())::text AS tx`);
  return { tx: result.rows[0]!.tx, caseId: BEFORE_ANY, sequence: 0 };
}

/** Up to `limit` finished events of the partner after `after`, oldest first. */
export async function eventsAfter(db: Queryable, partnerId: string, isTest: boolean, after: StreamPosition, limit: number): Promise<StreamEventRow[]> {
  const result = await db.raw<{ rows: StreamEventRow[] }>(
    `SELECT id, case_id, type, is_test, data, created_at, tx::text AS tx, sequence
       FROM ??.case_events
      WHERE partner_id = ? AND is_test = ?
        AND tx < pg_snapshot_xmin(pg_current_snapshot())
        AND (tx, case_id, sequence) > (?::xid8, ?::uuid, ?::integer)
      ORDER BY tx, case_id, sequence
      LIMIT ?`,
    [SCHEMA, partnerId, isTest, after.tx, after.caseId, after.sequence, limit],
  );
  return result.rows;
}
