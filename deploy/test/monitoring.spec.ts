// Issue 15, metrics, alerts and lag-based scaling: every overlay declares and exposes each service's
// metrics port; the optional components (service-monitors, prometheus-rules, keda-lag-scaling) render on
// every overlay and validate against their CRDs' typed models; the alerts and the Grafana dashboard
// query only metrics the code exports; each alert has its runbook in deploy/README.md; KEDA watches
// the consumer groups and topics the services really consume.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Metrics } from '../../packages/platform/src/metrics';
import { TOPIC_PARTITIONS, TOPICS } from '../../packages/events/src/index';
import { build, type Json, type K8sObject } from './kustomize';
import {
  alertsOf,
  dashboardExpressions,
  exportedSeries,
  metricsPortViolations,
  promqlMetricNames,
  scaledObjectViolations,
  scrapeViolations,
} from './monitoring';
import { defaultDenyViolations } from './network';
import { overlayViolations, SERVICES } from './policy';
import { validateAll } from './validate';

const deployDir = path.resolve(__dirname, '..');
const repoRoot = path.resolve(deployDir, '..');
const OPTIONAL = ['../../components/service-monitors', '../../components/prometheus-rules', '../../components/keda-lag-scaling'];
const overlays = ['dev', 'prod'];
const readme = fs.readFileSync(path.join(deployDir, 'README.md'), 'utf8');
const dashboard = JSON.parse(fs.readFileSync(path.join(deployDir, 'dashboards/partner-payments.json'), 'utf8')) as Json;

// The (consumer group, topic) pairs a service subscribes to, read from its composition (service.ts).
function consumes(service: string): string[] {
  const file = path.join(repoRoot, 'services', service, 'src/service.ts');
  if (!fs.existsSync(file)) return [];
  const source = fs.readFileSync(file, 'utf8');
  return [...source.matchAll(/groupId: '([^']+)',\s*topics: \[([^\]]*)\]/g)].flatMap(([, group, topics]) =>
    [...topics!.matchAll(/TOPICS\.(\w+)/g)].map(([, key]) => `${group!}/${TOPICS[key as keyof typeof TOPICS]}`),
  );
}

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sourceFiles(path.join(dir, e.name)) : [path.join(dir, e.name)]));
}

// Every environment variable name in the code: the overlay rules refuse any other (policy.ts).
const knownEnvironment = new Set(
  [...SERVICES.map((s) => path.join(repoRoot, 'services', s, 'src')), path.join(repoRoot, 'packages/platform/src')]
    .flatMap(sourceFiles)
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.spec.ts'))
    .flatMap((f) => fs.readFileSync(f, 'utf8').match(/\b[A-Z][A-Z0-9_]{2,}\b/g) ?? []),
);

async function seriesTheCodeExports(): Promise<Set<string>> {
  const metrics = new Metrics('test');
  return exportedSeries((await metrics.registry.getMetricsAsJSON()).map((m) => ({ name: m.name, type: String(m.type) })));
}

function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\w\- ]/g, '')
    .replace(/ /g, '-');
}

describe.each(overlays)('overlays/%s metrics', (overlay) => {
  const objects = build(path.join(deployDir, 'overlays', overlay));

  it('every Deployment declares its metrics port (= METRICS_PORT), its Service exposes it, the gateway keeps /metrics off its API port', () => {
    expect(metricsPortViolations(objects)).toEqual([]);
    expect(objects.filter((o) => o.kind === 'Deployment').map((o) => o.metadata.name)).toEqual(expect.arrayContaining([...SERVICES]));
  });

  it('without the service-monitors component, the pods are found by their prometheus.io annotations', () => {
    expect(scrapeViolations(objects)).toEqual([]);
  });
});

describe.each(overlays)('overlays/%s with every optional component', (overlay) => {
  const objects = build(path.join(deployDir, 'overlays', overlay), OPTIONAL);
  const kinds = (kind: string) => objects.filter((o) => o.kind === kind).map((o) => o.metadata.name);

  it('renders a ServiceMonitor, a PrometheusRule and ScaledObjects, each valid against its CRD model, with no unknown field', () => {
    expect(kinds('ServiceMonitor')).toEqual(['partner-payments']);
    expect(kinds('PrometheusRule')).toEqual(['partner-payments']);
    expect(kinds('ScaledObject').sort()).toEqual(['case-lifecycle', 'follow-up']);
    expect(validateAll(objects)).toEqual([]);
  });

  it('keeps every rule: deployment rules, default-deny, metrics ports, one way of scraping, KEDA instead of the CPU HPAs of the consumers', () => {
    expect(overlayViolations(objects, knownEnvironment, TOPIC_PARTITIONS)).toEqual([]);
    expect(defaultDenyViolations(objects)).toEqual([]);
    expect(metricsPortViolations(objects)).toEqual([]);
    expect(scrapeViolations(objects)).toEqual([]);
    expect(scaledObjectViolations(objects, consumes, TOPIC_PARTITIONS)).toEqual([]);
    expect(kinds('HorizontalPodAutoscaler')).toEqual(['gateway']);
  });
});

