// "A partner never sees another partner's data" (SPEC §1), before any validation answer: on a route
// about one case or webhook, a request that fails validation is first checked against the resource,
// and a foreign or unknown one answers 404 exactly as a valid request would. Otherwise a 400 (whose
// text may even depend on the case, like the digits of its currency) would tell a foreign id from an
// unknown one. Only the failing path pays for the check.
import { DomainError, type ErrorType } from '@pp/domain';
import type { FastifyRequest } from 'fastify';
import { UUID } from './body';
import { callCtx, type GatewayContext } from './context';

type NotFound = Extract<ErrorType, 'CaseNotFound' | 'PaymentNotFound' | 'WebhookNotFound'>;

/** What a route's `:id` names, from the route pattern the router matched (never the raw URL). */
function ownedResource(route: string): { kind: 'case' | 'webhook'; notFound: NotFound } | undefined {
  if (/^\/(test\/)?cases\/:id\/payments\/:paymentId/.test(route)) return { kind: 'case', notFound: 'PaymentNotFound' };
  if (/^\/(test\/)?cases\/:id(\/|$)/.test(route)) return { kind: 'case', notFound: 'CaseNotFound' };
  if (route === '/webhooks/:id') return { kind: 'webhook', notFound: 'WebhookNotFound' };
  return undefined;
}

const MESSAGES: Record<NotFound, string> = { CaseNotFound: 'Case not found', PaymentNotFound: 'Payment not found', WebhookNotFound: 'Webhook not found' };

/** The 404 to answer instead of a validation error when the request's resource is not the caller's; else undefined. */
export async function notFoundUnlessOwned(ctx: GatewayContext, req: FastifyRequest): Promise<DomainError | undefined> {
  const partner = req.partner;
  const route = req.routeOptions.url;
  const id = (req.params as Record<string, string | undefined> | undefined)?.id;
  const resource = partner && route && id !== undefined ? ownedResource(route) : undefined;
  if (!partner || !resource || id === undefined) return undefined;
  const notFound = new DomainError(resource.notFound, MESSAGES[resource.notFound]);
  if (!UUID.test(id)) return notFound;
  const owned =
    resource.kind === 'case'
      ? ctx.currencies.get(partner.id, id.toLowerCase()) !== undefined ||
        (await ctx.ledger.GetAccounts({ partnerId: partner.id, caseIds: [id.toLowerCase()] }, callCtx(req))).accounts.length > 0
      : await ctx.cases.GetWebhook({ partnerId: partner.id, id: id.toLowerCase() }, callCtx(req)).then(
          () => true,
          (error: unknown) => (error instanceof DomainError && error.type === 'WebhookNotFound' ? false : Promise.reject(error)),
        );
  return owned ? undefined : notFound;
}
