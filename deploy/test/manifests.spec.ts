// Renders deploy/base and every overlay offline, validates each object against the Kubernetes
// schemas shipped in kubernetes-models, and checks the deployment rules (policy.ts). Broken objects
// are fed to the same checks to show they fail.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { TOPIC_PARTITIONS, TOPICS } from '../../packages/events/src/index';
import { build, parseYamlDocuments, type K8sObject } from './kustomize';
import {
  AUTOSCALED,
  completenessViolations,
  credentialViolations,
  overlayViolations,
  probeViolations,
  referenceViolations,
  resourceViolations,
  securityViolations,
  SERVICES,
  unknownEnvironmentViolations,
} from './policy';
import { schemaErrors, strictFieldErrors, validateAll } from './validate';

const deployDir = path.resolve(__dirname, '..');
const repoRoot = path.resolve(deployDir, '..');
const overlays = fs.readdirSync(path.join(deployDir, 'overlays')).filter((d) => fs.statSync(path.join(deployDir, 'overlays', d)).isDirectory());

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return sources(full);
    return e.name.endsWith('.ts') && !e.name.endsWith('.spec.ts') ? [full] : [];
  });
}

// Every upper-case identifier in the code that reads configuration: what may be set in a pod.
const knownEnvironment = new Set(
  [...SERVICES.flatMap((s) => sources(path.join(repoRoot, 'services', s, 'src'))), ...sources(path.join(repoRoot, 'packages/platform/src'))].flatMap(
    (file) => fs.readFileSync(file, 'utf8').match(/\b[A-Z][A-Z0-9_]{2,}\b/g) ?? [],
  ),
);

const rendered = new Map<string, K8sObject[]>(overlays.map((o) => [o, build(path.join(deployDir, 'overlays', o))]));

function byKind(objects: K8sObject[], kind: string): K8sObject[] {
  return objects.filter((o) => o.kind === kind);
}

describe('deploy/base', () => {
  it('renders and every object is valid against the Kubernetes schemas', () => {
    const objects = build(path.join(deployDir, 'base'));
    expect(objects.length).toBeGreaterThan(0);
    expect(validateAll(objects)).toEqual([]);
  });
});