describe('alerts and dashboard', () => {
  const rules = build(path.join(deployDir, 'overlays/prod'), ['../../components/prometheus-rules']);
  const alerts = alertsOf(rules);

  it('cover outbox lag, consumer lag, dead letters, failing and disabled webhooks, overdue follow-up timers, 5xx rate and p99 latency', () => {
    expect(alerts.map((a) => a.alert)).toEqual(
      expect.arrayContaining([
        'OutboxBacklog',
        'KafkaConsumerLag',
        'MessagesDeadLettered',
        'WebhookDeliveriesFailing',
        'WebhookSubscriptionsDisabled',
        'FollowUpTimersOverdue',
        'GatewayErrorRate',
        'GatewayLatencyP99',
      ]),
    );
  });

  it('every metric an alert or a dashboard panel queries is one the code exports (packages/platform/src/metrics.ts)', async () => {
    const exported = await seriesTheCodeExports();
    const used = new Map<string, string[]>();
    for (const a of alerts) used.set(`alert ${a.alert}`, promqlMetricNames(a.expr));
    dashboardExpressions(dashboard).forEach((expr, i) => used.set(`dashboard query ${i}: ${expr}`, promqlMetricNames(expr)));
    expect(used.size).toBeGreaterThan(alerts.length);
    const unknown = [...used].flatMap(([where, names]) => names.filter((n) => !exported.has(n)).map((n) => `${where}: ${n}`));
    expect(unknown).toEqual([]);
    for (const names of used.values()) expect(names.length).toBeGreaterThan(0);
  });

  it('every alert names its runbook, a section of deploy/README.md', () => {
    const anchors = new Set([...readme.matchAll(/^#{2,4} (.+)$/gm)].map(([, heading]) => slug(heading!)));
    for (const a of alerts) {
      expect(a.runbook, a.alert).toBe(`deploy/README.md#${a.alert.toLowerCase()}`);
      expect(anchors.has(a.alert.toLowerCase()), `README section for ${a.alert}`).toBe(true);
    }
  });

  it('the dashboard is a Grafana dashboard with a Prometheus datasource variable, and each panel a query', () => {
    expect(dashboard).toMatchObject({ title: 'Partner payments', uid: 'partner-payments', schemaVersion: expect.any(Number) });
    const panels = (dashboard as { panels: { type: string; targets?: unknown[] }[] }).panels.filter((p) => p.type !== 'row');
    expect(panels.length).toBeGreaterThan(8);
    for (const p of panels) expect(p.targets?.length).toBeGreaterThan(0);
    expect(JSON.stringify(dashboard)).toContain('"type":"datasource","query":"prometheus"');
  });
});

describe('the checks reject broken manifests', () => {
  const prod = build(path.join(deployDir, 'overlays/prod'), OPTIONAL);
  const edit = (name: string, kind: string, change: (o: Record<string, any>) => void): K8sObject[] =>
    prod.map((o) => {
      if (o.kind !== kind || o.metadata.name !== name) return o;
      const copy = structuredClone(o) as Record<string, any>;
      change(copy);
      return copy as K8sObject;
    });

  it('a Deployment without its metrics port, a METRICS_PORT elsewhere, a Service without it, a gateway with /metrics public', () => {
    const noPort = edit('ledger', 'Deployment', (d) => {
      d.spec.template.spec.containers[0].ports = d.spec.template.spec.containers[0].ports.filter((p: { name: string }) => p.name !== 'metrics');
    });
    expect(metricsPortViolations(noPort)).toEqual(['Deployment partner-payments/ledger: no container port named metrics']);
    const elsewhere = edit('ledger-config', 'ConfigMap', (c) => {
      c.data.METRICS_PORT = '9465';
    });
    expect(metricsPortViolations(elsewhere).join()).toMatch(/METRICS_PORT=9465 is not the metrics container port 9464/);
    const hidden = edit('follow-up', 'Service', (s) => {
      s.spec.ports = s.spec.ports.filter((p: { name: string }) => p.name !== 'metrics');
    });
    expect(metricsPortViolations(hidden)).toEqual(['Deployment partner-payments/follow-up: its Service does not expose the metrics port']);
    const publicMetrics = edit('gateway-config', 'ConfigMap', (c) => {
      delete c.data.METRICS_ON_API_PORT;
    });
    expect(metricsPortViolations(publicMetrics).join()).toMatch(/gateway: \/metrics must be off the public port/);
  });

  it('the CRD models catch a misspelt field and a wrong type in the custom resources', () => {
    const typo = edit('partner-payments', 'ServiceMonitor', (m) => {
      m.spec.endpoint = m.spec.endpoints;
      delete m.spec.endpoints;
    });
    expect(validateAll(typo.filter((o) => o.kind === 'ServiceMonitor')).join('\n')).toMatch(/ServiceMonitor partner-payments\/partner-payments: .*endpoint/);
    const wrongType = edit('follow-up', 'ScaledObject', (s) => {
      s.spec.minReplicaCount = 'two';
    });
    expect(validateAll(wrongType.filter((o) => o.kind === 'ScaledObject')).join('\n')).toMatch(/minReplicaCount/);
    const noExpr = edit('partner-payments', 'PrometheusRule', (r) => {
      delete r.spec.groups[0].rules[0].expr;
    });
    expect(validateAll(noExpr.filter((o) => o.kind === 'PrometheusRule')).join('\n')).toMatch(/expr/);
  });

  it('scraped twice or by nothing', () => {
    const twice = edit('ledger', 'Deployment', (d) => {
      d.spec.template.metadata.annotations['prometheus.io/scrape'] = 'true';
    });
    expect(scrapeViolations(twice)).toEqual(['Deployment partner-payments/ledger: scraped twice (annotations and a ServiceMonitor)']);
    expect(scrapeViolations(prod.filter((o) => o.kind !== 'ServiceMonitor'))).toHaveLength(SERVICES.length);
  });

  it('a metric the code does not export, in an alert or a panel', async () => {
    const exported = await seriesTheCodeExports();
    expect(promqlMetricNames('sum by (namespace) (rate(http_requests_total{status=~"5.."}[5m])) / sum(rate(http_request_total[5m])) > 0.01')).toEqual([
      'http_requests_total',
      'http_request_total',
    ]);
    expect(promqlMetricNames('histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket[5m]))) > 1e3 and on(ns) up')).toEqual([
      'http_request_duration_seconds_bucket',
      'up',
    ]);
    expect(exported.has('http_request_duration_seconds_bucket')).toBe(true);
    expect(exported.has('process_resident_memory_bytes')).toBe(true);
    expect(exported.has('http_request_total')).toBe(false);
    expect(exported.has('webhook_delivery_failures_total')).toBe(false);
  });

  it('a ScaledObject on the wrong group, without cpu, next to an HPA, or past the partitions', () => {
    const wrong = edit('follow-up', 'ScaledObject', (s) => {
      s.spec.triggers[0].metadata.consumerGroup = 'followup';
      s.spec.triggers = s.spec.triggers.filter((t: { type: string }) => t.type !== 'cpu');
      s.spec.maxReplicaCount = 12;
    });
    expect(scaledObjectViolations(wrong, consumes, TOPIC_PARTITIONS)).toEqual([
      'ScaledObject partner-payments/follow-up: maxReplicaCount must be at most the 8 partitions',
      'ScaledObject partner-payments/follow-up: followup/payment-events is not a consumer group/topic of follow-up',
      'ScaledObject partner-payments/follow-up: no kafka trigger for follow-up/payment-events',
      'ScaledObject partner-payments/follow-up: no cpu trigger',
    ]);
    const hpa = build(path.join(deployDir, 'overlays/prod')).find((o) => o.kind === 'HorizontalPodAutoscaler' && o.metadata.name === 'follow-up')!;
    expect(scaledObjectViolations([...prod, hpa], consumes, TOPIC_PARTITIONS)).toEqual([
      'ScaledObject partner-payments/follow-up: an HPA scales follow-up too',
    ]);
    expect(consumes('case-lifecycle').sort()).toEqual(['case-lifecycle/payment-events', 'webhook-delivery/webhook-delivery']);
  });
});
