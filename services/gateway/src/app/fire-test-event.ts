// POST /test/webhooks/fire (SPEC §10): the event is built by case-lifecycle from the test case as the
// ledger has it now. The gateway reads the ledger and hands its view over, so that case-lifecycle, the
// keeper of the public event log, never calls the ledger.
import type { CallContext, GrpcClient } from '@pp/platform';
import type { CaseLifecycleDefinition, caseLifecycleV1, LedgerDefinition } from '@pp/proto';

export interface FireDeps {
  readonly ledger: Pick<GrpcClient<LedgerDefinition>, 'ListPayments' | 'GetAudit'>;
  readonly cases: Pick<GrpcClient<CaseLifecycleDefinition>, 'FireTestWebhook'>;
}

export interface FireCommand {
  partnerId: string;
  caseId: string;
  event: string;
  /** '' = every matching test-mode subscription */
  subscriptionId: string;
}

export async function fireTestEvent(deps: FireDeps, cmd: FireCommand, call: CallContext): Promise<caseLifecycleV1.FireTestWebhookResponse__Output> {
  const { partnerId, caseId } = cmd;
  // an unknown or foreign case is CaseNotFound here already, as case-lifecycle would answer
  const [listed, audit] = await Promise.all([
    deps.ledger.ListPayments({ partnerId, caseId, dateFrom: '', dateTo: '', minAmount: '', maxAmount: '' }, call),
    deps.ledger.GetAudit({ partnerId, caseId }, call),
  ]);
  return deps.cases.FireTestWebhook({ ...cmd, account: listed.account, payments: listed.payments, audit: audit.entries }, call);
}
