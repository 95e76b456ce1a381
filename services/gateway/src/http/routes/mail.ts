// The caller's own sent mail (the follow-up's emails), newest first: what the Portal shows as "Sent mail".
import type { FastifyInstance } from 'fastify';
import * as api from '../api';
import { callCtx, partnerOf, type GatewayContext } from '../context';

const orNull = (s: string) => (s === '' ? null : s);

export function mailRoutes(app: FastifyInstance, ctx: GatewayContext): void {
  app.get('/mail', async (req) => {
    const partner = partnerOf(req);
    const limit = api.listMail.readQuery(req.query).get('limit');
    const out = await ctx.followUp.ListEmails({ partnerId: partner.id, limit }, callCtx(req));
    return out.emails.map((e) => ({
      id: e.id,
      kind: e.kind,
      to: e.to,
      subject: e.subject,
      text: e.text,
      caseId: orNull(e.caseId),
      paymentId: orNull(e.paymentId),
      createdAt: e.createdAt,
      sentAt: orNull(e.sentAt),
      attempts: e.attempts,
      lastError: orNull(e.lastError),
    }));
  });
}
