// Issue 6, tracing: the four-process stack exports OpenTelemetry spans over OTLP/HTTP (JSON) to a
// receiver in this test; one payment's spans share a trace across REST → gRPC → Kafka consumers.
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { Api, pollUntil, startStack, type RunningStack } from '@pp/testing';

const ADMIN = 'test-admin-key';
// OTLP span kinds
const SERVER = 2;
const CLIENT = 3;
const CONSUMER = 5;

type OtlpValue = { stringValue?: string; intValue?: string | number; boolValue?: boolean; doubleValue?: number };
type OtlpAttribute = { key: string; value: OtlpValue };
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes?: OtlpAttribute[];
}
interface OtlpExport {
  resourceSpans: { resource: { attributes: OtlpAttribute[] }; scopeSpans: { spans: OtlpSpan[] }[] }[];
}
interface Span {
  readonly service: string;
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId: string | undefined;
  readonly name: string;
  readonly kind: number;
  readonly attributes: Record<string, string | number | boolean | undefined>;
}

const valueOf = (v: OtlpValue) => v.stringValue ?? (v.intValue === undefined ? undefined : Number(v.intValue)) ?? v.boolValue ?? v.doubleValue;
const attributesOf = (list: OtlpAttribute[] = []) => Object.fromEntries(list.map((a) => [a.key, valueOf(a.value)]));

const spans: Span[] = [];
const contentTypes = new Set<string>();
let receiver: http.Server;
let stack: RunningStack;
let api: Api;

beforeAll(async () => {
  receiver = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      contentTypes.add(String(req.headers['content-type']));
      if (req.method === 'POST' && req.url === '/v1/traces') {
        const body = JSON.parse(Buffer.concat(chunks).toString()) as OtlpExport;
        for (const rs of body.resourceSpans) {
          const service = String(attributesOf(rs.resource.attributes)['service.name']);
          for (const ss of rs.scopeSpans) {
            for (const s of ss.spans) {
              spans.push({
                service,
                traceId: s.traceId,
                spanId: s.spanId,
                parentSpanId: s.parentSpanId || undefined,
                name: s.name,
                kind: s.kind,
                attributes: attributesOf(s.attributes),
              });
            }
          }
        }
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', () => resolve()));
  const port = (receiver.address() as AddressInfo).port;
  stack = await startStack({
    databaseUrl: inject('databaseUrl'),
    kafkaBrokers: inject('kafkaBrokers'),
    env: {
      ADMIN_API_KEY: ADMIN,
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_BSP_SCHEDULE_DELAY: '200',
    },
  });
  api = new Api(stack.gatewayUrl, ADMIN);
});

afterAll(async () => {
  await stack?.stop();
  await new Promise<void>((resolve) => receiver?.close(() => resolve()));
});

describe('tracing', () => {
  it("puts one payment's spans of all four services in one trace: HTTP server → gRPC client → gRPC server → Kafka consumer", async () => {
    const partner = await api.newPartner('Traced Spans Agency');
    const c = await api.newCase(partner.id);
    const requestId = `otel-${randomUUID()}`;
    await api.expect(200, 'POST', `/cases/${c.id}/payments`, {
      key: partner.apiKey,
      headers: { 'x-request-id': requestId },
      body: { date: '2026-11-01', paymentAmount: 100, paymentRecipient: 'Creditor', commissionPaymentStatus: 'Unpaid' },
    });

    const root = await pollUntil(async () => spans.find((s) => s.service === 'gateway' && s.kind === SERVER && s.attributes['pp.request_id'] === requestId), {
      timeoutMs: 15_000,
      what: 'the HTTP server span',
    });
    expect(root.name).toBe('POST /cases/:id/payments');
    expect(root.parentSpanId).toBeUndefined();
    expect(root.attributes).toMatchObject({ 'http.request.method': 'POST', 'http.route': '/cases/:id/payments', 'http.response.status_code': 200 });

    const consumerIn = (service: string) =>
      spans.find((s) => s.traceId === root.traceId && s.service === service && s.kind === CONSUMER && s.name === 'process payment-events');
    await pollUntil(async () => consumerIn('case-lifecycle') && consumerIn('follow-up'), {
      timeoutMs: 20_000,
      what: 'the consumer spans of case-lifecycle and follow-up in the same trace',
    });
    const trace = spans.filter((s) => s.traceId === root.traceId);
    expect(new Set(trace.map((s) => s.service))).toEqual(new Set(['gateway', 'ledger', 'case-lifecycle', 'follow-up']));

    const byId = new Map(trace.map((s) => [s.spanId, s]));
    const chainOf = (span: Span) => {
      const chain = [span];
      for (let p = span.parentSpanId; p !== undefined; p = byId.get(p)?.parentSpanId) {
        const parent = byId.get(p);
        if (!parent) throw new Error(`span ${span.name} of ${span.service}: parent ${p} not exported`);
        chain.unshift(parent);
      }
      return chain.map(
        (s) => `${s.service} ${s.kind === SERVER ? 'server' : s.kind === CLIENT ? 'client' : s.kind === CONSUMER ? 'consumer' : s.kind} ${s.name}`,
      );
    };
    for (const service of ['case-lifecycle', 'follow-up']) {
      const consumer = consumerIn(service)!;
      expect(chainOf(consumer)).toEqual([
        'gateway server POST /cases/:id/payments',
        'gateway client ledger.v1.Ledger/RecordPayment',
        'ledger server ledger.v1.Ledger/RecordPayment',
        `${service} consumer process payment-events`,
      ]);
      expect(consumer.attributes).toMatchObject({
        'messaging.system': 'kafka',
        'messaging.destination.name': 'payment-events',
        'messaging.consumer.group.name': service,
      });
      // the request id still travels next to the trace context
      expect(consumer.attributes['pp.request_id']).toBe(requestId);
    }
    const ledgerServer = trace.find((s) => s.service === 'ledger' && s.kind === SERVER && s.name === 'ledger.v1.Ledger/RecordPayment')!;
    expect(ledgerServer.attributes).toMatchObject({
      'rpc.system.name': 'grpc',
      'rpc.method': 'ledger.v1.Ledger/RecordPayment',
      'rpc.status_code': 'OK',
      'pp.request_id': requestId,
    });
    expect([...contentTypes]).toEqual(['application/json']);
  });

  it('starts a new trace per request and continues a caller-supplied traceparent', async () => {
    const traceId = randomUUID().replace(/-/g, '');
    const parent = '00f067aa0ba902b7';
    const partner = await api.newPartner('Traceparent Agency');
    await api.expect(200, 'GET', '/cases', { key: partner.apiKey, headers: { traceparent: `00-${traceId}-${parent}-01` } });
    const span = await pollUntil(async () => spans.find((s) => s.traceId === traceId && s.service === 'gateway' && s.kind === SERVER), {
      timeoutMs: 15_000,
      what: 'the HTTP span of the traced GET',
    });
    expect(span).toMatchObject({ name: 'GET /cases', parentSpanId: parent });
    const other = spans.filter((s) => s.service === 'gateway' && s.kind === SERVER && s.name === 'POST /admin/partners');
    expect(new Set(other.map((s) => s.traceId)).size).toBe(other.length);
  });
});
