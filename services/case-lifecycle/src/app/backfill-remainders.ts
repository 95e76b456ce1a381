// Fills the remainder copy (GET /cases?Sort=remainder) of the cases created before the copy existed,
// from the ledger, a batch at a time. New cases and every ledger event keep it current
// (create-case.ts, apply-events.ts); a value an event wrote meanwhile is never overwritten.
import { PollingLoop, type Logger } from '@pp/platform';
import * as q from '../infra/cases.queries';
import { ledgerFacts } from './apply-events';
import type { CaseContext } from './context';

const BATCH = 200;

/** One batch; how many cases it filled (0 once none is left). */
export async function backfillRemainders(ctx: CaseContext): Promise<number> {
  const rows = await q.casesWithoutRemainder(ctx.db, BATCH);
  const byPartner = new Map<string, typeof rows>();
  for (const row of rows) byPartner.set(row.partner_id, [...(byPartner.get(row.partner_id) ?? []), row]);
  let filled = 0;
  for (const [partnerId, mine] of byPartner) {
    const out = await ctx.ledger.GetAccounts({ partnerId, caseIds: mine.map((r) => r.id) }, { requestId: `backfill-remainders-${partnerId}` });
    const byId = new Map(mine.map((r) => [r.id, r]));
    for (const account of out.accounts) {
      const row = byId.get(account.caseId);
      if (!row) continue;
      await q.fillRemainder(ctx.db, row.id, ledgerFacts(row, account.remainder, new Date(account.updatedAt)));
      filled++;
    }
  }
  return filled;
}

/** Runs the backfill until nothing is left; a failed round (the ledger not up yet) is tried again. */
export function remainderBackfill(ctx: CaseContext, logger: Logger, pollMs: number): PollingLoop {
  let done = false;
  return new PollingLoop(
    'remainder-backfill',
    async () => {
      if (done) return 0;
      const filled = await backfillRemainders(ctx);
      if (filled === 0) done = true;
      else logger.info({ filled }, 'filled remainder copies from the ledger');
      return filled;
    },
    pollMs,
    logger,
  );
}
