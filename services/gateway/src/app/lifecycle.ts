// The case lifecycle belongs to the ledger: it decides a close or a reopen under its account lock and
// announces it by event; case-lifecycle keeps a copy fed by those events alone. The gateway therefore
// closes through the ledger and reads the lifecycle from it. A list filtered by lifecycle is the one
// read served from the copy: the ledger's recent changes are laid over it, so that a close shows in the
// next list at once (SPEC §1, read-your-writes) while the copy catches up.
import type { CallContext, GrpcClient } from '@pp/platform';
import type { LedgerDefinition } from '@pp/proto';

type Ledger = Pick<GrpcClient<LedgerDefinition>, 'CloseAccount' | 'ListLifecycleChanges'>;

/**
 * How far back a change is laid over the copy. The copy applies a change within the event consumer's lag
 * (milliseconds to seconds); a consumer stopped for longer than this shows stale filters until it is back.
 */
export const OVERLAY_WINDOW_SECONDS = 15 * 60;
/** The most changes laid over one list (the newest first); a partner closing more in the window is rare. */
export const OVERLAY_LIMIT = 5_000;

export interface CloseCommand {
  partnerId: string;
  caseId: string;
  closeCode: string;
  comment: string;
  actor: string;
}

export interface Closed {
  reference: string;
  currency: string;
  /** minor units */
  remainder: string;
  totalPayments: string;
  closedAt: string;
}

/** Closes a case: the ledger checks the close-code rule against the locked account and records it. */
export async function closeCase(ledger: Ledger, cmd: CloseCommand, call: CallContext): Promise<Closed> {
  const out = await ledger.CloseAccount(cmd, call);
  const account = out.account;
  if (!account) throw new Error(`the ledger closed case ${cmd.caseId} without answering its account`);
  return {
    reference: account.reference,
    currency: account.currency,
    remainder: account.remainder,
    totalPayments: account.totalPayments,
    closedAt: out.accountEvents[0]?.occurredAt || account.closedAt,
  };
}

/** The ledger's lifecycle of the partner's cases it changed lately, for a list filtered by lifecycle. */
export async function lifecycleOverrides(
  ledger: Ledger,
  partnerId: string,
  statuses: readonly string[],
  call: CallContext,
): Promise<{ caseId: string; lifecycle: string }[]> {
  if (statuses.length === 0) return [];
  const out = await ledger.ListLifecycleChanges({ partnerId, withinSeconds: OVERLAY_WINDOW_SECONDS, limit: OVERLAY_LIMIT }, call);
  return out.changes.map((c) => ({ caseId: c.caseId, lifecycle: c.lifecycle }));
}
