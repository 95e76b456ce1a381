// The NetworkPolicies of every overlay allow exactly the traffic the services need (issue 15): the
// gateway takes the ingress controller's requests; gRPC flows along the *_GRPC_ADDRESS settings and
// nowhere else; egress reaches DNS, PostgreSQL, Kafka, SMTP (follow-up) and public HTTPS (webhooks,
// case-lifecycle) only; Prometheus reaches the metrics ports. Checked with the offline evaluator of
// network.ts, which is itself checked against hand-made policies below.
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { isPublicAddress } from '../../services/case-lifecycle/src/infra/webhook-http';
import { build, type K8sObject } from './kustomize';
import { allows, defaultDenyViolations, inCidr, matchesSelector, podOf, type Endpoint, type PodEndpoint } from './network';
import { SERVICES } from './policy';
import { environmentOf } from './monitoring';

const deployDir = path.resolve(__dirname, '..');

// Where each overlay's PostgreSQL and Kafka are (overlays/*/network-*.yaml; README step 2 for dev).
const ENVIRONMENTS = {
  dev: {
    postgres: (ns: string): Endpoint => ({ namespace: ns, labels: { run: 'postgres' }, ip: '10.244.9.1' }),
    kafka: (ns: string): Endpoint => ({
      namespace: ns,
      labels: { 'strimzi.io/cluster': 'pp-kafka', 'strimzi.io/kind': 'Kafka', 'strimzi.io/pool-name': 'dual-role' },
      ip: '10.244.9.2',
    }),
  },
  prod: {
    postgres: (): Endpoint => ({ ip: '10.20.0.15' }),
    kafka: (): Endpoint => ({ ip: '10.30.0.21' }),
  },
} as const;

const PUBLIC_HOST: Endpoint = { ip: '93.184.215.14' };
const ELSEWHERE: Endpoint = { ip: '10.99.0.7' };

function workloads(objects: K8sObject[]) {
  const pods = new Map<string, PodEndpoint>();
  let n = 1;
  for (const o of objects.filter((x) => x.kind === 'Deployment' || x.kind === 'Job')) pods.set(o.metadata.name, podOf(o, `10.244.0.${n++}`));
  return pods;
}

