// The caller's own sent mail (the follow-up's emails), newest first: what the Portal shows as "Sent mail".
import { validationError } from '@pp/domain';
import type { FastifyInstance } from 'fastify';
import { callCtx, partnerOf, type GatewayContext } from '../context';

const orNull = (s: string) => (s === '' ? null : s);

export function mailRoutes(app: FastifyInstance, ctx: GatewayContext): void {
  app.get('/mail', async (req) => {
    const partner = partnerOf(req);
    const raw = (req.query as Record<string, unknown>).limit;
    let limit = 100;
    if (raw !== undefined && raw !== '') {
      limit = typeof raw === 'string' && /^\d{1,3}$/.test(raw) ? Number(raw) : NaN;
      if (!(limit >= 1 && limit <= 500)) throw validationError([{ field: 'limit', message: 'limit: must be an integer between 1 and 500' }]);
    }
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