describe('overlays', () => {
  it('there are dev and prod overlays', () => {
    expect(overlays).toEqual(expect.arrayContaining(['dev', 'prod']));
  });

  describe.each(overlays)('overlays/%s', (overlay) => {
    const objects = rendered.get(overlay)!;

    it('every rendered object is valid against the Kubernetes schemas, with no unknown field', () => {
      expect(validateAll(objects)).toEqual([]);
    });

    it('satisfies the deployment rules (non-root, probes, resources, secrets by reference, completeness, references, pinned images)', () => {
      expect(overlayViolations(objects, knownEnvironment, TOPIC_PARTITIONS)).toEqual([]);
    });

    it('has, for every service, a Deployment, a Service, a migration Job and a PodDisruptionBudget; HPAs for the gateway and consumers', () => {
      for (const name of SERVICES) {
        for (const kind of ['Deployment', 'Service', 'PodDisruptionBudget']) expect(byKind(objects, kind).map((o) => o.metadata.name)).toContain(name);
        expect(byKind(objects, 'Job').map((o) => o.metadata.name)).toContain(`${name}-migrate`);
      }
      expect(
        byKind(objects, 'HorizontalPodAutoscaler')
          .map((o) => o.metadata.name)
          .sort(),
      ).toEqual([...AUTOSCALED].sort());
    });

    it('points every service at its credentials Secret and the shared configuration', () => {
      const deployments = byKind(objects, 'Deployment');
      const secretRefs = (name: string) =>
        JSON.stringify(deployments.find((d) => d.metadata.name === name)).match(/"secretKeyRef":\{"name":"([^"]+)","key":"([^"]+)"\}/g) ?? [];
      for (const name of SERVICES) expect(secretRefs(name)).toContain(`"secretKeyRef":{"name":"${name}-secrets","key":"DATABASE_URL"}`);
      expect(secretRefs('gateway')).toContain('"secretKeyRef":{"name":"gateway-secrets","key":"ADMIN_API_KEY"}');
      expect(secretRefs('follow-up')).toContain('"secretKeyRef":{"name":"follow-up-secrets","key":"SMTP_URL"}');
      const platform = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'platform-config');
      expect(String(platform?.data && (platform.data as Record<string, string>).KAFKA_BROKERS)).toMatch(/^[^,\s]+:\d+(,[^,\s]+:\d+)*$/);
    });
  });

  it('dev declares the topics of packages/events as Strimzi KafkaTopics with TOPIC_PARTITIONS partitions', () => {
    const topics = byKind(rendered.get('dev')!, 'KafkaTopic');
    expect(topics.map((t) => t.metadata.name).sort()).toEqual(Object.values(TOPICS).sort());
    for (const t of topics) expect((t.spec as { partitions: number }).partitions).toBe(TOPIC_PARTITIONS);
  });

  it('the strimzi-topics component itself names every topic with TOPIC_PARTITIONS partitions', () => {
    const file = path.join(deployDir, 'components/strimzi-topics/topics.yaml');
    const topics = parseYamlDocuments(fs.readFileSync(file, 'utf8'), file) as K8sObject[];
    expect(topics.map((t) => t.metadata.name).sort()).toEqual(Object.values(TOPICS).sort());
    for (const t of topics) {
      expect(schemaErrors(t)).toEqual([]);
      expect((t.spec as { partitions: number }).partitions).toBe(TOPIC_PARTITIONS);
    }
  });

  it('the kafka-sasl-ssl component on prod: valid, within the rules, Kafka credentials by secretKeyRef and the CA mounted in every Kafka client', () => {
    const overlay = fs.mkdtempSync(path.join(os.tmpdir(), 'pp-kafka-sasl-ssl-'));
    try {
      const from = (dir: string) => path.relative(overlay, path.join(deployDir, dir));
      fs.writeFileSync(path.join(overlay, 'kustomization.yaml'), `resources: [${from('overlays/prod')}]\ncomponents: [${from('components/kafka-sasl-ssl')}]\n`);
      const objects = build(overlay);
      expect(validateAll(objects)).toEqual([]);
      expect(overlayViolations(objects, knownEnvironment, TOPIC_PARTITIONS)).toEqual([]);
      const platform = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'platform-config')!;
      expect(platform.data).toMatchObject({ KAFKA_SSL: 'true', KAFKA_SSL_CA_FILE: '/etc/kafka-ca/ca.crt', KAFKA_SASL_MECHANISM: 'scram-sha-512' });
      for (const name of ['ledger', 'case-lifecycle', 'follow-up']) {
        const text = JSON.stringify(byKind(objects, 'Deployment').find((d) => d.metadata.name === name));
        for (const key of ['KAFKA_SASL_USERNAME', 'KAFKA_SASL_PASSWORD']) expect(text).toContain(`"secretKeyRef":{"name":"${name}-secrets","key":"${key}"}`);
        expect(text).toContain('"mountPath":"/etc/kafka-ca","readOnly":true');
        expect(text).toContain('"secret":{"secretName":"kafka-ca"');
      }
    } finally {
      fs.rmSync(overlay, { recursive: true, force: true });
    }
  });

  it('each migration Job runs an entry point that exists in its service', () => {
    for (const name of SERVICES) expect(fs.existsSync(path.join(repoRoot, 'services', name, 'src/migrate.ts'))).toBe(true);
  });
});

// --- broken manifests are caught ------------------------------------------------------------------

function brokenDeployment(change: (d: Record<string, any>) => void): K8sObject {
  const base = structuredClone(rendered.get('prod')!.find((o) => o.kind === 'Deployment' && o.metadata.name === 'ledger')!);
  change(base);
  return base;
}

