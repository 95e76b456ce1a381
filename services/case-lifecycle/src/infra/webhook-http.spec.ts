import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkDestination, excerpt, isPublicAddress, postWebhook, sign } from './webhook-http';

const strict = { allowInsecure: false, allowPrivate: false };

describe('SSRF: which addresses a webhook may reach', () => {
  it('refuses loopback, private, link-local, metadata, shared, multicast and mapped addresses', () => {
    for (const a of [
      '127.0.0.1',
      '127.8.9.10',
      '10.1.2.3',
      '172.16.0.1',
      '172.31.255.255',
      '192.168.1.1',
      '169.254.169.254',
      '100.64.0.1',
      '0.0.0.0',
      '224.0.0.1',
      '255.255.255.255',
      '::1',
      '::',
      'fc00::1',
      'fd00:ec2::254',
      'fe80::1',
      '::ffff:127.0.0.1',
      '::ffff:169.254.169.254',
      'ff02::1',
      '::7f00:1',
      '::127.0.0.1',
      '::a9fe:a9fe',
      '::8.8.8.8',
    ]) {
      expect(isPublicAddress(a), a).toBe(false);
    }
    for (const a of ['93.184.216.34', '8.8.8.8', '2606:4700:4700::1111', '::ffff:8.8.8.8']) expect(isPublicAddress(a), a).toBe(true);
  });

  it('checks the URL at registration: https only, no private literal, no name resolving to a private address', async () => {
    await expect(checkDestination('http://93.184.216.34/hook', strict)).rejects.toThrow(/https/);
    for (const url of [
      'https://127.0.0.1/h',
      'https://10.0.0.5/h',
      'https://169.254.169.254/latest/meta-data',
      'https://[::1]/h',
      'https://[fd00:ec2::254]/h',
      'https://localhost/h',
      'https://localhost:8443/h',
    ]) {
      await expect(checkDestination(url, strict), url).rejects.toThrow(/public address/);
    }
    await expect(checkDestination('https://user:pw@93.184.216.34/h', strict)).rejects.toThrow(/credentials/);
    await expect(checkDestination('not a url', strict)).rejects.toThrow(/absolute URL/);
    expect((await checkDestination('https://93.184.216.34/hook', strict)).address).toEqual({ address: '93.184.216.34', family: 4 });
    // a name that does not resolve cannot be checked, so it is refused at registration too (.invalid never resolves, RFC 6761)
    await expect(checkDestination('https://no-such-host.invalid/hook', strict)).rejects.toThrow(/does not resolve/);
    await expect(checkDestination('http://no-such-host.invalid/hook', { allowInsecure: true, allowPrivate: true })).rejects.toThrow(/does not resolve/);
    // relaxed for local use by the two flags
    expect((await checkDestination('http://127.0.0.1:9/h', { allowInsecure: true, allowPrivate: true })).address?.address).toBe('127.0.0.1');
  });
});

describe('delivery is checked again and pinned', () => {
  let server: http.Server;
  let hits = 0;
  let port = 0;
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      hits++;
      res.writeHead(req.url === '/redirect' ? 302 : 200, req.url === '/redirect' ? { location: `http://127.0.0.1:${port}/ok` } : {});
      res.end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('never connects to a loopback receiver, by address or by a name resolving to it, when private addresses are not allowed', async () => {
    for (const host of ['127.0.0.1', 'localhost']) {
      const r = await postWebhook(`http://${host}:${port}/ok`, '{}', {}, { allowInsecure: true, allowPrivate: false }, 2000);
      expect(r.status).toBeUndefined();
      expect(r.error).toMatch(/public address/);
    }
    expect(hits).toBe(0);
  });

  it('answers 3xx as a failure and does not follow the redirect', async () => {
    const r = await postWebhook(`http://127.0.0.1:${port}/redirect`, '{}', {}, { allowInsecure: true, allowPrivate: true }, 2000);
    expect(r.status).toBe(302);
    expect(hits).toBe(1);
  });

  it('times out a receiver that never answers', async () => {
    const silent = http.createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', () => resolve()));
    const r = await postWebhook(`http://127.0.0.1:${(silent.address() as AddressInfo).port}/`, '{}', {}, { allowInsecure: true, allowPrivate: true }, 300);
    expect(r.error).toMatch(/timed out/);
    silent.closeAllConnections();
    await new Promise<void>((resolve) => silent.close(() => resolve()));
  });
});

describe('Standard Webhooks signature', () => {
  it('is v1, base64 HMAC-SHA256 over id.timestamp.body with the base64-decoded secret', () => {
    // test vector of the Standard Webhooks specification
    const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
    const body = '{"test": 2432232314}';
    expect(sign(secret, 'msg_p5jXN8AQM9LWM0D4loKWxJek', 1614265330, body)).toBe('v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
  });
});

describe("the start of a receiver's answer, as the delivery history keeps it", () => {
  it('keeps text, drops control characters and a multi-byte character cut at the end', () => {
    expect(excerpt(Buffer.from('ok\n\tdone'))).toBe('ok\n\tdone');
    expect(excerpt(Buffer.from('a\u0000b\u001bc'))).toBe('abc');
    expect(excerpt(Buffer.from('prix 5€').subarray(0, 7))).toBe('prix 5');
    expect(excerpt(Buffer.alloc(0))).toBe('');
  });
});
