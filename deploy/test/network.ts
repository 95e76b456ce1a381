// NetworkPolicy semantics, offline: whether the rendered policies let one endpoint open a connection
// to another, so the tests can state the intended traffic graph (who calls whom, what leaves the
// namespace) and check the policies allow exactly that. Followed: networking.k8s.io/v1 as documented
// (policies add up; a pod selected by no policy of a direction is open in that direction; a peer is a
// podSelector in the policy's namespace, a namespaceSelector, both (the pods of those namespaces), or an
// ipBlock; a port is a number or a name resolved on the destination pod; endPort makes a range).
import * as net from 'node:net';
import { isObject, type Json, type JsonObject, type K8sObject } from './kustomize';
import { get } from './policy';
import { describeObject as describe } from './validate';

export interface PodEndpoint {
  readonly namespace: string;
  readonly labels: Readonly<Record<string, string>>;
  /** the pod's IP, which ipBlock peers match as well */
  readonly ip: string;
  readonly ports?: readonly { name?: string; containerPort: number; protocol?: string }[];
}
export interface ExternalEndpoint {
  readonly ip: string;
}
export type Endpoint = PodEndpoint | ExternalEndpoint;

const isPod = (e: Endpoint): e is PodEndpoint => 'namespace' in e;

/** A namespace's labels as the API server sets them (kubernetes.io/metadata.name), plus any given. */
export type NamespaceLabels = (namespace: string) => Record<string, string>;
export const defaultNamespaceLabels: NamespaceLabels = (namespace) => ({ 'kubernetes.io/metadata.name': namespace });

export function matchesSelector(selector: Json | undefined, labels: Readonly<Record<string, string>>): boolean {
  if (!isObject(selector)) return false;
  const matchLabels = isObject(selector.matchLabels) ? selector.matchLabels : {};
  if (!Object.entries(matchLabels).every(([k, v]) => labels[k] === v)) return false;
  const expressions = Array.isArray(selector.matchExpressions) ? selector.matchExpressions.filter(isObject) : [];
  return expressions.every((e) => {
    const key = String(e.key);
    const values = Array.isArray(e.values) ? e.values.map(String) : [];
    switch (e.operator) {
      case 'In':
        return key in labels && values.includes(labels[key]!);
      case 'NotIn':
        return !(key in labels) || !values.includes(labels[key]!);
      case 'Exists':
        return key in labels;
      case 'DoesNotExist':
        return !(key in labels);
      default:
        throw new Error(`unknown selector operator ${String(e.operator)}`);
    }
  });
}

export function inCidr(ip: string, cidr: string): boolean {
  const [network, bits] = cidr.split('/') as [string, string];
  const family = net.isIP(network) === 6 ? 'ipv6' : 'ipv4';
  if (net.isIP(ip) !== net.isIP(network)) return false;
  const list = new net.BlockList();
  list.addSubnet(network, Number(bits), family);
  return list.check(ip, family);
}

function peerMatches(peer: JsonObject, policyNamespace: string, other: Endpoint, nsLabels: NamespaceLabels): boolean {
  if (isObject(peer.ipBlock)) {
    const cidr = String(peer.ipBlock.cidr);
    const except = Array.isArray(peer.ipBlock.except) ? peer.ipBlock.except.map(String) : [];
    return inCidr(other.ip, cidr) && !except.some((e) => inCidr(other.ip, e));
  }
  if (!isPod(other)) return false;
  const namespaceOk =
    peer.namespaceSelector !== undefined ? matchesSelector(peer.namespaceSelector, nsLabels(other.namespace)) : other.namespace === policyNamespace;
  const podOk = peer.podSelector !== undefined ? matchesSelector(peer.podSelector, other.labels) : true;
  return namespaceOk && podOk;
}

function portMatches(rulePorts: Json | undefined, port: number, protocol: string, destination: Endpoint): boolean {
  if (!Array.isArray(rulePorts) || rulePorts.length === 0) return true;
  return rulePorts.filter(isObject).some((p) => {
    if ((p.protocol ?? 'TCP') !== protocol) return false;
    if (p.port === undefined) return true;
    let from: number | undefined;
    if (typeof p.port === 'number') from = p.port;
    else if (isPod(destination)) from = destination.ports?.find((c) => c.name === p.port && (c.protocol ?? 'TCP') === protocol)?.containerPort;
    if (from === undefined) return false;
    const to = typeof p.endPort === 'number' ? p.endPort : from;
    return port >= from && port <= to;
  });
}

