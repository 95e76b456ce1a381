import { describe, expect, it } from 'vitest';
import {
  answerDate,
  envelopeHandler,
  makeEnvelope,
  publicPayment,
  MalformedEventError,
  parseEnvelope,
  tryParseEnvelope,
  UnknownEventError,
  type AnyEnvelope,
} from './index';

describe('envelope', () => {
  it('round-trips and rejects unknown types', () => {
    const e = makeEnvelope(
      'account.reopened',
      'c1',
      {
        caseId: 'c1',
        partnerId: 'p',
        reference: 'ABCDEFGH',
        isTest: false,
        currency: 'EUR',
        notifyEmail: 'a@b.c',
        remainder: '10',
        oldLifecycle: 'Closed',
        newLifecycle: 'Active',
      },
      { id: 'e1', occurredAt: new Date(0), producer: 'ledger' },
    );
    expect(parseEnvelope(JSON.stringify(e))).toEqual(e);
    expect(() => parseEnvelope(JSON.stringify({ ...e, type: 'nope' }))).toThrow(UnknownEventError);
    expect(() => parseEnvelope(JSON.stringify({ ...e, version: 2 }))).toThrow(UnknownEventError);
    // consumers skip a well-formed event of a newer producer (unknown type or version) …
    expect(tryParseEnvelope(JSON.stringify(e))).toEqual(e);
    expect(tryParseEnvelope(JSON.stringify({ ...e, type: 'nope' }))).toBeUndefined();
    expect(tryParseEnvelope(JSON.stringify({ ...e, version: 2 }))).toBeUndefined();
    // … but a malformed value is no event at all: it throws, and the dead-letter guard parks it
    for (const bad of [
      '{not json',
      '42',
      'null',
      '[]',
      JSON.stringify({ ...e, id: undefined }),
      JSON.stringify({ ...e, type: 7 }),
      JSON.stringify({ ...e, version: '1' }),
      JSON.stringify({ ...e, version: 0 }),
    ]) {
      expect(() => tryParseEnvelope(bad), bad).toThrow(MalformedEventError);
    }
  });

  it('a consumer handler applies known events, skips those of a newer producer and throws on malformed ones', async () => {
    const e = makeEnvelope(
      'account.reopened',
      'c1',
      {
        caseId: 'c1',
        partnerId: 'p',
        reference: 'ABCDEFGH',
        isTest: false,
        currency: 'EUR',
        notifyEmail: 'a@b.c',
        remainder: '10',
        oldLifecycle: 'Closed',
        newLifecycle: 'Active',
      },
      { id: 'e1', occurredAt: new Date(0), producer: 'ledger' },
    );
    const applied: AnyEnvelope[] = [];
    const lines: string[] = [];
    const log = { info: (_f: object, m: string) => void lines.push(`info ${m}`), warn: (_f: object, m: string) => void lines.push(`warn ${m}`) };
    const handle = envelopeHandler(log, async (event) => void applied.push(event), 'applied');
    const message = (value: string) => ({ value, topic: 't', offset: '1', headers: { 'x-request-id': 'r1' } });
    await handle(message(JSON.stringify(e)));
    await handle(message(JSON.stringify({ ...e, type: 'nope' })));
    await expect(handle(message('{not json'))).rejects.toThrow(MalformedEventError);
    expect(applied).toEqual([e]);
    expect(lines).toEqual(['info applied', 'warn skipping unknown event']);
  });
});

describe('the public shapes', () => {
  it('answer a calendar date as RFC 3339 midnight UTC (SPEC §1), and the payment carries it so', () => {
    expect(answerDate('2024-05-10')).toBe('2024-05-10T00:00:00Z');
    expect(answerDate('2024-05-10T00:00:00Z')).toBe('2024-05-10T00:00:00Z');
    const p = publicPayment(
      {
        id: 'p',
        date: '2026-11-01',
        amount: '30000',
        recipient: 'Creditor',
        commissionStatus: 'Unpaid',
        payoutCreditor: '24000',
        payoutCollectionPartner: '6000',
        platformFee: '600',
        invoiceId: null,
        createdAt: 't',
        updatedAt: 't',
      },
      'EUR',
      { caseId: 'c', reference: 'R', lifecycle: 'Active' },
    );
    expect(p).toMatchObject({ date: '2026-11-01T00:00:00Z', paymentAmount: 300, payoutCreditor: 240 });
  });
});
