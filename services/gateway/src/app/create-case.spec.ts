import { DomainError } from '@pp/domain';
import { describe, expect, it } from 'vitest';
import { createCase, type CreateCaseDeps, type NewCase } from './create-case';

const partner = { officeEmail: 'office@agency.example', preLegalSharePpm: 400_000n, legalSharePpm: 200_000n };
const input: NewCase = {
  partnerId: 'p1',
  currency: 'EUR',
  grossAmount: '10000',
  interestFees: '0',
  reminderFees: '0',
  collectionFees: '0',
  successFeePpm: '200000',
  isTest: false,
  engagementPhase: 'Legal',
};

/** Records the calls in order; CreateCase refuses the references listed in `taken`. */
function owners(taken: string[] = [], fail?: Error) {
  const calls: string[] = [];
  const opened: Record<string, unknown>[] = [];
  let ids = 0;
  const deps: CreateCaseDeps = {
    newId: () => `id-${++ids}`,
    randomBytes: (n) => new Uint8Array(n).fill(ids),
    ledger: {
      OpenAccount: async (r) => {
        calls.push(`open ${r.caseId}`);
        opened.push(r as Record<string, unknown>);
        return {} as never;
      },
    },
    cases: {
      CreateCase: async (r) => {
        calls.push(`create ${r.id}`);
        if (fail) throw fail;
        if (taken.includes(r.reference!)) throw new DomainError('ValidationError', 'reference is taken by another case', 'reference');
        return { id: r.id, reference: r.reference } as never;
      },
    },
  };
  return { deps, calls, opened };
}

describe('createCase', () => {
  it('opens the ledger account first, then writes the case under the same id and reference', async () => {
    const { deps, calls, opened } = owners();
    const created = await createCase(deps, input, partner, { requestId: 'r' });
    expect(calls).toEqual(['open id-1', 'create id-1']);
    expect(created).toMatchObject({ id: 'id-1', reference: opened[0]!.reference });
    // the revenue share of the case's engagement phase, and the partner's office address for notices
    expect(opened[0]).toMatchObject({ revenueSharePpm: '200000', notifyEmail: 'office@agency.example', grossAmount: '10000', currency: 'EUR' });
    expect(await createCase(deps, { ...input, engagementPhase: 'Pre-legal' }, partner, { requestId: 'r' })).toBeDefined();
    expect(opened[1]).toMatchObject({ revenueSharePpm: '400000' });
  });

  it('tries another id and reference when the reference is taken', async () => {
    const first = owners().deps;
    const taken = (await createCase(first, input, partner, { requestId: 'r' })).reference!;
    const { deps, calls } = owners([taken]);
    const created = await createCase(deps, input, partner, { requestId: 'r' });
    expect(calls).toEqual(['open id-1', 'create id-1', 'open id-2', 'create id-2']);
    expect(created.id).toBe('id-2');
    expect(created.reference).not.toBe(taken);
  });

  it('passes any other failure on, after the account (never shown without its case) was opened', async () => {
    const { deps, calls } = owners([], new DomainError('ValidationError', 'bad debtor', 'debtor'));
    await expect(createCase(deps, input, partner, { requestId: 'r' })).rejects.toMatchObject({ field: 'debtor' });
    expect(calls).toEqual(['open id-1', 'create id-1']);
  });

  it('gives up with an InternalError after five taken references', async () => {
    const { deps, calls } = owners();
    deps.cases.CreateCase = async () => {
      calls.push('create');
      throw new DomainError('ValidationError', 'reference is taken by another case', 'reference');
    };
    await expect(createCase(deps, input, partner, { requestId: 'r' })).rejects.toMatchObject({ type: 'InternalError' });
    expect(calls.filter((c) => c === 'create')).toHaveLength(5);
  });
});
