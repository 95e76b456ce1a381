import { describe, expect, it } from 'vitest';
import type { PartnerRow } from '../infra/gateway.queries';
import { PartnerKeyCache, TTL_MS, type KeyOwner } from './partner-keys';

const owner = (id: string): KeyOwner => ({
  partner: { id, company_name: id, office_email: `${id}@example.test`, pre_legal_share_ppm: '400000', legal_share_ppm: '200000' } satisfies PartnerRow,
  keyId: `key-${id}`,
});

describe('PartnerKeyCache', () => {
  it('answers a found key from memory until its time is up, then asks again', async () => {
    let t = 0;
    let loads = 0;
    const cache = new PartnerKeyCache(10, () => t);
    const load = async () => {
      loads += 1;
      return owner('p1');
    };
    expect((await cache.lookup('h1', load))?.partner.id).toBe('p1');
    t = TTL_MS - 1;
    expect((await cache.lookup('h1', load))?.partner.id).toBe('p1');
    expect(loads).toBe(1);
    t = TTL_MS;
    await cache.lookup('h1', load);
    expect(loads).toBe(2);
    cache.forget('h1');
    await cache.lookup('h1', load);
    expect(loads).toBe(3);
  });

  it('never remembers an unknown key, and keeps at most `max` keys', async () => {
    let loads = 0;
    const cache = new PartnerKeyCache(2);
    const unknown = async () => {
      loads += 1;
      return undefined;
    };
    expect(await cache.lookup('nope', unknown)).toBeUndefined();
    expect(await cache.lookup('nope', unknown)).toBeUndefined();
    expect(loads).toBe(2);
    for (const id of ['a', 'b', 'c']) await cache.lookup(id, async () => owner(id));
    let reloaded = 0;
    await cache.lookup('a', async () => {
      reloaded += 1;
      return owner('a');
    });
    expect(reloaded).toBe(1); // the oldest was dropped
  });

  it('shares one load between concurrent misses of a key', async () => {
    let loads = 0;
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const cache = new PartnerKeyCache();
    const load = async () => {
      loads += 1;
      await gate;
      return owner('p1');
    };
    const answers = Promise.all([cache.lookup('h1', load), cache.lookup('h1', load), cache.lookup('h1', load)]);
    release();
    expect((await answers).map((o) => o?.partner.id)).toEqual(['p1', 'p1', 'p1']);
    expect(loads).toBe(1);
  });

  it('does not remember a load that a revocation overtook', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const cache = new PartnerKeyCache();
    const slow = cache.lookup('h1', async () => {
      await gate;
      return owner('p1'); // read before the revocation committed
    });
    cache.forget('h1');
    release();
    await slow;
    let loads = 0;
    await cache.lookup('h1', async () => {
      loads += 1;
      return undefined;
    });
    expect(loads).toBe(1);
  });

  it("forgets every key of a partner, and remembers nothing while revocations can't be heard", async () => {
    const cache = new PartnerKeyCache();
    let loads = 0;
    const load = (id: string) => async () => {
      loads += 1;
      return owner(id);
    };
    await cache.lookup('a1', load('a'));
    await cache.lookup('b1', load('b'));
    cache.forgetPartner('a');
    await cache.lookup('a1', load('a'));
    await cache.lookup('b1', load('b'));
    expect(loads).toBe(3);
    cache.setTrusting(false);
    await cache.lookup('b1', load('b'));
    await cache.lookup('b1', load('b'));
    expect(loads).toBe(5);
    cache.setTrusting(true);
    await cache.lookup('b1', load('b'));
    await cache.lookup('b1', load('b'));
    expect(loads).toBe(6);
  });
});