function policyTypes(policy: K8sObject): string[] {
  const declared = get(policy, 'spec', 'policyTypes');
  if (Array.isArray(declared)) return declared.map(String);
  return get(policy, 'spec', 'egress') !== undefined ? ['Ingress', 'Egress'] : ['Ingress'];
}

function directionAllows(
  policies: readonly K8sObject[],
  direction: 'Ingress' | 'Egress',
  subject: PodEndpoint,
  other: Endpoint,
  destination: Endpoint,
  port: number,
  protocol: string,
  nsLabels: NamespaceLabels,
): boolean {
  const applying = policies.filter(
    (p) =>
      (p.metadata.namespace ?? '') === subject.namespace &&
      policyTypes(p).includes(direction) &&
      matchesSelector(get(p, 'spec', 'podSelector') ?? {}, subject.labels),
  );
  if (applying.length === 0) return true;
  const rulesKey = direction === 'Ingress' ? 'ingress' : 'egress';
  const peersKey = direction === 'Ingress' ? 'from' : 'to';
  return applying.some((p) => {
    const rules = get(p, 'spec', rulesKey);
    return (Array.isArray(rules) ? rules.filter(isObject) : []).some((rule) => {
      const peers = rule[peersKey];
      const peerOk =
        !Array.isArray(peers) || peers.length === 0 || peers.filter(isObject).some((peer) => peerMatches(peer, p.metadata.namespace ?? '', other, nsLabels));
      return peerOk && portMatches(rule.ports, port, protocol, destination);
    });
  });
}

/** Whether `from` may open a connection to `to` on `port`: egress of the source and ingress of the destination. */
export function allows(
  objects: readonly K8sObject[],
  from: Endpoint,
  to: Endpoint,
  port: number,
  protocol = 'TCP',
  nsLabels: NamespaceLabels = defaultNamespaceLabels,
): boolean {
  const policies = objects.filter((o) => o.kind === 'NetworkPolicy');
  const egress = isPod(from) ? directionAllows(policies, 'Egress', from, to, to, port, protocol, nsLabels) : true;
  const ingress = isPod(to) ? directionAllows(policies, 'Ingress', to, from, to, port, protocol, nsLabels) : true;
  return egress && ingress;
}

/** A workload's pods as an endpoint: their namespace, template labels and container ports. */
export function podOf(workload: K8sObject, ip: string): PodEndpoint {
  const labels = get(workload, 'spec', 'template', 'metadata', 'labels');
  const containers = get(workload, 'spec', 'template', 'spec', 'containers');
  const ports = (Array.isArray(containers) ? containers : []).flatMap((c) => {
    const list = get(c, 'ports');
    return Array.isArray(list) ? (list.filter(isObject) as unknown as { name?: string; containerPort: number; protocol?: string }[]) : [];
  });
  return { namespace: workload.metadata.namespace ?? '', labels: (isObject(labels) ? labels : {}) as Record<string, string>, ip, ports };
}

/**
 * Every namespace of the rendered set has a default-deny policy: all pods, both directions, no rule.
 * Other policies then open paths one by one.
 */
export function defaultDenyViolations(objects: readonly K8sObject[]): string[] {
  const namespaces = new Set(objects.map((o) => o.metadata.namespace).filter((n): n is string => !!n));
  const out: string[] = [];
  for (const namespace of namespaces) {
    const denies = objects.some(
      (o) =>
        o.kind === 'NetworkPolicy' &&
        o.metadata.namespace === namespace &&
        JSON.stringify(get(o, 'spec', 'podSelector')) === '{}' &&
        ['Ingress', 'Egress'].every((t) => policyTypes(o).includes(t)) &&
        get(o, 'spec', 'ingress') === undefined &&
        get(o, 'spec', 'egress') === undefined,
    );
    if (!denies) out.push(`namespace ${namespace}: no default-deny NetworkPolicy (podSelector {}, policyTypes Ingress and Egress, no rules)`);
  }
  for (const o of objects.filter((p) => p.kind === 'NetworkPolicy')) {
    // An allow-everything rule on a selector that catches all pods would quietly undo the default-deny.
    for (const key of ['ingress', 'egress'] as const) {
      const rules = get(o, 'spec', key);
      const selectsAll = JSON.stringify(get(o, 'spec', 'podSelector')) === '{}';
      if (selectsAll && Array.isArray(rules) && rules.some((r) => isObject(r) && Object.keys(r).length === 0))
        out.push(`${describe(o)}: an empty ${key} rule on every pod undoes the default-deny`);
    }
  }
  return out;
}
