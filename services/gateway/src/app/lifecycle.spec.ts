import { describe, expect, it } from 'vitest';
import { closeCase, lifecycleOverrides, OVERLAY_LIMIT, OVERLAY_WINDOW_SECONDS } from './lifecycle';

const account = { reference: 'ABCD2345', currency: 'EUR', remainder: '-500', totalPayments: '10500', closedAt: '2026-12-03T10:00:00.000Z' };

describe('closeCase', () => {
  it('closes through the ledger and answers from its account and event', async () => {
    const asked: unknown[] = [];
    const ledger = {
      CloseAccount: async (r: unknown) => {
        asked.push(r);
        return { account, accountEvents: [{ occurredAt: '2026-12-03T10:00:00.123Z' }] } as never;
      },
      ListLifecycleChanges: async () => ({ changes: [] }) as never,
    };
    const cmd = { partnerId: 'p', caseId: 'c', closeCode: 'Paid', comment: '', actor: 'Agency' };
    expect(await closeCase(ledger, cmd, { requestId: 'r' })).toEqual({
      reference: 'ABCD2345',
      currency: 'EUR',
      remainder: '-500',
      totalPayments: '10500',
      closedAt: '2026-12-03T10:00:00.123Z',
    });
    expect(asked).toEqual([cmd]);
  });
});

describe('lifecycleOverrides', () => {
  it('asks the ledger for its recent changes only when the list is filtered by lifecycle', async () => {
    const asked: unknown[] = [];
    const ledger = {
      CloseAccount: async () => ({}) as never,
      ListLifecycleChanges: async (r: unknown) => {
        asked.push(r);
        return { changes: [{ caseId: 'c1', lifecycle: 'Closed' }] } as never;
      },
    };
    expect(await lifecycleOverrides(ledger, 'p', [], { requestId: 'r' })).toEqual([]);
    expect(asked).toEqual([]);
    expect(await lifecycleOverrides(ledger, 'p', ['Closed'], { requestId: 'r' })).toEqual([{ caseId: 'c1', lifecycle: 'Closed' }]);
    expect(asked).toEqual([{ partnerId: 'p', withinSeconds: OVERLAY_WINDOW_SECONDS, limit: OVERLAY_LIMIT }]);
  });
});
