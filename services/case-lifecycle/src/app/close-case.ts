// Manual close: the ledger decides under its account lock; the lifecycle mirrors it at once.
import { DomainError } from '@pp/domain';
import * as q from '../infra/cases.queries';
import { applyAccountChange } from './apply-events';
import type { CaseContext } from './context';

export async function closeCase(
  ctx: CaseContext,
  cmd: { partnerId: string; caseId: string; closeCode: string; comment: string; actor: string; requestId?: string },
) {
  const existing = await q.findCase(ctx.db, cmd.partnerId, cmd.caseId);
  if (!existing) throw new DomainError('CaseNotFound', 'Case not found');
  const out = await ctx.ledger.CloseAccount(
    { partnerId: cmd.partnerId, caseId: cmd.caseId, closeCode: cmd.closeCode, comment: cmd.comment, actor: cmd.actor },
    { requestId: cmd.requestId ?? cmd.caseId },
  );
  for (const change of out.accountEvents) await applyAccountChange(ctx, change);
  const row = (await q.findCase(ctx.db, cmd.partnerId, cmd.caseId))!;
  return { row, account: out.account, closedAt: out.accountEvents[0]?.occurredAt ?? out.account?.closedAt ?? '' };
}
