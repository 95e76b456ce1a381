// Partners, their API keys and the operator's audit trail: the gateway's own tables (migrations.ts).
import type { Queryable } from '@pp/platform';
import { SCHEMA } from '../migrations';
import type { PartnerRow } from './gateway.queries';

export interface PartnerAccountRow extends PartnerRow {
  active: boolean;
  created_at: Date;
  updated_at: Date;
}

export interface ApiKeyRow {
  id: string;
  partner_id: string;
  prefix: string | null;
  created_at: Date;
  last_used_at: Date | null;
}

export interface OperatorAuditRow {
  id: string;
  at: Date;
  operator: string;
  operation: string;
  method: string;
  path: string;
  target_id: string | null;
  request: string | null;
  status_code: number | null;
  completed_at: Date | null;
}

const t = (db: Queryable, table: string) => db.withSchema(SCHEMA).table(table);
const PARTNER_COLUMNS = ['id', 'company_name', 'office_email', 'pre_legal_share_ppm', 'legal_share_ppm', 'active', 'created_at', 'updated_at'];
const KEY_COLUMNS = ['id', 'partner_id', 'prefix', 'created_at', 'last_used_at'];

export async function insertPartner(db: Queryable, row: PartnerRow): Promise<void> {
  await t(db, 'partners').insert(row);
}

export async function findPartner(db: Queryable, id: string): Promise<PartnerAccountRow | undefined> {
  return t(db, 'partners').select(PARTNER_COLUMNS).where('id', id).first<PartnerAccountRow | undefined>();
}

/** Locks the partner's row: key changes and deactivation of one partner are serialised by it. */
export async function lockPartner(db: Queryable, id: string): Promise<PartnerAccountRow | undefined> {
  return t(db, 'partners').select(PARTNER_COLUMNS).where('id', id).forUpdate().first<PartnerAccountRow | undefined>();
}

export async function listPartners(db: Queryable, page: { offset: number; limit: number }): Promise<{ total: number; rows: PartnerAccountRow[] }> {
  const [count] = await t(db, 'partners').count<{ n: string }[]>({ n: '*' });
  const rows = await t(db, 'partners')
    .select(PARTNER_COLUMNS)
    .orderBy([{ column: 'created_at' }, { column: 'id' }])
    .offset(page.offset)
    .limit(page.limit);
  return { total: Number(count?.n ?? 0), rows: rows as PartnerAccountRow[] };
}

export async function updatePartner(
  db: Queryable,
  id: string,
  changes: Partial<Pick<PartnerAccountRow, 'company_name' | 'office_email' | 'pre_legal_share_ppm' | 'legal_share_ppm' | 'active'>>,
): Promise<PartnerAccountRow | undefined> {
  const [row] = (await t(db, 'partners')
    .where('id', id)
    .update({ ...changes, updated_at: db.fn.now() })
    .returning(PARTNER_COLUMNS)) as PartnerAccountRow[];
  return row;
}

/**
 * The active partner of a key that is neither revoked nor of a deactivated partner, marking the key used.
 * Runs once per key and replica per cache period (../app/partner-keys.ts), so `last_used_at` is exact to that period.
 */
export async function authenticate(db: Queryable, keyHash: string): Promise<{ partner: PartnerRow; keyId: string } | undefined> {
  const result = await db.raw<{ rows: (PartnerRow & { key_id: string })[] }>(
    `UPDATE ??.api_keys k SET last_used_at = now()
       FROM ??.partners p
      WHERE k.key_hash = ? AND k.revoked_at IS NULL AND p.id = k.partner_id AND p.active
  RETURNING p.id, p.company_name, p.office_email, p.pre_legal_share_ppm, p.legal_share_ppm, k.id AS key_id`,
    [SCHEMA, SCHEMA, keyHash],
  );
  const row = result.rows[0];
  if (!row) return undefined;
  const { key_id: keyId, ...partner } = row;
  return { partner, keyId };
}

export async function insertKey(db: Queryable, row: { id: string; partner_id: string; key_hash: string; prefix: string }): Promise<ApiKeyRow> {
  const [created] = (await t(db, 'api_keys').insert(row).returning(KEY_COLUMNS)) as ApiKeyRow[];
  return created!;
}

export async function listKeys(db: Queryable, partnerId: string): Promise<ApiKeyRow[]> {
  return (await t(db, 'api_keys')
    .select(KEY_COLUMNS)
    .where({ partner_id: partnerId })
    .whereNull('revoked_at')
    .orderBy([{ column: 'created_at' }, { column: 'id' }])) as ApiKeyRow[];
}

/** Revokes a live key of the partner; its hash (for the caches to forget), or undefined when there is none. */
export async function revokeKey(db: Queryable, partnerId: string, keyId: string): Promise<string | undefined> {
  const [row] = (await t(db, 'api_keys')
    .where({ id: keyId, partner_id: partnerId })
    .whereNull('revoked_at')
    .update({ revoked_at: db.fn.now() })
    .returning(['key_hash'])) as { key_hash: string }[];
  return row?.key_hash;
}

export async function startAudit(db: Queryable, row: Omit<OperatorAuditRow, 'at' | 'status_code' | 'completed_at'>): Promise<void> {
  await t(db, 'operator_audit').insert(row);
}

export async function completeAudit(db: Queryable, id: string, statusCode: number, targetId: string | null): Promise<void> {
  const changes: Record<string, unknown> = { status_code: statusCode, completed_at: db.fn.now() };
  if (targetId) changes.target_id = targetId;
  await t(db, 'operator_audit').where({ id }).update(changes);
}

export async function listAudit(
  db: Queryable,
  filter: { targetId?: string; offset: number; limit: number },
): Promise<{ total: number; rows: OperatorAuditRow[] }> {
  const scoped = () => {
    const query = t(db, 'operator_audit');
    return filter.targetId ? query.where('target_id', filter.targetId) : query;
  };
  const [count] = await scoped().count<{ n: string }[]>({ n: '*' });
  const rows = await scoped()
    .select('*')
    .orderBy([
      { column: 'at', order: 'desc' },
      { column: 'id', order: 'desc' },
    ])
    .offset(filter.offset)
    .limit(filter.limit);
  return { total: Number(count?.n ?? 0), rows: rows as OperatorAuditRow[] };
}
