// The unpaid-commission follow-up (SPEC §5) as a pure state machine: what happens to one payment's
// follow-up when the ledger reports a change or a timer comes due. The follow-up service stores the
// state, performs the effects in one transaction and dedupes inputs; every decision is made here.

export type FollowUpStage = 'None' | 'Invoicing' | 'Chasing' | 'Completed' | 'Cancelled';
export type TaskType = 'InvoiceClient' | 'ChaseClient';
export type TaskStatus = 'Open' | 'Escalated' | 'Completed' | 'Cancelled';
export const TASK_STATUSES = ['Open', 'Escalated', 'Completed', 'Cancelled'] as const satisfies readonly TaskStatus[];
export type EmailKind = 'invoice' | 'chase' | 'reminder';
export type TimerKind = 'escalate' | 'remind';

export interface FollowUpState {
  readonly stage: FollowUpStage;
  /** bumped each time a cancelled follow-up starts again, so timers of an earlier run are inert */
  readonly generation: number;
  /** reminder emails sent after the chase email in this generation */
  readonly reminders: number;
  /** the InvoiceClient task has been escalated (a ChaseClient task exists) */
  readonly escalated: boolean;
}

export const NO_FOLLOW_UP: FollowUpState = { stage: 'None', generation: 0, reminders: 0, escalated: false };

export type FollowUpInput =
  /** the payment leaves commission owed (recorded so, or edited into it, or its amount changed) */
  | { readonly kind: 'owed'; readonly amountOwed: bigint; readonly mayStart: boolean }
  /** an edit means nothing is owed any more, or the payment was deleted */
  | { readonly kind: 'cancelled' }
  /** the creditor settled the partner's commission */
  | { readonly kind: 'settled' }
  | { readonly kind: 'timer'; readonly timer: TimerKind; readonly generation: number; readonly step: number };

export type FollowUpEffect =
  | { readonly type: 'openTask'; readonly task: TaskType; readonly dueAt: Date }
  | { readonly type: 'escalateInvoiceTask' }
  | { readonly type: 'closeOpenTask'; readonly status: 'Completed' | 'Cancelled' }
  | { readonly type: 'updateAmount'; readonly amountOwed: bigint }
  | { readonly type: 'countReminder'; readonly reminderCount: number; readonly nextDueAt: Date }
  | { readonly type: 'email'; readonly kind: EmailKind; readonly stepId: string }
  | { readonly type: 'schedule'; readonly timer: TimerKind; readonly at: Date; readonly generation: number; readonly step: number };

export interface FollowUpTiming {
  readonly now: Date;
  readonly chaseAfterMs: number;
  readonly reminderIntervalMs: number;
}

export interface FollowUpDecision {
  readonly state: FollowUpState;
  readonly effects: readonly FollowUpEffect[];
}

const after = (now: Date, ms: number) => new Date(now.getTime() + ms);
const active = (s: FollowUpState) => s.stage === 'Invoicing' || s.stage === 'Chasing';

/** The email step ids: one email per step, whatever is retried. */
export const stepId = (generation: number, kind: EmailKind, n: number) => `${generation}:${kind}:${n}`;

export function decideFollowUp(state: FollowUpState, input: FollowUpInput, t: FollowUpTiming): FollowUpDecision {
  const unchanged = { state, effects: [] };
  switch (input.kind) {
    case 'owed': {
      if (active(state)) return { state, effects: [{ type: 'updateAmount', amountOwed: input.amountOwed }] };
      if (state.stage === 'Completed' || !input.mayStart) return unchanged;
      // None or Cancelled: (re)start where the follow-up stood; the InvoiceClient task stays unique.
      const generation = state.generation + 1;
      if (state.escalated) {
        const next = after(t.now, t.reminderIntervalMs);
        return {
          state: { stage: 'Chasing', generation, reminders: 0, escalated: true },
          effects: [
            { type: 'updateAmount', amountOwed: input.amountOwed },
            { type: 'openTask', task: 'ChaseClient', dueAt: next },
            { type: 'email', kind: 'chase', stepId: stepId(generation, 'chase', 0) },
            { type: 'schedule', timer: 'remind', at: next, generation, step: 1 },
          ],
        };
      }
      const due = after(t.now, t.chaseAfterMs);
      return {
        state: { stage: 'Invoicing', generation, reminders: 0, escalated: false },
        effects: [
          { type: 'updateAmount', amountOwed: input.amountOwed },
          { type: 'openTask', task: 'InvoiceClient', dueAt: due },
          { type: 'email', kind: 'invoice', stepId: stepId(generation, 'invoice', 0) },
          { type: 'schedule', timer: 'escalate', at: due, generation, step: 0 },
        ],
      };
    }
    case 'cancelled':
      if (!active(state)) return unchanged;
      return { state: { ...state, stage: 'Cancelled' }, effects: [{ type: 'closeOpenTask', status: 'Cancelled' }] };
    case 'settled':
      if (!active(state)) return state.stage === 'None' ? unchanged : { state: { ...state, stage: 'Completed' }, effects: [] };
      return { state: { ...state, stage: 'Completed' }, effects: [{ type: 'closeOpenTask', status: 'Completed' }] };
    case 'timer': {
      if (input.generation !== state.generation) return unchanged;
      if (input.timer === 'escalate') {
        if (state.stage !== 'Invoicing') return unchanged;
        const next = after(t.now, t.reminderIntervalMs);
        return {
          state: { ...state, stage: 'Chasing', escalated: true, reminders: 0 },
          effects: [
            { type: 'escalateInvoiceTask' },
            { type: 'openTask', task: 'ChaseClient', dueAt: next },
            { type: 'email', kind: 'chase', stepId: stepId(state.generation, 'chase', 0) },
            { type: 'schedule', timer: 'remind', at: next, generation: state.generation, step: 1 },
          ],
        };
      }
      if (state.stage !== 'Chasing' || input.step !== state.reminders + 1) return unchanged;
      const next = after(t.now, t.reminderIntervalMs);
      return {
        state: { ...state, reminders: input.step },
        effects: [
          { type: 'countReminder', reminderCount: input.step, nextDueAt: next },
          { type: 'email', kind: 'reminder', stepId: stepId(state.generation, 'reminder', input.step) },
          { type: 'schedule', timer: 'remind', at: next, generation: state.generation, step: input.step + 1 },
        ],
      };
    }
  }
}
