// SPEC §6 with the default policy (WEBHOOK_ALLOW_INSECURE and WEBHOOK_ALLOW_PRIVATE off): destinations
// that are not https or not public are refused at registration through the REST API, and a name that
// resolves to a private address is refused the same way.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { Api, startStack, type RunningStack } from '@pp/testing';

const ADMIN = 'test-admin-key';
let stack: RunningStack;
let api: Api;

beforeAll(async () => {
  stack = await startStack({ databaseUrl: inject('databaseUrl'), kafkaBrokers: inject('kafkaBrokers'), env: { ADMIN_API_KEY: ADMIN } });
  api = new Api(stack.gatewayUrl, ADMIN);
});

afterAll(async () => {
  await stack?.stop();
});

describe('webhook destinations with the allow flags off', () => {
  it.each([
    ['plain http', 'http://93.184.216.34/hook', /https/],
    ['loopback', 'https://127.0.0.1/hook', /public/],
    ['loopback IPv6', 'https://[::1]/hook', /public/],
    ['private 10/8', 'https://10.1.2.3/hook', /public/],
    ['private 192.168/16', 'https://192.168.0.10/hook', /public/],
    ['link-local', 'https://169.254.10.20/hook', /public/],
    ['cloud metadata', 'https://169.254.169.254/latest/meta-data/', /public/],
    ['unique local IPv6', 'https://[fd00::1]/hook', /public/],
    ['IPv4-mapped loopback', 'https://[::ffff:127.0.0.1]/hook', /public/],
    ['a name resolving to loopback', 'https://localhost/hook', /public/],
  ])('refuses %s', async (_what, url, message) => {
    const partner = await api.newPartner(`Ssrf ${Math.random().toString(36).slice(2, 8)}`);
    const res = await api.call<{ businessErrors: { type: string; field: string; message: string }[] }>('POST', '/webhooks', {
      key: partner.apiKey,
      body: { url, events: ['payment.created'] },
    });
    expect(res.status).toBe(400);
    expect(res.body.businessErrors[0]).toMatchObject({ type: 'ValidationError', field: 'url' });
    expect(res.body.businessErrors[0]!.message).toMatch(message);
    expect(await api.expect<unknown[]>(200, 'GET', '/webhooks', { key: partner.apiKey })).toEqual([]);
  });

  it('refuses a private destination on update too, and accepts a public https one', async () => {
    const partner = await api.newPartner('Ssrf Update');
    const created = await api.expect<{ id: string }>(201, 'POST', '/webhooks', {
      key: partner.apiKey,
      body: { url: 'https://93.184.216.34/hook', events: ['payment.created'] },
    });
    const res = await api.call('PUT', `/webhooks/${created.id}`, { key: partner.apiKey, body: { url: 'https://10.0.0.1/hook' } });
    expect(res.status).toBe(400);
    expect((await api.expect<{ url: string }>(200, 'GET', `/webhooks/${created.id}`, { key: partner.apiKey })).url).toBe('https://93.184.216.34/hook');
  });
});
