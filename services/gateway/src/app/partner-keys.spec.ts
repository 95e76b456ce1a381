import { describe, expect, it } from 'vitest';
import type { PartnerRow } from '../infra/gateway.queries';
import { PartnerKeyCache, TTL_MS } from './partner-keys';

const partner = (id: string): PartnerRow => ({
  id,
  company_name: id,
  office_email: `${id}@example.test`,
  pre_legal_share_ppm: '400000',
  legal_share_ppm: '200000',
  api_key_hash: `h-${id}`,
});

describe('PartnerKeyCache', () => {
  it('answers a found key from memory until its time is up, then asks again', async () => {
    let t = 0;
    let loads = 0;
    const cache = new PartnerKeyCache(10, () => t);
    const load = async () => {
      loads += 1;
      return partner('p1');
    };
    expect((await cache.lookup('h1', load))?.id).toBe('p1');
    t = TTL_MS - 1;
    expect((await cache.lookup('h1', load))?.id).toBe('p1');
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
    for (const id of ['a', 'b', 'c']) await cache.lookup(id, async () => partner(id));
    let reloaded = 0;
    await cache.lookup('a', async () => {
      reloaded += 1;
      return partner('a');
    });
    expect(reloaded).toBe(1); // the oldest was dropped
  });
});