describe.each(Object.keys(ENVIRONMENTS) as (keyof typeof ENVIRONMENTS)[])('overlays/%s network policies', (overlay) => {
  const objects = build(path.join(deployDir, 'overlays', overlay));
  const ns = objects.find((o) => o.kind === 'Deployment')!.metadata.namespace!;
  const pods = workloads(objects);
  const pod = (name: string) => pods.get(name)!;
  const env = ENVIRONMENTS[overlay];
  const dns: Endpoint = { namespace: 'kube-system', labels: { 'k8s-app': 'kube-dns' }, ip: '10.96.0.10' };
  const ingressController: Endpoint = { namespace: 'ingress-nginx', labels: { 'app.kubernetes.io/name': 'ingress-nginx' }, ip: '10.244.7.1' };
  const prometheus: Endpoint = { namespace: 'monitoring', labels: { 'app.kubernetes.io/name': 'prometheus' }, ip: '10.244.8.1' };
  const stranger: Endpoint = { namespace: 'other-team', labels: { app: 'curious' }, ip: '10.244.6.1' };
  const migrations = SERVICES.map((s) => `${s}-migrate`);

  it('the namespace default-denies both ways, and nothing undoes it', () => {
    expect(defaultDenyViolations(objects)).toEqual([]);
  });

  it('gRPC flows exactly along the *_GRPC_ADDRESS settings: the gateway to all three, no one else', () => {
    const calls = new Set<string>();
    for (const d of objects.filter((o) => o.kind === 'Deployment')) {
      const main = (d.spec as { template: { spec: { containers: Record<string, never>[] } } }).template.spec.containers[0]!;
      for (const [key, value] of environmentOf(objects, main)) if (key.endsWith('_GRPC_ADDRESS')) calls.add(`${d.metadata.name} → ${value.split(':')[0]!}`);
    }
    expect([...calls].sort()).toEqual(['gateway → case-lifecycle', 'gateway → follow-up', 'gateway → ledger']);
    for (const from of [...SERVICES, ...migrations]) {
      for (const to of SERVICES.filter((s) => s !== 'gateway')) {
        expect({ call: `${from} → ${to}`, allowed: allows(objects, pod(from), pod(to), 50051) }).toEqual({
          call: `${from} → ${to}`,
          allowed: calls.has(`${from} → ${to}`),
        });
      }
    }
    expect(allows(objects, stranger, pod('ledger'), 50051)).toBe(false);
    expect(allows(objects, ingressController, pod('ledger'), 50051)).toBe(false);
  });

  it('the gateway takes HTTP from the ingress controller only; Prometheus reaches every metrics port, no one else does', () => {
    expect(allows(objects, ingressController, pod('gateway'), 3000)).toBe(true);
    expect(allows(objects, stranger, pod('gateway'), 3000)).toBe(false);
    expect(allows(objects, pod('ledger'), pod('gateway'), 3000)).toBe(false);
    expect(allows(objects, ingressController, pod('gateway'), 9464)).toBe(false);
    for (const s of SERVICES) {
      expect(allows(objects, prometheus, pod(s), 9464)).toBe(true);
      expect(allows(objects, stranger, pod(s), 9464)).toBe(false);
      expect(allows(objects, prometheus, pod(s), s === 'gateway' ? 3000 : 50051)).toBe(false);
    }
  });

  it('every pod resolves names; all of ours reach PostgreSQL, the Kafka clients reach Kafka, and that is all of their egress', () => {
    const kafkaClients = ['ledger', 'case-lifecycle', 'follow-up'];
    for (const name of [...SERVICES, ...migrations]) {
      expect(allows(objects, pod(name), dns, 53, 'UDP')).toBe(true);
      expect(allows(objects, pod(name), env.postgres(ns), 5432)).toBe(true);
      expect({ name, kafka: allows(objects, pod(name), env.kafka(ns), 9092) }).toEqual({ name, kafka: kafkaClients.includes(name) });
      expect(allows(objects, pod(name), ELSEWHERE, 22)).toBe(false);
      expect(allows(objects, pod(name), stranger, 6000)).toBe(false);
    }
  });

  it('SMTP from follow-up only; HTTPS to the public internet from case-lifecycle (webhooks) only', () => {
    for (const name of [...SERVICES, ...migrations]) {
      expect({ name, smtp: allows(objects, pod(name), PUBLIC_HOST, 587) }).toEqual({ name, smtp: name === 'follow-up' });
      expect({ name, https: allows(objects, pod(name), PUBLIC_HOST, 443) }).toEqual({ name, https: name === 'case-lifecycle' });
    }
  });

  if (overlay === 'prod') {
    it('webhook egress refuses every non-public range the code refuses (isPublicAddress), and allows public addresses', () => {
      const samples = [
        '10.1.2.3',
        '172.20.0.5',
        '192.168.1.10',
        '169.254.169.254',
        '127.0.0.1',
        '100.64.1.1',
        '0.1.2.3',
        '192.0.0.8',
        '192.0.2.1',
        '198.18.0.1',
        '198.51.100.2',
        '203.0.113.9',
        '224.0.0.1',
        '240.0.0.1',
        '8.8.8.8',
        '1.1.1.1',
        '93.184.215.14',
        '::1',
        'fd00::1',
        'fe80::1',
        '2001:db8::1',
        'ff02::1',
        '2606:4700:4700::1111',
        '2a00:1450:4001:80e::200e',
      ];
      for (const ip of samples) {
        expect({ ip, allowed: allows(objects, pod('case-lifecycle'), { ip }, 443) }).toEqual({ ip, allowed: isPublicAddress(ip) });
      }
      expect(allows(objects, pod('case-lifecycle'), PUBLIC_HOST, 80)).toBe(false);
    });
  } else {
    it('dev also lets webhooks reach plain-HTTP and private receivers (WEBHOOK_ALLOW_INSECURE/PRIVATE), and leaves its own Kafka and PostgreSQL alone', () => {
      expect(allows(objects, pod('case-lifecycle'), { ip: '10.244.5.5' }, 80)).toBe(true);
      expect(allows(objects, pod('gateway'), { ip: '10.244.5.5' }, 80)).toBe(false);
      // the dev infrastructure in the namespace is not ours and stays reachable (the Strimzi operator, brokers, PostgreSQL)
      expect(allows(objects, pod('ledger'), env.kafka(ns), 9092)).toBe(true);
      expect(allows(objects, env.kafka(ns), env.postgres(ns), 5432)).toBe(true);
    });
  }
});

