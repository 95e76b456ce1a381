// What makes the services observable and scalable in a cluster, as checks that return violations:
// every Deployment declares the port its process serves /metrics on and its Service exposes it;
// the metric names the alerts and the dashboard query exist in the code; KEDA's triggers name the
// consumer groups and topics the services really consume.
import { isObject, type Json, type JsonObject, type K8sObject } from './kustomize';
import { containers, get, podTemplates } from './policy';
import { describeObject as describe } from './validate';

function asList(value: Json | undefined): Json[] {
  return Array.isArray(value) ? value : [];
}

/** The environment a container gets: its ConfigMaps (envFrom) and its literal env values. */
export function environmentOf(objects: readonly K8sObject[], container: JsonObject): Map<string, string> {
  const env = new Map<string, string>();
  for (const from of asList(container.envFrom).filter(isObject)) {
    const name = get(from, 'configMapRef', 'name');
    const cm = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === name);
    if (cm && isObject(cm.data)) for (const [k, v] of Object.entries(cm.data)) env.set(k, String(v));
  }
  for (const e of asList(container.env).filter(isObject)) if (typeof e.value === 'string') env.set(String(e.name), e.value);
  return env;
}

/**
 * Every Deployment: its main container declares a port named `metrics` that is the METRICS_PORT it
 * sets; its Service exposes that port by name; the pod's prometheus.io annotations, when they ask for
 * a scrape, name the same port. A process with a public HTTP port (PORT) keeps /metrics off it.
 */
export function metricsPortViolations(objects: readonly K8sObject[]): string[] {
  const out: string[] = [];
  for (const { owner, spec } of podTemplates(objects.filter((o) => o.kind === 'Deployment'))) {
    const where = describe(owner);
    const main = containers(spec).find((c) => c.name === owner.metadata.name);
    if (!main) continue; // probeViolations reports it
    const port = asList(main.ports)
      .filter(isObject)
      .find((p) => p.name === 'metrics');
    const env = environmentOf(objects, main);
    if (!port) {
      out.push(`${where}: no container port named metrics`);
      continue;
    }
    if (env.get('METRICS_PORT') !== String(port.containerPort))
      out.push(`${where}: METRICS_PORT=${env.get('METRICS_PORT') ?? '(unset)'} is not the metrics container port ${String(port.containerPort)}`);
    if (env.has('PORT') && env.get('METRICS_ON_API_PORT') !== 'false') out.push(`${where}: /metrics must be off the public port (METRICS_ON_API_PORT=false)`);
    const service = objects.find((o) => o.kind === 'Service' && o.metadata.name === owner.metadata.name);
    const exposed = asList(get(service, 'spec', 'ports')).some((p) => get(p, 'targetPort') === 'metrics' || get(p, 'targetPort') === port.containerPort);
    if (!exposed) out.push(`${where}: its Service does not expose the metrics port`);
    const annotations = get(owner, 'spec', 'template', 'metadata', 'annotations');
    if (get(annotations, 'prometheus.io/scrape') === 'true' && get(annotations, 'prometheus.io/port') !== String(port.containerPort))
      out.push(`${where}: prometheus.io/port must be the metrics port ${String(port.containerPort)}`);
  }
  return out;
}

/** Scraping is configured one way: ServiceMonitors, or pod annotations, never neither (or both). */
export function scrapeViolations(objects: readonly K8sObject[]): string[] {
  const monitors = objects.filter((o) => o.kind === 'ServiceMonitor');
  const out: string[] = [];
  for (const d of objects.filter((o) => o.kind === 'Deployment')) {
    const annotated = get(d, 'spec', 'template', 'metadata', 'annotations', 'prometheus.io/scrape') === 'true';
    const service = objects.find((o) => o.kind === 'Service' && o.metadata.name === d.metadata.name);
    const labels = (service?.metadata.labels ?? {}) as Record<string, string>;
    const monitored = monitors.some((m) => {
      const match = get(m, 'spec', 'selector', 'matchLabels');
      const ports = asList(get(m, 'spec', 'endpoints')).map((e) => get(e, 'port'));
      return isObject(match) && Object.entries(match).every(([k, v]) => labels[k] === v) && ports.includes('metrics');
    });
    if (annotated && monitored) out.push(`${describe(d)}: scraped twice (annotations and a ServiceMonitor)`);
    if (!annotated && !monitored) out.push(`${describe(d)}: scraped by nothing`);
  }
  return out;
}

const PROMQL_WORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'and', 'or', 'unless', 'bool', 'offset', 'inf', 'nan']);

/**
 * The metric names a PromQL expression reads. Removed first: string literals, label matchers `{…}`,
 * range and subquery brackets `[…]`, and the label lists of by/without/on/ignoring/group_*; what is
 * left that is an identifier not followed by `(` (a function) and not a keyword is a metric name.
 */
