// A partner's money reports (issue 16): what it is owed (unpaid commissions per case and currency, a page
// at a time or walked by keyset for the CSV), and its payments of a date range for export. Reads of
// committed rows: no lock, one statement each.
import { DomainError } from '@pp/domain';
import * as q from '../infra/partner-reports.queries';
import type { LedgerContext } from './context';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const REFERENCE = /^[A-Z0-9]{0,8}$/;
/** The gateway asks for at most 100 a page, the CSV walks in 500s: a caller asking for more is cut. */
const MAX_OWED_PAGE = 500;
const MAX_EXPORT_PAGE = 1000;

const invalid = (field: string, message: string) => new DomainError('ValidationError', message, field);

function checkedPartner(partnerId: string): string {
  if (!UUID.test(partnerId)) throw invalid('partnerId', 'must be a UUID');
  return partnerId.toLowerCase();
}

export interface OwedQuery {
  partnerId: string;
  page: number;
  pageSize: number;
  includeTestCases: boolean;
  /** '' = by page; else the cases after this reference */
  afterReference: string;
}

export async function listOwedCommissions(ctx: LedgerContext, query: OwedQuery): Promise<q.OwedPage> {
  const partnerId = checkedPartner(query.partnerId);
  if (!REFERENCE.test(query.afterReference)) throw invalid('afterReference', 'must be a case reference');
  const keyset = query.afterReference !== '';
  if (!keyset && (!Number.isInteger(query.page) || query.page < 1)) throw invalid('page', 'must be an integer from 1');
  if (!Number.isInteger(query.pageSize) || query.pageSize < 1) throw invalid('pageSize', 'must be an integer from 1');
  const limit = Math.min(query.pageSize, MAX_OWED_PAGE);
  return q.owedCommissions(ctx.db, partnerId, {
    includeTest: query.includeTestCases,
    afterReference: query.afterReference,
    offset: keyset ? 0 : (query.page - 1) * limit,
    limit,
  });
}

export interface ExportQuery {
  partnerId: string;
  /** '' = no bound */
  dateFrom: string;
  dateTo: string;
  includeTestCases: boolean;
  /** '' = the first page; else the next_key of the previous one */
  afterKey: string;
  limit: number;
}

/** One page of the export and the key of the next ('' when this was the last). */
export async function exportPayments(ctx: LedgerContext, query: ExportQuery): Promise<{ rows: q.ExportedPaymentRow[]; nextKey: string }> {
  const partnerId = checkedPartner(query.partnerId);
  if (query.dateFrom !== '' && !DATE.test(query.dateFrom)) throw invalid('dateFrom', 'must be a date YYYY-MM-DD');
  if (query.dateTo !== '' && !DATE.test(query.dateTo)) throw invalid('dateTo', 'must be a date YYYY-MM-DD');
  const after = parseKey(query.afterKey);
  const limit = Math.min(Math.max(query.limit, 1), MAX_EXPORT_PAGE);
  const rows = await q.paymentsInRange(ctx.db, partnerId, { from: query.dateFrom, to: query.dateTo, includeTest: query.includeTestCases }, after, limit);
  const last = rows.at(-1);
  return { rows, nextKey: rows.length === limit && last ? `${last.date}|${last.id}` : '' };
}

function parseKey(key: string): { date: string; id: string } | undefined {
  if (key === '') return undefined;
  const [date, id, ...rest] = key.split('|');
  if (rest.length > 0 || !date || !id || !DATE.test(date) || !UUID.test(id)) throw invalid('afterKey', 'must be the nextKey of the previous page');
  return { date, id: id.toLowerCase() };
}
