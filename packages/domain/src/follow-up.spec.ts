import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decideFollowUp, NO_FOLLOW_UP, type FollowUpInput, type FollowUpState } from './follow-up';

const DAY = 86_400_000;
const t = { now: new Date('2026-11-01T00:00:00Z'), chaseAfterMs: 14 * DAY, reminderIntervalMs: 7 * DAY };
const types = (d: { effects: readonly { type: string }[] }) => d.effects.map((e) => e.type);

function run(inputs: FollowUpInput[], from: FollowUpState = NO_FOLLOW_UP) {
  let state = from;
  const effects = [];
  for (const input of inputs) {
    const d = decideFollowUp(state, input, t);
    state = d.state;
    effects.push(...d.effects);
  }
  return { state, effects };
}

describe('unpaid-commission follow-up', () => {
  it('starts with an email, an InvoiceClient task due after the chase delay and an escalation timer', () => {
    const d = decideFollowUp(NO_FOLLOW_UP, { kind: 'owed', amountOwed: 5010n, mayStart: true }, t);
    expect(d.state).toEqual({ stage: 'Invoicing', generation: 1, reminders: 0, escalated: false });
    expect(d.effects).toEqual([
      { type: 'updateAmount', amountOwed: 5010n },
      { type: 'openTask', task: 'InvoiceClient', dueAt: new Date(t.now.getTime() + 14 * DAY) },
      { type: 'email', kind: 'invoice', stepId: '1:invoice:0' },
      { type: 'schedule', timer: 'escalate', at: new Date(t.now.getTime() + 14 * DAY), generation: 1, step: 0 },
    ]);
  });

  it('does not start when the request or the case forbids it', () => {
    expect(decideFollowUp(NO_FOLLOW_UP, { kind: 'owed', amountOwed: 1n, mayStart: false }, t)).toEqual({ state: NO_FOLLOW_UP, effects: [] });
  });

  it('escalates at dueAt, then reminds every interval while unpaid, one step at a time', () => {
    const { state, effects } = run([
      { kind: 'owed', amountOwed: 1n, mayStart: true },
      { kind: 'timer', timer: 'escalate', generation: 1, step: 0 },
      { kind: 'timer', timer: 'remind', generation: 1, step: 1 },
      { kind: 'timer', timer: 'remind', generation: 1, step: 1 }, // redelivered: nothing
      { kind: 'timer', timer: 'remind', generation: 1, step: 2 },
    ]);
    expect(state).toEqual({ stage: 'Chasing', generation: 1, reminders: 2, escalated: true });
    expect(effects.filter((e) => e.type === 'email').map((e) => (e as { stepId: string }).stepId)).toEqual([
      '1:invoice:0',
      '1:chase:0',
      '1:reminder:1',
      '1:reminder:2',
    ]);
    expect(effects.filter((e) => e.type === 'escalateInvoiceTask')).toHaveLength(1);
    expect(effects.filter((e) => e.type === 'openTask').map((e) => (e as { task: string }).task)).toEqual(['InvoiceClient', 'ChaseClient']);
  });

  it('completes on settlement and then ignores every timer', () => {
    const { state, effects } = run([
      { kind: 'owed', amountOwed: 1n, mayStart: true },
      { kind: 'settled' },
      { kind: 'timer', timer: 'escalate', generation: 1, step: 0 },
    ]);
    expect(state.stage).toBe('Completed');
    expect(types({ effects }).filter((x) => x === 'closeOpenTask' || x === 'escalateInvoiceTask')).toEqual(['closeOpenTask']);
  });

  it('cancels on delete, updates the amount while active, restarts in a new generation', () => {
    const started = run([{ kind: 'owed', amountOwed: 1n, mayStart: true }]).state;
    expect(types(decideFollowUp(started, { kind: 'owed', amountOwed: 7n, mayStart: false }, t))).toEqual(['updateAmount']);
    const cancelled = decideFollowUp(started, { kind: 'cancelled' }, t);
    expect(cancelled.effects).toEqual([{ type: 'closeOpenTask', status: 'Cancelled' }]);
    // a timer of the cancelled run is inert
    expect(decideFollowUp(cancelled.state, { kind: 'timer', timer: 'escalate', generation: 1, step: 0 }, t).effects).toEqual([]);
    const again = decideFollowUp(cancelled.state, { kind: 'owed', amountOwed: 9n, mayStart: true }, t);
    expect(again.state).toMatchObject({ stage: 'Invoicing', generation: 2 });
    expect(decideFollowUp(again.state, { kind: 'timer', timer: 'escalate', generation: 1, step: 0 }, t).effects).toEqual([]);
  });

  it('never sends two emails with one step id, whatever inputs arrive in whatever order', () => {
    const input = fc.oneof(
      fc.record({ kind: fc.constant('owed' as const), amountOwed: fc.bigInt({ min: 1n, max: 10n ** 9n }), mayStart: fc.boolean() }),
      fc.constant({ kind: 'cancelled' as const }),
      fc.constant({ kind: 'settled' as const }),
      fc.record({
        kind: fc.constant('timer' as const),
        timer: fc.constantFrom('escalate' as const, 'remind' as const),
        generation: fc.integer({ min: 0, max: 3 }),
        step: fc.integer({ min: 0, max: 4 }),
      }),
    );
    fc.assert(
      fc.property(fc.array(input, { maxLength: 40 }), (inputs) => {
        const { state, effects } = run(inputs);
        const steps = effects.filter((e) => e.type === 'email').map((e) => (e as { stepId: string }).stepId);
        expect(new Set(steps).size).toBe(steps.length);
        // at most one escalation per generation, and a completed follow-up stays completed
        const escalations = effects.filter((e) => e.type === 'escalateInvoiceTask').length;
        expect(escalations).toBeLessThanOrEqual(state.generation);
        if (inputs.some((i) => i.kind === 'settled') && state.stage !== 'None')
          expect(['Completed', 'Invoicing', 'Chasing', 'Cancelled']).toContain(state.stage);
      }),
      { seed: 20261123, numRuns: 500 },
    );
  });
});