export function promqlMetricNames(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, ' ')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  const names = new Set<string>();
  for (const m of stripped.matchAll(/[A-Za-z_:][A-Za-z0-9_:]*/g)) {
    const after = stripped.slice(m.index + m[0].length).trimStart();
    if (after.startsWith('(') || PROMQL_WORDS.has(m[0].toLowerCase())) continue;
    const before = stripped.slice(0, m.index);
    if (/[0-9.]$/.test(before) || /\$$/.test(before)) continue; // 5m, 1e3, a $variable
    names.add(m[0]);
  }
  return [...names];
}

/** The series names a registry exports: each metric, and a histogram's _bucket, _sum and _count. */
export function exportedSeries(metrics: readonly { name: string; type: string }[]): Set<string> {
  const out = new Set<string>();
  for (const m of metrics) {
    out.add(m.name);
    if (m.type === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) out.add(`${m.name}${suffix}`);
    if (m.type === 'summary') for (const suffix of ['_sum', '_count']) out.add(`${m.name}${suffix}`);
  }
  return out;
}

/** Every alert of every PrometheusRule: name, expression, and its runbook annotation. */
export function alertsOf(objects: readonly K8sObject[]): { alert: string; expr: string; runbook: string | undefined }[] {
  return objects
    .filter((o) => o.kind === 'PrometheusRule')
    .flatMap((o) => asList(get(o, 'spec', 'groups')).flatMap((g) => asList(get(g, 'rules'))))
    .filter((r) => typeof get(r, 'alert') === 'string')
    .map((r) => ({ alert: String(get(r, 'alert')), expr: String(get(r, 'expr')), runbook: get(r, 'annotations', 'runbook') as string | undefined }));
}

/** Every PromQL expression of a Grafana dashboard (its panels' targets, nested rows included). */
export function dashboardExpressions(dashboard: Json): string[] {
  const out: string[] = [];
  const visit = (node: Json) => {
    if (Array.isArray(node)) node.forEach(visit);
    else if (isObject(node)) {
      if (Array.isArray(node.targets)) for (const t of node.targets) if (typeof get(t, 'expr') === 'string') out.push(String(get(t, 'expr')));
      if (Array.isArray(node.panels)) visit(node.panels);
    }
  };
  visit(get(dashboard, 'panels') ?? []);
  return out;
}

/**
 * KEDA ScaledObjects: the target Deployment exists and no HPA scales it too; replicas stay within the
 * partitions a consumer group can use; every kafka trigger reads its brokers from an environment
 * variable the target sets and watches a (consumer group, topic) the target consumes; a cpu trigger
 * remains, so scaling is on lag and CPU.
 */
export function scaledObjectViolations(objects: readonly K8sObject[], consumes: (deployment: string) => string[], maxReplicas: number): string[] {
  const out: string[] = [];
  for (const so of objects.filter((o) => o.kind === 'ScaledObject')) {
    const where = describe(so);
    const target = String(get(so, 'spec', 'scaleTargetRef', 'name'));
    const deployment = objects.find((o) => o.kind === 'Deployment' && o.metadata.name === target);
    if (!deployment) {
      out.push(`${where}: scales ${target}, which is not a Deployment here`);
      continue;
    }
    if (objects.some((o) => o.kind === 'HorizontalPodAutoscaler' && get(o, 'spec', 'scaleTargetRef', 'name') === target))
      out.push(`${where}: an HPA scales ${target} too`);
    const max = get(so, 'spec', 'maxReplicaCount');
    if (typeof max !== 'number' || max > maxReplicas) out.push(`${where}: maxReplicaCount must be at most the ${maxReplicas} partitions`);
    const main = containers(get(deployment, 'spec', 'template', 'spec') as JsonObject).find((c) => c.name === target);
    const env = main ? environmentOf(objects, main) : new Map<string, string>();
    const triggers = asList(get(so, 'spec', 'triggers')).filter(isObject);
    const watched = new Set<string>();
    for (const t of triggers.filter((x) => x.type === 'kafka')) {
      const fromEnv = get(t, 'metadata', 'bootstrapServersFromEnv');
      if (typeof fromEnv !== 'string' || !env.has(fromEnv)) out.push(`${where}: bootstrapServersFromEnv must name a variable ${target} sets`);
      watched.add(`${String(get(t, 'metadata', 'consumerGroup'))}/${String(get(t, 'metadata', 'topic'))}`);
    }
    const expected = new Set(consumes(target));
    for (const w of watched) if (!expected.has(w)) out.push(`${where}: ${w} is not a consumer group/topic of ${target}`);
    for (const e of expected) if (!watched.has(e)) out.push(`${where}: no kafka trigger for ${e}`);
    if (!triggers.some((x) => x.type === 'cpu')) out.push(`${where}: no cpu trigger`);
  }
  return out;
}