describe('the evaluator itself', () => {
  const policy = (name: string, spec: Record<string, unknown>): K8sObject => ({
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name, namespace: 'ns' },
    spec: spec as never,
  });
  const a: PodEndpoint = { namespace: 'ns', labels: { app: 'a' }, ip: '10.0.0.1', ports: [{ name: 'web', containerPort: 8080 }] };
  const b: PodEndpoint = { namespace: 'ns', labels: { app: 'b' }, ip: '10.0.0.2', ports: [{ name: 'web', containerPort: 8080 }] };
  const deny = policy('deny', { podSelector: {}, policyTypes: ['Ingress', 'Egress'] });

  it('no policy: open; default-deny: closed; rules add up, by named port, namespace and ipBlock', () => {
    expect(allows([], a, b, 8080)).toBe(true);
    expect(allows([deny], a, b, 8080)).toBe(false);
    const bIn = policy('b-in', {
      podSelector: { matchLabels: { app: 'b' } },
      ingress: [{ from: [{ podSelector: { matchLabels: { app: 'a' } } }], ports: [{ port: 'web' }] }],
    });
    const aOut = policy('a-out', { podSelector: { matchLabels: { app: 'a' } }, policyTypes: ['Egress'], egress: [{ to: [{ podSelector: {} }] }] });
    expect(allows([deny, bIn], a, b, 8080)).toBe(false); // a's egress is still denied
    expect(allows([deny, bIn, aOut], a, b, 8080)).toBe(true);
    expect(allows([deny, bIn, aOut], a, b, 8081)).toBe(false);
    expect(allows([deny, bIn, aOut], b, a, 8080)).toBe(false);
    const elsewhere: PodEndpoint = { ...a, namespace: 'other' };
    expect(allows([deny, bIn], elsewhere, b, 8080)).toBe(false); // a podSelector alone means the policy's namespace
    const web = policy('web', {
      podSelector: { matchLabels: { app: 'a' } },
      policyTypes: ['Egress'],
      egress: [{ to: [{ ipBlock: { cidr: '0.0.0.0/0', except: ['10.0.0.0/8'] } }], ports: [{ port: 443, protocol: 'TCP' }] }],
    });
    expect(allows([deny, web], a, { ip: '8.8.8.8' }, 443)).toBe(true);
    expect(allows([deny, web], a, { ip: '10.1.1.1' }, 443)).toBe(false);
    expect(allows([deny, web], a, { ip: '8.8.8.8' }, 443, 'UDP')).toBe(false);
  });

  it('selectors and CIDRs', () => {
    expect(matchesSelector({ matchExpressions: [{ key: 'app', operator: 'In', values: ['a', 'b'] }] }, { app: 'b' })).toBe(true);
    expect(matchesSelector({ matchExpressions: [{ key: 'app', operator: 'NotIn', values: ['a'] }] }, {})).toBe(true);
    expect(matchesSelector({ matchExpressions: [{ key: 'app', operator: 'DoesNotExist' }] }, { app: 'a' })).toBe(false);
    expect(matchesSelector({}, { any: 'thing' })).toBe(true);
    expect(inCidr('10.20.0.15', '10.20.0.0/24')).toBe(true);
    expect(inCidr('10.20.1.15', '10.20.0.0/24')).toBe(false);
    expect(inCidr('fd00::1', '0.0.0.0/0')).toBe(false);
    expect(inCidr('fd00::1', 'fc00::/7')).toBe(true);
  });

  it('the policy checks catch a missing default-deny, an allow-all, and a widened path', () => {
    const prod = build(path.join(deployDir, 'overlays/prod'));
    expect(defaultDenyViolations(prod.filter((o) => o.metadata.name !== 'default-deny'))).toEqual([
      'namespace partner-payments: no default-deny NetworkPolicy (podSelector {}, policyTypes Ingress and Egress, no rules)',
    ]);
    const allowAll = policy('oops', { podSelector: {}, policyTypes: ['Egress'], egress: [{}] });
    expect(defaultDenyViolations([...prod, { ...allowAll, metadata: { name: 'oops', namespace: 'partner-payments' } }])).toEqual([
      'NetworkPolicy partner-payments/oops: an empty egress rule on every pod undoes the default-deny',
    ]);
    const pods = workloads(prod);
    const widened = prod.map((o) =>
      o.metadata.name === 'follow-up-grpc-ingress' ? { ...o, spec: { ...(o.spec as object), ingress: [{ ports: [{ port: 'grpc', protocol: 'TCP' }] }] } } : o,
    ) as K8sObject[];
    const stranger: Endpoint = { namespace: 'other-team', labels: {}, ip: '10.244.6.1' };
    expect(allows(prod, stranger, pods.get('follow-up')!, 50051)).toBe(false);
    expect(allows(widened, stranger, pods.get('follow-up')!, 50051)).toBe(true);
  });
});
