import type { Db, GrpcClient, Logger, Metrics } from '@pp/platform';
import type { CaseLifecycleDefinition, FollowUpDefinition, LedgerDefinition } from '@pp/proto';
import type { FastifyRequest } from 'fastify';
import type { CaseCurrencies } from '../app/case-currencies';
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
  /** false while the gateway waits for its database at start: every non-public route answers 503 (./startup) */
  readonly startup?: { readonly ready: boolean };
}

declare module 'fastify' {
  interface FastifyRequest {
    partner?: PartnerRow;
  }
}

export function partnerOf(req: FastifyRequest): PartnerRow {
  if (!req.partner) throw new Error('route without partner authentication');
  return req.partner;
}

export const callCtx = (req: FastifyRequest) => ({ requestId: String(req.id) });
