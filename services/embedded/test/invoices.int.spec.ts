// Issue 15 on the embedded default (one process, PGlite, the in-process bus): an invoicing run, then its
// invoice read back as a list, with its payouts, and as CSV. The same code as the distributed stack
// (services/gateway/test/admin-invoices.int.spec.ts covers the rules); this proves PGlite runs its SQL.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Api, startEmbedded, type RunningEmbedded } from '@pp/testing';

const ADMIN = 'embedded-admin-key';
let embedded: RunningEmbedded;
let api: Api;

beforeAll(async () => {
  embedded = await startEmbedded({ env: { ADMIN_API_KEY: ADMIN } });
  api = new Api(embedded.url, ADMIN);
});

afterAll(async () => {
  await embedded?.stop();
});

describe('invoices on the embedded default', () => {
  it('reads back the invoices of a run: the list, one with its payouts, its CSV', async () => {
    const partner = await api.newPartner('Embedded Invoices');
    const c = await api.newCase(partner.id, { currency: 'KWD', grossAmount: 100 });
    const paid = await api.expect<{ paymentId: string }>(200, 'POST', `/cases/${c.id}/payments`, {
      key: partner.apiKey,
      body: { date: '2026-11-01', paymentAmount: 10.125, paymentRecipient: 'CollectionPartner' },
    });
    const run = await api.expect<{ invoices: { id: string }[] }>(200, 'POST', '/admin/invoicing-runs', { key: ADMIN, body: { partnerId: partner.id } });
    const id = run.invoices[0]!.id;

    const list = await api.expect<{ page: unknown; invoices: unknown[] }>(200, 'GET', `/admin/invoices?PartnerId=${partner.id}`, { key: ADMIN });
    expect(list.page).toEqual({ totalResults: 1, pageSize: 10, currentPage: 1, responseCount: 1, totalPages: 1 });
    expect(list.invoices).toEqual([
      { id, partnerId: partner.id, currency: 'KWD', totalPlatformFee: 0.81, payoutCount: 1, createdAt: expect.stringMatching(/Z$/) },
    ]);

    const invoice = await api.expect<{ payouts: unknown[] }>(200, 'GET', `/admin/invoices/${id}`, { key: ADMIN });
    expect(invoice.payouts).toEqual([
      {
        paymentId: paid.paymentId,
        caseId: c.id,
        caseReference: c.reference,
        date: '2026-11-01T00:00:00Z',
        currency: 'KWD',
        paymentAmount: 10.125,
        payoutCreditor: 8.1,
        payoutCollectionPartner: 2.025,
        platformFee: 0.81,
      },
    ]);

    const res = await fetch(`${embedded.url}/admin/invoices/${id}/csv`, { headers: { XApiKey: ADMIN } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    const lines = (await res.text()).split('\r\n');
    expect(lines).toHaveLength(3); // header, one payout, and the empty rest after the last CRLF
    expect(lines[1]!.split(',').slice(-4)).toEqual(['10.125', '8.100', '2.025', '0.810']);
    expect(lines[2]).toBe('');

    await api.expect(404, 'GET', '/admin/invoices/00000000-0000-4000-8000-000000000000', { key: ADMIN });
  });
});
