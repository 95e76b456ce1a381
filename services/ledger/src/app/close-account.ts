// Manual close: the close-code rule is checked against the locked account, and the close is recorded
// in the same transaction. The ledger's decision is the one that counts.
import { decideClose, DomainError, isCloseCode, remainderOf } from '@pp/domain';
import * as q from '../infra/ledger.queries';
import { accountState, caseRef, emitEvent, type AccountChange, type LedgerContext } from './context';

export interface CloseAccountCommand {
  partnerId: string;
  caseId: string;
  closeCode: string;
  comment: string | null;
  actor: string;
  requestId?: string;
}

export async function closeAccount(ctx: LedgerContext, cmd: CloseAccountCommand): Promise<{ account: q.AccountRow; accountChanges: AccountChange[] }> {
  if (!isCloseCode(cmd.closeCode)) throw new DomainError('ValidationError', `Unknown close code ${cmd.closeCode}`, 'closeCode');
  const code = cmd.closeCode;
  return ctx.uow.run(async (tx) => {
    const account = await q.lockAccount(tx.trx, cmd.partnerId, cmd.caseId);
    if (!account) throw new DomainError('CaseNotFound', 'Case not found');
    const state = accountState(account);
    const decision = decideClose(state, code);
    if (!decision.ok) throw decision.error;
    const now = ctx.clock();
    const remainder = remainderOf(state);
    await q.updateAccount(tx.trx, cmd.caseId, { lifecycle: 'Closed', close_code: code, closed_at: now });
    await q.appendAudit(tx.trx, {
      id: ctx.newId(),
      case_id: cmd.caseId,
      type: 'CaseClosed',
      payment_id: null,
      before: { lifecycle: account.lifecycle, closeCode: null },
      after: { lifecycle: 'Closed', closeCode: code, comment: cmd.comment, remainder: remainder.toString() },
      actor: cmd.actor,
      at: now,
    });
    const eventId = emitEvent(
      ctx,
      tx,
      'account.closed',
      cmd.caseId,
      { ...caseRef(account, remainder), closeCode: code, comment: cmd.comment, oldLifecycle: account.lifecycle, newLifecycle: 'Closed' },
      cmd.requestId,
    );
    const updated = (await q.findAccount(tx.trx, cmd.partnerId, cmd.caseId))!;
    return {
      account: updated,
      accountChanges: [
        {
          eventId,
          type: 'account.closed',
          caseId: cmd.caseId,
          closeCode: code,
          comment: cmd.comment ?? '',
          occurredAt: now.toISOString(),
          remainder: remainder.toString(),
          oldLifecycle: account.lifecycle,
          newLifecycle: 'Closed',
        },
      ],
    };
  });
}
