import { describe, expect, it } from 'vitest';
import { makeEnvelope, MalformedEventError, parseEnvelope, tryParseEnvelope, UnknownEventError } from './index';

describe('envelope', () => {
  it('round-trips and rejects unknown types', () => {
    const e = makeEnvelope('account.reopened', 'c1', { caseId: 'c1', partnerId: 'p', reference: 'ABCDEFGH', isTest: false, currency: 'EUR', notifyEmail: 'a@b.c', remainder: '10', oldLifecycle: 'Closed', newLifecycle: 'Active' }, { id: 'e1', occurredAt: new Date(0), producer: 'ledger' });
    expect(parseEnvelope(JSON.stringify(e))).toEqual(e);
    expect(() => parseEnvelope(JSON.stringify({ ...e, type: 'nope' }))).toThrow(UnknownEventError);
    expect(() => parseEnvelope(JSON.stringify({ ...e, version: 2 }))).toThrow(UnknownEventError);
    // consumers skip a well-formed event of a newer producer (unknown type or version) …
    expect(tryParseEnvelope(JSON.stringify(e))).toEqual(e);
    expect(tryParseEnvelope(JSON.stringify({ ...e, type: 'nope' }))).toBeUndefined();
    expect(tryParseEnvelope(JSON.stringify({ ...e, version: 2 }))).toBeUndefined();
    // … but a malformed value is no event at all: it throws, and the dead-letter guard parks it
    for (const bad of ['{not json', '42', 'null', '[]', JSON.stringify({ ...e, id: undefined }), JSON.stringify({ ...e, type: 7 }), JSON.stringify({ ...e, version: '1' }), JSON.stringify({ ...e, version: 0 })]) {
      expect(() => tryParseEnvelope(bad), bad).toThrow(MalformedEventError);
    }
  });
});
