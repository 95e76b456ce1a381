// Operator API: the revenue-share invoices of earlier invoicing runs (issue 15), read from the ledger
// that made them: a page of them, one with its payouts, and one as a CSV file.
import type { FastifyInstance } from 'fastify';
import { findPartner } from '../../infra/partners.queries';
import * as api from '../api';
import { callCtx, type GatewayContext } from '../context';
import { pathId } from '../ids';
import { invoiceCsv, invoiceJson, invoiceWithPayoutsJson } from '../invoices';

type IdParams = { Params: { id: string } };

export function adminInvoiceRoutes(app: FastifyInstance, ctx: GatewayContext): void {
  app.get('/admin/invoices', { config: { auth: 'operator' } }, async (req) => {
    // the first bad parameter answers at once (queryFailFast)
    const query = api.listInvoices.readQuery(req.query);
    const [partnerId, currency, page, pageSize] = [query.get('PartnerId'), query.get('Currency'), query.get('Page'), query.get('PageSize')];
    const out = await ctx.ledger.ListInvoices({ partnerId: partnerId?.toLowerCase() ?? '', currency: currency ?? '', page, pageSize }, callCtx(req));
    return {
      page: {
        totalResults: out.totalResults,
        pageSize,
        currentPage: page,
        responseCount: out.invoices.length,
        totalPages: Math.ceil(out.totalResults / pageSize),
      },
      invoices: out.invoices.map(invoiceJson),
    };
  });

  app.get<IdParams>('/admin/invoices/:id', { config: { auth: 'operator' } }, async (req) => {
    const out = await ctx.ledger.GetInvoice({ id: pathId(req.params.id, 'InvoiceNotFound') }, callCtx(req));
    return invoiceWithPayoutsJson(out);
  });

  app.get<IdParams>('/admin/invoices/:id/csv', { config: { auth: 'operator' } }, async (req, reply) => {
    const id = pathId(req.params.id, 'InvoiceNotFound');
    const out = await ctx.ledger.GetInvoice({ id }, callCtx(req));
    const partner = out.invoice ? await findPartner(ctx.db, out.invoice.partnerId) : undefined;
    return reply
      .type('text/csv; charset=utf-8')
      .header('content-disposition', `attachment; filename="invoice-${id}.csv"`)
      .send(invoiceCsv(out, partner?.company_name ?? ''));
  });
}
