// Tells the other services the balance of accounts they may not know it of. case-lifecycle keeps a copy
// of each case's remainder (to sort GET /cases) fed by the ledger's events; the accounts from before that
// copy existed are marked by a migration, and this announces each of them once (event
// `account.balance_announced`, in the account's own event order) so that the copy fills without
// case-lifecycle ever calling the ledger. A batch at a time, each in one transaction with its outbox rows.
import { remainderOf } from '@pp/domain';
import { PollingLoop, type Logger } from '@pp/platform';
import * as q from '../infra/ledger.queries';
import { accountState, caseRef, emitEvent, type LedgerContext } from './context';

const BATCH = 200;

/** One batch; how many accounts it announced (0 once none is left). */
export async function announceBalances(ctx: LedgerContext, batch = BATCH): Promise<number> {
  return ctx.uow.run(async (tx) => {
    const accounts = await q.lockUnannouncedAccounts(tx.trx, batch);
    for (const account of accounts) emitEvent(ctx, tx, 'account.balance_announced', account.case_id, caseRef(account, remainderOf(accountState(account))));
    await q.markAnnounced(
      tx.trx,
      accounts.map((a) => a.case_id),
    );
    return accounts.length;
  });
}

/** Runs until every marked account is announced; a failed round (the database away) is tried again. */
export function balanceAnnouncer(ctx: LedgerContext, logger: Logger, pollMs: number): PollingLoop {
  let done = false;
  return new PollingLoop(
    'balance-announcer',
    async () => {
      if (done) return 0;
      const announced = await announceBalances(ctx);
      if (announced === 0) done = true;
      else logger.info({ announced }, 'announced account balances');
      return announced;
    },
    pollMs,
    logger,
  );
}
