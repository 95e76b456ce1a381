import type { Db, GrpcClient, Logger, Metrics } from '@pp/platform';
import type { CaseLifecycleDefinition, FollowUpDefinition, LedgerDefinition } from '@pp/proto';
import { DomainError } from '@pp/domain';
import type { FastifyRequest } from 'fastify';
import type { CaseCurrencies } from '../app/case-currencies';
import type { PartnerKeyCache } from '../app/partner-keys';
import type { Partners } from '../app/partners';
import type { PartnerRow } from '../infra/gateway.queries';

export interface GatewayContext {
  readonly db: Db;
  readonly logger: Logger;
  readonly ledger: GrpcClient<LedgerDefinition>;
  readonly cases: GrpcClient<CaseLifecycleDefinition>;
  readonly followUp: GrpcClient<FollowUpDefinition>;
  readonly adminApiKey: string | undefined;
  /** (partner, case) → currency; a case's currency never changes, so this cache is always right */
  readonly currencies: CaseCurrencies;
  readonly metrics: Metrics;
  /** authenticated partner keys, remembered briefly (../app/partner-keys) */
  readonly keys: PartnerKeyCache;
  readonly partners: Partners;
  /** false when the process serves /metrics on a port of its own only (METRICS_ON_API_PORT) */
  readonly metricsOnApiPort?: boolean;
  /** false while the gateway waits for its database at start: every non-public route answers 503 (./startup) */
  readonly startup?: { readonly ready: boolean };
}

declare module 'fastify' {
  interface FastifyRequest {
    partner?: PartnerRow;
    /** the id of the partner key that authenticated the request */
    partnerKeyId?: string;
  }
}

export function partnerOf(req: FastifyRequest): PartnerRow {
  if (!req.partner) throw new Error('route without partner authentication');
  return req.partner;
}

export const callCtx = (req: FastifyRequest) => ({ requestId: String(req.id) });

/** The currency of a case of the caller's, from the per-partner cache or the ledger; a foreign or unknown case is `notFound`. */
export async function currencyOf(
  ctx: GatewayContext,
  req: FastifyRequest,
  caseId: string,
  notFound: 'CaseNotFound' | 'PaymentNotFound' = 'CaseNotFound',
): Promise<string> {
  const partnerId = partnerOf(req).id;
  const cached = ctx.currencies.get(partnerId, caseId);
  if (cached) return cached;
  const out = await ctx.ledger.GetAccounts({ partnerId, caseIds: [caseId] }, callCtx(req));
  const account = out.accounts[0];
  if (!account) throw new DomainError(notFound, notFound === 'CaseNotFound' ? 'Case not found' : 'Payment not found');
  ctx.currencies.set(partnerId, caseId, account.currency);
  return account.currency;
}
