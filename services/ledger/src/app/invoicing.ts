// An invoicing run puts every payout not yet invoiced on one revenue-share invoice per partner and
// currency; invoiced payouts are frozen from then on.
import * as q from '../infra/invoices.queries';
import type { LedgerContext } from './context';

export interface InvoiceSummary {
  id: string;
  partnerId: string;
  currency: string;
  totalPlatformFee: bigint;
  payoutCount: number;
  createdAt: Date;
}

export async function runInvoicing(ctx: LedgerContext, partnerId: string | undefined): Promise<{ invoicedPayouts: number; invoices: InvoiceSummary[] }> {
  return ctx.uow.run(async (tx) => {
    const payouts = await q.uninvoicedPayouts(tx.trx, partnerId);
    const groups = new Map<string, { partnerId: string; currency: string; ids: string[]; total: bigint }>();
    for (const p of payouts) {
      const key = `${p.partner_id}:${p.currency}`;
      const group = groups.get(key) ?? { partnerId: p.partner_id, currency: p.currency, ids: [], total: 0n };
      group.ids.push(p.payment_id);
      group.total += BigInt(p.platform_fee);
      groups.set(key, group);
    }
    const invoices: InvoiceSummary[] = [];
    for (const g of groups.values()) {
      const id = ctx.newId();
      const createdAt = await q.insertInvoice(
        tx.trx,
        { id, partner_id: g.partnerId, currency: g.currency, total_platform_fee: g.total.toString(), payout_count: g.ids.length },
        g.ids,
      );
      invoices.push({ id, partnerId: g.partnerId, currency: g.currency, totalPlatformFee: g.total, payoutCount: g.ids.length, createdAt });
    }
    return { invoicedPayouts: payouts.length, invoices };
  });
}
