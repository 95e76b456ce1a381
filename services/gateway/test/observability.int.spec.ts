// Issue 6: one payment's request id followed through the logs of every process, and the Prometheus
// series of each service read after traffic.
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { Api, pollUntil, startStack, type RunningStack, type ServiceName } from '@pp/testing';

const ADMIN = 'test-admin-key';
let stack: RunningStack;
let api: Api;
const lines: Record<string, unknown>[] = [];
let receiver: http.Server;
let receiverPort = 0;

beforeAll(async () => {
  receiver = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(204).end());
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', () => resolve()));
  receiverPort = (receiver.address() as AddressInfo).port;
  const output = new PassThrough();
  let rest = '';
  output.on('data', (chunk: Buffer) => {
    const text = rest + chunk.toString();
    const parts = text.split('\n');
    rest = parts.pop() ?? '';
    for (const line of parts) {
      try {
        lines.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        // not a log line
      }
    }
  });
  stack = await startStack({
    databaseUrl: inject('databaseUrl'),
    kafkaBrokers: inject('kafkaBrokers'),
    env: { ADMIN_API_KEY: ADMIN, LOG_LEVEL: 'info', WEBHOOK_ALLOW_INSECURE: 'true', WEBHOOK_ALLOW_PRIVATE: 'true' },
    output,
  });
  api = new Api(stack.gatewayUrl, ADMIN);
});

afterAll(async () => {
  await stack?.stop();
  await new Promise<void>((resolve) => receiver.close(() => resolve()));
});

describe('observability', () => {
  it("follows one payment's request id from the gateway through the ledger, case-lifecycle's consumer and the follow-up service", async () => {
    const partner = await api.newPartner('Traced Agency');
    const c = await api.newCase(partner.id);
    const requestId = `trace-${randomUUID()}`;
    await api.expect(200, 'POST', `/cases/${c.id}/payments`, {
      key: partner.apiKey,
      headers: { 'x-request-id': requestId },
      body: { date: '2026-11-01', paymentAmount: 100, paymentRecipient: 'Creditor', commissionPaymentStatus: 'Unpaid' },
    });
    const seen = await pollUntil(
      async () => {
        const services = new Set(lines.filter((l) => l.requestId === requestId).map((l) => String(l.service)));
        return ['gateway', 'ledger', 'case-lifecycle', 'follow-up'].every((s) => services.has(s)) && services;
      },
      { timeoutMs: 15_000, what: 'the request id in the logs of all four services' },
    );
    expect([...seen].sort()).toEqual(['case-lifecycle', 'follow-up', 'gateway', 'ledger']);
    const byService = (s: string) => lines.filter((l) => l.requestId === requestId && l.service === s).map((l) => l.msg);
    expect(byService('gateway')).toContain('request');
    expect(byService('ledger')).toContain('grpc call');
    expect(byService('case-lifecycle')).toContain('applied ledger event');
    expect(byService('follow-up')).toContain('applied payment event');
  });

  it('exposes the named Prometheus series on every service after traffic', async () => {
    const partner = await api.newPartner('Measured Agency');
    await api.expect(201, 'POST', '/webhooks', { key: partner.apiKey, body: { url: `http://127.0.0.1:${receiverPort}/hook`, events: ['payment.created'] } });
    const c = await api.newCase(partner.id);
    await api.expect(200, 'POST', `/cases/${c.id}/payments`, {
      key: partner.apiKey,
      body: { date: '2026-11-01', paymentAmount: 10, paymentRecipient: 'Creditor', commissionPaymentStatus: 'Unpaid' },
    });
    await pollUntil(
      async () => {
        const log = await api.expect<{ deliveredAt: string | null }[]>(200, 'GET', `/webhooks/events?caseId=${c.id}`, { key: partner.apiKey });
        return Boolean(log[0]?.deliveredAt);
      },
      { what: 'a delivered webhook' },
    );
    await pollUntil(async () => (await api.expect<unknown[]>(200, 'GET', `/tasks?caseId=${c.id}`, { key: partner.apiKey })).length === 1, {
      what: 'the follow-up task',
    });
    const scrape = async (service: ServiceName) => {
      const res = await fetch(`http://127.0.0.1:${stack.metricsPorts[service]}/metrics`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/text\/plain/);
      return res.text();
    };
    const has = (text: string, series: string) => expect(text, series).toMatch(new RegExp(`^${series}(\\{[^}]*\\})? `, 'm'));
    const gateway = await scrape('gateway');
    has(gateway, 'http_requests_total');
    has(gateway, 'http_request_duration_seconds_bucket');
    expect(gateway).toMatch(/http_requests_total\{[^}]*route="\/cases\/:id\/payments"/);
    has(gateway, 'process_cpu_seconds_total');
    const ledger = await scrape('ledger');
    has(ledger, 'grpc_server_requests_total');
    has(ledger, 'grpc_server_request_duration_seconds_bucket');
    expect(ledger).toMatch(/outbox_backlog\{[^}]*schema="ledger"/);
    const cases = await scrape('case-lifecycle');
    has(cases, 'messages_consumed_total');
    has(cases, 'kafka_consumer_lag');
    has(cases, 'webhook_delivery_attempts_total');
    expect(cases).toMatch(/webhook_delivery_attempts_total\{[^}]*outcome="delivered"[^}]*\} [1-9]/);
    expect(cases).toMatch(/timer_backlog\{[^}]*kind="webhook-retry"/);
    expect(cases).toMatch(/outbox_backlog\{[^}]*schema="cases"/);
    const followUp = await scrape('follow-up');
    has(followUp, 'messages_consumed_total');
    expect(followUp).toMatch(/timer_backlog\{[^}]*kind="follow-up"/);
    expect(followUp).toMatch(/outbox_backlog\{[^}]*schema="followup"/);
    has(followUp, 'mail_sends_total');
  });
});