describe('the checks reject broken manifests', () => {
  it('schema: wrong types and missing required fields', () => {
    const wrongType = brokenDeployment((d) => {
      d.spec.replicas = 'two';
    });
    expect(schemaErrors(wrongType).join()).toMatch(/replicas/);
    const noContainers = brokenDeployment((d) => {
      delete d.spec.template.spec.containers;
    });
    expect(schemaErrors(noContainers).join()).toMatch(/containers/);
    const numericConfig: K8sObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' }, data: { PORT: 3000 } };
    expect(schemaErrors(numericConfig)).not.toEqual([]);
  });

  it('schema: a kind without a schema is an error, not a pass', () => {
    expect(schemaErrors({ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' } })).not.toEqual([]);
    expect(schemaErrors({ apiVersion: 'kafka.strimzi.io/v1', kind: 'KafkaTopic', metadata: { name: 't' }, spec: { partitions: 'eight' } })).not.toEqual([]);
  });

  it('strict fields: a misspelt field is reported with its object and line', () => {
    const typo = brokenDeployment((d) => {
      const c = d.spec.template.spec.containers[0];
      c.readinesProbe = c.readinessProbe;
      delete c.readinessProbe;
    });
    const errors = strictFieldErrors([typo]).get(typo) ?? [];
    expect(errors.join('\n')).toMatch(/readinesProbe/);
    expect(validateAll([typo]).join('\n')).toMatch(/Deployment partner-payments\/ledger: .*readinesProbe/);
  });

  it('policy: root, missing probes, missing limits, inline credentials, missing pieces', () => {
    const root = brokenDeployment((d) => {
      d.spec.template.spec.securityContext.runAsNonRoot = false;
      d.spec.template.spec.containers[0].securityContext.readOnlyRootFilesystem = false;
    });
    expect(securityViolations([root])).toHaveLength(2);
    const noProbe = brokenDeployment((d) => {
      delete d.spec.template.spec.containers[0].livenessProbe;
    });
    expect(probeViolations([noProbe]).join()).toMatch(/livenessProbe missing/);
    const noLimits = brokenDeployment((d) => {
      delete d.spec.template.spec.containers[0].resources.limits;
    });
    expect(resourceViolations([noLimits])).toHaveLength(2);
    const inline = brokenDeployment((d) => {
      d.spec.template.spec.containers[0].env = [{ name: 'DATABASE_URL', value: 'postgres://ledger:hunter2@db:5432/pp' }];
    });
    expect(credentialViolations([inline])).toHaveLength(2);
    const secret: K8sObject = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'ledger-secrets' }, stringData: { DATABASE_URL: 'x' } };
    expect(credentialViolations([secret])).toHaveLength(1);
    const withoutPdb = rendered.get('prod')!.filter((o) => !(o.kind === 'PodDisruptionBudget' && o.metadata.name === 'follow-up'));
    expect(completenessViolations(withoutPdb, TOPIC_PARTITIONS)).toEqual(['follow-up: PodDisruptionBudget missing']);
    const loopback = rendered
      .get('prod')!
      .map((o) =>
        o.kind === 'ConfigMap' && o.metadata.name === 'ledger-config'
          ? { ...o, data: { ...(o.data as Record<string, string>), GRPC_HOST: '127.0.0.1', GRPC_PORT: '50052' } }
          : o,
      );
    expect(referenceViolations(loopback)).toEqual([
      'Deployment partner-payments/ledger: GRPC_PORT=50052 is not a container port',
      'Deployment partner-payments/ledger: GRPC_HOST must be 0.0.0.0 (the default binds loopback only)',
    ]);
    const typoEnv = brokenDeployment((d) => {
      d.spec.template.spec.containers[0].env.push({ name: 'KAFKA_BROKER', value: 'kafka:9092' });
    });
    expect(unknownEnvironmentViolations([typoEnv], knownEnvironment).join()).toMatch(/KAFKA_BROKER is read nowhere/);
  });
});
