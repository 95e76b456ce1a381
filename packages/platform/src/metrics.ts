// Prometheus metrics (prom-client): one registry per process, shared by every service in it (the
// embedded default runs all four). Request rates and latencies of HTTP and gRPC, consumed messages and
// consumer lag, dead-lettered messages, outbox and timer backlogs, webhook delivery attempts and mail sends.
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

type BacklogSource = () => Promise<number>;

export class Metrics {
  readonly registry = new Registry();
  readonly httpRequests: Counter<'method' | 'route' | 'status'>;
  readonly httpDuration: Histogram<'method' | 'route'>;
  readonly grpcRequests: Counter<'service' | 'method' | 'code'>;
  readonly grpcDuration: Histogram<'service' | 'method'>;
  readonly consumed: Counter<'group' | 'topic'>;
  readonly consumerLag: Gauge<'group' | 'topic' | 'partition'>;
  readonly deadLettered: Counter<'group' | 'topic'>;
  readonly webhookAttempts: Counter<'outcome'>;
  readonly webhookLatency: Histogram<'outcome'>;
  readonly webhookDisabled: Counter<'reason'>;
  readonly mailSends: Counter<'result'>;
  readonly rateLimitStoreErrors: Counter;
  private readonly outboxSources = new Map<string, BacklogSource>();
  private readonly timerSources = new Map<string, BacklogSource>();

  constructor(process: string) {
    this.registry.setDefaultLabels({ process });
    collectDefaultMetrics({ register: this.registry });
    const buckets = [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
    const r = [this.registry];
    this.httpRequests = new Counter({
      name: 'http_requests_total',
      help: 'HTTP requests answered by the gateway',
      labelNames: ['method', 'route', 'status'],
      registers: r,
    });
    this.httpDuration = new Histogram({
      name: 'http_request_duration_seconds',
      help: 'HTTP request latency',
      labelNames: ['method', 'route'],
      buckets,
      registers: r,
    });
    this.grpcRequests = new Counter({
      name: 'grpc_server_requests_total',
      help: 'gRPC calls handled',
      labelNames: ['service', 'method', 'code'],
      registers: r,
    });
    this.grpcDuration = new Histogram({
      name: 'grpc_server_request_duration_seconds',
      help: 'gRPC call latency',
      labelNames: ['service', 'method'],
      buckets,
      registers: r,
    });
    this.consumed = new Counter({ name: 'messages_consumed_total', help: 'Bus messages handled by consumers', labelNames: ['group', 'topic'], registers: r });
    this.deadLettered = new Counter({
      name: 'messages_dead_lettered_total',
      help: 'Bus messages parked in a dead-letter table after the bounded attempts',
      labelNames: ['group', 'topic'],
      registers: r,
    });
    this.consumerLag = new Gauge({
      name: 'kafka_consumer_lag',
      help: 'Messages behind the partition end after the last batch',
      labelNames: ['group', 'topic', 'partition'],
      registers: r,
    });
    this.webhookAttempts = new Counter({
      name: 'webhook_delivery_attempts_total',
      help: 'Webhook delivery attempts by outcome',
      labelNames: ['outcome'],
      registers: r,
    });
    this.webhookLatency = new Histogram({
      name: 'webhook_delivery_duration_seconds',
      help: 'Webhook POST latency',
      labelNames: ['outcome'],
      buckets,
      registers: r,
    });
    this.webhookDisabled = new Counter({
      name: 'webhook_subscriptions_disabled_total',
      help: 'Webhook subscriptions the platform disabled: the endpoint answered 410 Gone (gone) or failed every attempt of consecutive events (failing)',
      labelNames: ['reason'],
      registers: r,
    });
    this.mailSends = new Counter({ name: 'mail_sends_total', help: 'Follow-up mail send attempts', labelNames: ['result'], registers: r });
    this.rateLimitStoreErrors = new Counter({
      name: 'gateway_rate_limit_store_errors_total',
      help: 'Rate-limit leases that failed (database unreachable): the requests waiting for them were allowed (fail open)',
      registers: r,
    });
    const outbox = this.outboxSources;
    new Gauge({
      name: 'outbox_backlog',
      help: 'Outbox rows not yet published',
      labelNames: ['schema'],
      registers: r,
      async collect() {
        for (const [schema, source] of outbox) this.set({ schema }, await source().catch(() => -1));
      },
    });
    const timers = this.timerSources;
    new Gauge({
      name: 'timer_backlog',
      help: 'Durable timers that are due and not yet fired (follow-up timers, webhook retries)',
      labelNames: ['kind'],
      registers: r,
      async collect() {
        for (const [kind, source] of timers) this.set({ kind }, await source().catch(() => -1));
      },
    });
  }

  addOutbox(schema: string, backlog: BacklogSource): void {
    this.outboxSources.set(schema, backlog);
  }

  addTimers(kind: string, backlog: BacklogSource): void {
    this.timerSources.set(kind, backlog);
  }

  async text(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}

/** `GET /metrics` on its own port, for the services that speak only gRPC. */
export async function startMetricsServer(metrics: Metrics, host: string, port: number): Promise<{ port: number; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') return void res.writeHead(404).end();
    metrics.text().then(
      ({ contentType, body }) => res.writeHead(200, { 'content-type': contentType }).end(body),
      () => res.writeHead(500).end(),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return { port: (server.address() as AddressInfo).port, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}
