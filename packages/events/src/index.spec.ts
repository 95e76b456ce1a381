import { describe, expect, it } from 'vitest';
import { makeEnvelope, parseEnvelope, tryParseEnvelope, UnknownEventError } from './index';

describe('envelope', () => {
  it('round-trips and rejects unknown types', () => {
    const e = makeEnvelope('account.reopened', 'c1', { caseId: 'c1', partnerId: 'p', reference: 'ABCDEFGH', isTest: false, currency: 'EUR', notifyEmail: 'a@b.c', remainder: '10', oldLifecycle: 'Closed', newLifecycle: 'Active' }, { id: 'e1', occurredAt: new Date(0), producer: 'ledger' });
    expect(parseEnvelope(JSON.stringify(e))).toEqual(e);
    expect(() => parseEnvelope(JSON.stringify({ ...e, type: 'nope' }))).toThrow(UnknownEventError);
    expect(() => parseEnvelope(JSON.stringify({ ...e, version: 2 }))).toThrow(UnknownEventError);
    // consumers skip what they cannot read instead of retrying it forever
    expect(tryParseEnvelope(JSON.stringify(e))).toEqual(e);
    expect(tryParseEnvelope(JSON.stringify({ ...e, type: 'nope' }))).toBeUndefined();
    expect(tryParseEnvelope('{not json')).toBeUndefined();
  });
});
