// What a partner's own accounting reads (issue 16): the amounts owed to it (its unpaid commissions per
// case and currency, summed by the ledger a page at a time), and CSV exports of those and of its
// payments of a date range. Every read names the caller's partner id: another partner's data is never
// in it. The exports stream: the ledger is asked a bounded page at a time and each page is written out
// before the next is asked for, so a large export holds one page in memory, never the whole file.
import { Readable } from 'node:stream';
import { currencyDigits, toMajorText, validationError } from '@pp/domain';
import { answerDate } from '@pp/events';
import type { ledgerV1 } from '@pp/proto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import * as api from '../api';
import { callCtx, partnerOf, type GatewayContext } from '../context';
import { csvLine, number, text, type CsvCell } from '../csv';
import { money } from '../mappers';

/** Rows asked of the ledger per round trip of an export. */
const EXPORT_PAGE = 500;

const amount = (minor: string, currency: string) => number(toMajorText(BigInt(minor || '0'), currencyDigits(currency)));
const flag = (b: boolean) => text(b ? 'true' : 'false');

function owedJson(o: ledgerV1.OwedCommission__Output) {
  return {
    caseId: o.caseId,
    caseReference: o.caseReference,
    currency: o.currency,
    amountOwed: money(o.amountOwed, o.currency),
    paymentCount: o.paymentCount,
    oldestPaymentDate: answerDate(o.oldestPaymentDate),
    isTestCase: o.isTest,
  };
}

const owedRow = (o: ledgerV1.OwedCommission__Output): CsvCell[] => [
  text(o.caseId),
  text(o.caseReference),
  flag(o.isTest),
  text(o.currency),
  amount(o.amountOwed, o.currency),
  number(String(o.paymentCount)),
  text(o.oldestPaymentDate),
];

function paymentRow(e: ledgerV1.ExportedPayment__Output): CsvCell[] {
  const p = e.payment;
  if (!p) throw new Error('ExportPayments answered a row without its payment');
  return [
    text(p.id),
    text(p.caseId),
    text(e.caseReference),
    flag(e.isTest),
    text(p.date),
    text(p.currency),
    amount(p.amount, p.currency),
    text(p.recipient),
    text(p.commissionStatus),
    amount(p.payoutCreditor, p.currency),
    amount(p.payoutCollectionPartner, p.currency),
    amount(p.platformFee, p.currency),
    flag(p.invoiceId !== ''),
    text(p.invoiceId),
    text(p.createdAt),
    text(p.updatedAt),
  ];
}

/**
 * Sends a CSV file whose pages come from `next` (undefined: no more). The first page is read before
 * anything is sent, so a refusal or an unavailable ledger still answers with its status and error body.
 */
async function sendCsv<P>(
  req: FastifyRequest,
  reply: FastifyReply,
  file: { name: string; header: readonly string[] },
  first: P,
  pages: { rows: (page: P) => CsvCell[][]; next: (page: P) => Promise<P | undefined> },
): Promise<FastifyReply> {
  async function* lines(): AsyncGenerator<string> {
    yield csvLine(file.header.map(text));
    let page: P | undefined = first;
    while (page !== undefined) {
      for (const row of pages.rows(page)) yield csvLine(row);
      page = await pages.next(page).catch((error: unknown) => {
        // the status line went out with the first rows: all that is left is to end the body early
        req.log.error({ err: error }, 'CSV export failed after its first rows; the body ends early');
        throw error;
      });
    }
  }
  return reply.type('text/csv; charset=utf-8').header('content-disposition', `attachment; filename="${file.name}"`).send(Readable.from(lines()));
}

export function partnerMoneyRoutes(app: FastifyInstance, ctx: GatewayContext): void {
  app.get('/commissions/owed', async (req) => {
    const partner = partnerOf(req);
    const query = api.listOwedCommissions.readQuery(req.query);
    const [page, pageSize, includeTestCases] = [query.get('Page'), query.get('PageSize'), query.get('includeTestCases')];
    const out = await ctx.ledger.ListOwedCommissions({ partnerId: partner.id, page, pageSize, includeTestCases, afterReference: '' }, callCtx(req));
    return {
      page: { totalResults: out.totalResults, pageSize, currentPage: page, responseCount: out.owed.length, totalPages: Math.ceil(out.totalResults / pageSize) },
      owed: out.owed.map(owedJson),
      totals: out.totals.map((t) => ({
        currency: t.currency,
        amountOwed: money(t.amountOwed, t.currency),
        paymentCount: t.paymentCount,
        caseCount: t.caseCount,
      })),
    };
  });

  app.get('/commissions/owed/export', async (req, reply) => {
    const partner = partnerOf(req);
    const includeTestCases = api.exportOwedCommissions.readQuery(req.query).get('includeTestCases');
    // walked by keyset (case reference), not by page number: a case settled meanwhile shifts no row
    const ask = (afterReference: string) =>
      ctx.ledger.ListOwedCommissions({ partnerId: partner.id, page: 1, pageSize: EXPORT_PAGE, includeTestCases, afterReference }, callCtx(req));
    const first = await ask('');
    return sendCsv(req, reply, { name: 'commissions-owed.csv', header: api.OWED_CSV_COLUMNS }, first, {
      rows: (page) => page.owed.map(owedRow),
      next: async (page) => {
        const last = page.owed.at(-1);
        return page.owed.length === EXPORT_PAGE && last ? ask(last.caseReference) : undefined;
      },
    });
  });

  app.get('/payments/export', async (req, reply) => {
    const partner = partnerOf(req);
    const query = api.exportPayments.readQuery(req.query);
    const [dateFrom, dateTo, includeTestCases] = [query.get('dateFrom'), query.get('dateTo'), query.get('includeTestCases')];
    if (dateFrom !== undefined && dateTo !== undefined && dateTo < dateFrom)
      throw validationError([{ field: 'dateTo', message: 'dateTo: must not be before dateFrom' }]);
    const ask = (afterKey: string) =>
      ctx.ledger.ExportPayments(
        { partnerId: partner.id, dateFrom: dateFrom ?? '', dateTo: dateTo ?? '', includeTestCases, afterKey, limit: EXPORT_PAGE },
        callCtx(req),
      );
    const first = await ask('');
    const name = `payments-${dateFrom ?? 'start'}-${dateTo ?? 'end'}.csv`;
    return sendCsv(req, reply, { name, header: api.PAYMENT_CSV_COLUMNS }, first, {
      rows: (page) => page.payments.map(paymentRow),
      next: async (page) => (page.nextKey === '' ? undefined : ask(page.nextKey)),
    });
  });
}
