// What every rendered overlay must satisfy beyond the API schemas: the deployment rules of
// ARCHITECTURE.md ("Kubernetes") as checks that return violations, so a test can show both that the
// real manifests pass and that a broken one is caught.
import { isObject, type Json, type JsonObject, type K8sObject } from './kustomize';
import { describeObject as describe } from './validate';

export const SERVICES = ['ledger', 'case-lifecycle', 'follow-up', 'gateway'] as const;
/** Scaled horizontally: the gateway and the Kafka consumers. */
export const AUTOSCALED = ['gateway', 'case-lifecycle', 'follow-up'] as const;

// Environment variables that carry credentials: only ever from a Secret.
const CREDENTIAL_NAME = /(^DATABASE_URL$|^SMTP_URL$|PASSWORD|SECRET|TOKEN|API_KEY|PRIVATE_KEY|CREDENTIAL)/i;
// A URL with a password in it (postgres://user:pw@host, smtp://user:pw@host).
const URL_WITH_PASSWORD = /[a-z][a-z0-9+.-]*:\/\/[^/\s:@]+:[^/\s@]+@/i;

export interface PodTemplate {
  readonly owner: K8sObject;
  readonly spec: JsonObject;
}

export function podTemplates(objects: readonly K8sObject[]): PodTemplate[] {
  return objects.flatMap((o) => {
    const spec = o.spec;
    if (!isObject(spec)) return [];
    const template = o.kind === 'CronJob' ? get(spec, 'jobTemplate', 'spec', 'template') : spec.template;
    const podSpec = isObject(template) ? template.spec : undefined;
    return isObject(podSpec) ? [{ owner: o, spec: podSpec }] : [];
  });
}

export function get(node: Json | undefined, ...keys: (string | number)[]): Json | undefined {
  let current = node;
  for (const key of keys) {
    if (typeof key === 'number') current = Array.isArray(current) ? current[key] : undefined;
    else current = isObject(current) ? current[key] : undefined;
  }
  return current;
}

export function containers(pod: JsonObject): JsonObject[] {
  return [...asList(pod.initContainers), ...asList(pod.containers)].filter(isObject);
}

function asList(value: Json | undefined): Json[] {
  return Array.isArray(value) ? value : [];
}

function find(objects: readonly K8sObject[], kind: string, name: string): K8sObject | undefined {
  return objects.find((o) => o.kind === kind && o.metadata.name === name);
}

function selects(selector: Json | undefined, labels: Json | undefined): boolean {
  const match = get(selector, 'matchLabels') ?? selector;
  if (!isObject(match) || Object.keys(match).length === 0) return false;
  return Object.entries(match).every(([k, v]) => get(labels, k) === v);
}

/** Non-root, no privilege escalation, read-only root filesystem, no capabilities, no API token. */
export function securityViolations(objects: readonly K8sObject[]): string[] {
  const out: string[] = [];
  for (const { owner, spec } of podTemplates(objects)) {
    const where = describe(owner);
    const pod = isObject(spec.securityContext) ? spec.securityContext : {};
    if (pod.runAsNonRoot !== true) out.push(`${where}: pod securityContext.runAsNonRoot must be true`);
    if (typeof pod.runAsUser !== 'number' || pod.runAsUser === 0) out.push(`${where}: pod securityContext.runAsUser must be a non-zero uid`);
    if (get(pod, 'seccompProfile', 'type') !== 'RuntimeDefault') out.push(`${where}: pod seccompProfile must be RuntimeDefault`);
    if (spec.automountServiceAccountToken !== false) out.push(`${where}: automountServiceAccountToken must be false (no service talks to the API)`);
    if (spec.hostNetwork === true || spec.hostPID === true || spec.hostIPC === true) out.push(`${where}: no host namespaces`);
    for (const c of containers(spec)) {
      const sc = isObject(c.securityContext) ? c.securityContext : {};
      const name = `${where} container ${String(c.name)}`;
      if (sc.runAsUser === 0 || sc.runAsNonRoot === false) out.push(`${name}: runs as root`);
      if (sc.privileged === true) out.push(`${name}: privileged`);
      if (sc.allowPrivilegeEscalation !== false) out.push(`${name}: allowPrivilegeEscalation must be false`);
      if (sc.readOnlyRootFilesystem !== true) out.push(`${name}: readOnlyRootFilesystem must be true`);
      if (!asList(get(sc, 'capabilities', 'drop')).includes('ALL')) out.push(`${name}: capabilities must drop ALL`);
      if (asList(get(sc, 'capabilities', 'add')).length > 0) out.push(`${name}: adds capabilities`);
    }
  }
  return out;
}

/** cpu and memory requests and limits on every container of every workload. */
export function resourceViolations(objects: readonly K8sObject[]): string[] {
  const out: string[] = [];
  for (const { owner, spec } of podTemplates(objects)) {
    for (const c of containers(spec)) {
      for (const kind of ['requests', 'limits']) {
        for (const resource of ['cpu', 'memory']) {
          if (get(c, 'resources', kind, resource) === undefined)
            out.push(`${describe(owner)} container ${String(c.name)}: resources.${kind}.${resource} missing`);
        }
      }
    }
  }
  return out;
}

/**
 * Deployments: startup, readiness and liveness probes on the serving port (the gateway over HTTP,
 * /readyz and /healthz; the gRPC services with the gRPC health protocol), and a termination grace
 * period that covers the preStop pause plus the 10 s drain of platform/grpc.ts with margin.
 */
export function probeViolations(objects: readonly K8sObject[]): string[] {
  const out: string[] = [];
  for (const { owner, spec } of podTemplates(objects.filter((o) => o.kind === 'Deployment'))) {
    const where = describe(owner);
    const main = containers(spec).find((c) => c.name === owner.metadata.name);
    if (!main) {
      out.push(`${where}: no container named like the Deployment`);
      continue;
    }
    const ports = asList(main.ports).filter(isObject);
    for (const kind of ['startupProbe', 'readinessProbe', 'livenessProbe']) {
      const probe = main[kind];
      if (!isObject(probe)) {
        out.push(`${where}: ${kind} missing`);
        continue;
      }
      if (owner.metadata.name === 'gateway') {
        const expectedPath = kind === 'readinessProbe' ? '/readyz' : '/healthz';
        if (get(probe, 'httpGet', 'path') !== expectedPath) out.push(`${where}: ${kind} must GET ${expectedPath}`);
        const port = get(probe, 'httpGet', 'port');
        if (!ports.some((p) => p.name === port || p.containerPort === port)) out.push(`${where}: ${kind} port ${String(port)} is not a container port`);
      } else {
        const port = get(probe, 'grpc', 'port');
        if (!ports.some((p) => p.containerPort === port)) out.push(`${where}: ${kind} must be a gRPC health probe on a container port`);
      }
    }
    const preStop = get(main, 'lifecycle', 'preStop', 'sleep', 'seconds');
    const grace = spec.terminationGracePeriodSeconds;
    if (typeof preStop !== 'number') out.push(`${where}: preStop sleep missing (lets endpoints drop the pod before it stops accepting)`);
    else if (typeof grace !== 'number' || grace < preStop + 15)
      out.push(`${where}: terminationGracePeriodSeconds must cover preStop (${preStop} s) + 10 s drain + margin`);
  }
  return out;
}

/** No Secret objects in the repository, credentials only through secretKeyRef, none inline anywhere. */
export function credentialViolations(objects: readonly K8sObject[]): string[] {
  const out: string[] = [];
  for (const o of objects) {
    if (o.kind === 'Secret') out.push(`${describe(o)}: Secrets are created by the operator, never committed`);
    if (o.kind === 'ConfigMap') {
      for (const [key, value] of Object.entries(isObject(o.data) ? o.data : {})) {
        if (CREDENTIAL_NAME.test(key)) out.push(`${describe(o)}: ${key} is a credential: put it in a Secret`);
        if (typeof value === 'string' && URL_WITH_PASSWORD.test(value)) out.push(`${describe(o)}: ${key} holds a password`);
      }
    }
  }
  for (const { owner, spec } of podTemplates(objects)) {
    for (const c of containers(spec)) {
      for (const e of asList(c.env).filter(isObject)) {
        const where = `${describe(owner)} container ${String(c.name)} env ${String(e.name)}`;
        if (typeof e.value === 'string' && URL_WITH_PASSWORD.test(e.value)) out.push(`${where}: holds a password`);
        if (CREDENTIAL_NAME.test(String(e.name)) && get(e, 'valueFrom', 'secretKeyRef') === undefined) out.push(`${where}: must come from a secretKeyRef`);
      }
    }
  }
  return out;
}

/**
 * Every service: Deployment, Service selecting its pods (and not the migration pods), migration Job
 * on the same image, PodDisruptionBudget on the same pods; HPAs for the gateway and the consumers.
 */
export function completenessViolations(objects: readonly K8sObject[], maxConsumerReplicas: number): string[] {
  const out: string[] = [];
  for (const name of SERVICES) {
    const deployment = find(objects, 'Deployment', name);
    if (!deployment) {
      out.push(`${name}: Deployment missing`);
      continue;
    }
    const podLabels = get(deployment, 'spec', 'template', 'metadata', 'labels');
    const image = get(deployment, 'spec', 'template', 'spec', 'containers', 0, 'image');
    if (!selects(get(deployment, 'spec', 'selector'), podLabels)) out.push(`${name}: Deployment selector does not select its pods`);
    const service = find(objects, 'Service', name);
    if (!service) out.push(`${name}: Service missing`);
    else if (!selects(get(service, 'spec', 'selector'), podLabels)) out.push(`${name}: Service does not select the Deployment's pods`);
    const pdb = find(objects, 'PodDisruptionBudget', name);
    if (!pdb) out.push(`${name}: PodDisruptionBudget missing`);
    else if (!selects(get(pdb, 'spec', 'selector'), podLabels)) out.push(`${name}: PodDisruptionBudget does not select the Deployment's pods`);
    const job = objects.find((o) => o.kind === 'Job' && get(o, 'metadata', 'labels', 'app.kubernetes.io/name') === name);
    if (!job) out.push(`${name}: migration Job missing`);
    else {
      const jobLabels = get(job, 'spec', 'template', 'metadata', 'labels');
      const command = asList(get(job, 'spec', 'template', 'spec', 'containers', 0, 'command')).join(' ');
      if (command !== 'node dist/migrate.js') out.push(`${name}: migration Job must run node dist/migrate.js, runs "${command}"`);
      if (get(job, 'spec', 'template', 'spec', 'containers', 0, 'image') !== image) out.push(`${name}: migration Job must use the Deployment's image`);
      for (const [what, selector] of [
        ['Service', get(service, 'spec', 'selector')],
        ['PodDisruptionBudget', get(pdb, 'spec', 'selector')],
        ['Deployment', get(deployment, 'spec', 'selector')],
      ] as const) {
        if (selector !== undefined && selects(selector, jobLabels)) out.push(`${name}: ${what} selects the migration Job's pods`);
      }
    }
    const hpa = find(objects, 'HorizontalPodAutoscaler', name);
    // With components/keda-lag-scaling a KEDA ScaledObject (monitoring.ts checks it) replaces the HPA.
    const scaled = objects.find((o) => o.kind === 'ScaledObject' && get(o, 'spec', 'scaleTargetRef', 'name') === name);
    if (scaled && hpa) out.push(`${name}: both an HPA and a ScaledObject scale it, and they fight`);
    if ((AUTOSCALED as readonly string[]).includes(name) && !scaled) {
      if (!hpa) out.push(`${name}: HorizontalPodAutoscaler missing`);
      else {
        if (get(hpa, 'spec', 'scaleTargetRef', 'kind') !== 'Deployment' || get(hpa, 'spec', 'scaleTargetRef', 'name') !== name)
          out.push(`${name}: HPA must scale Deployment ${name}`);
        if (get(deployment, 'spec', 'replicas') !== undefined) out.push(`${name}: Deployment sets replicas, which fights its HPA on every apply`);
        const max = get(hpa, 'spec', 'maxReplicas');
        if (name !== 'gateway' && typeof max === 'number' && max > maxConsumerReplicas)
          out.push(`${name}: maxReplicas ${max} exceeds the ${maxConsumerReplicas} partitions a consumer group can use`);
      }
    }
  }
  return out;
}

/**
 * References resolve inside the rendered set: ConfigMaps used by envFrom/configMapKeyRef exist, and
 * every *_GRPC_ADDRESS points at a Service and one of its ports.
 */
export function referenceViolations(objects: readonly K8sObject[]): string[] {
  const out: string[] = [];
  const configMaps = new Map(objects.filter((o) => o.kind === 'ConfigMap').map((o) => [o.metadata.name, isObject(o.data) ? o.data : {}]));
  for (const { owner, spec } of podTemplates(objects)) {
    for (const c of containers(spec)) {
      const env = new Map<string, Json>();
      for (const from of asList(c.envFrom).filter(isObject)) {
        const name = get(from, 'configMapRef', 'name');
        if (typeof name !== 'string') continue;
        const data = configMaps.get(name);
        if (!data) out.push(`${describe(owner)}: ConfigMap ${name} not in the rendered set`);
        else for (const [k, v] of Object.entries(data)) env.set(k, v);
      }
      for (const e of asList(c.env).filter(isObject)) {
        const ref = get(e, 'valueFrom', 'configMapKeyRef', 'name');
        if (typeof ref === 'string' && !configMaps.has(ref)) out.push(`${describe(owner)}: ConfigMap ${ref} not in the rendered set`);
        if (typeof e.value === 'string') env.set(String(e.name), e.value);
      }
      // The process must listen on all interfaces (probes and Services reach the pod IP) on a port the container declares.
      const ports = asList(c.ports).map((p) => get(p, 'containerPort'));
      for (const key of ['PORT', 'GRPC_PORT']) {
        if (env.has(key) && !ports.includes(Number(env.get(key)))) out.push(`${describe(owner)}: ${key}=${String(env.get(key))} is not a container port`);
      }
      if (env.has('HOST') && env.get('HOST') !== '0.0.0.0') out.push(`${describe(owner)}: HOST must be 0.0.0.0`);
      // GRPC_HOST defaults to 127.0.0.1 (platform runtime.ts): a gRPC pod must set it.
      if (asList(c.ports).some((p) => get(p, 'name') === 'grpc') && env.get('GRPC_HOST') !== '0.0.0.0')
        out.push(`${describe(owner)}: GRPC_HOST must be 0.0.0.0 (the default binds loopback only)`);
      for (const [key, value] of env) {
        if (!key.endsWith('_GRPC_ADDRESS')) continue;
        const [host, port] = String(value).split(':');
        const service = find(objects, 'Service', host ?? '');
        if (!service || !asList(get(service, 'spec', 'ports')).some((p) => get(p, 'port') === Number(port)))
          out.push(`${describe(owner)}: ${key}=${String(value)} is not a Service port`);
      }
    }
  }
  return out;
}

/** Environment names set for a container: from its ConfigMaps (envFrom) and its env list. */
export function environmentNames(objects: readonly K8sObject[], container: JsonObject): string[] {
  const names: string[] = [];
  for (const from of asList(container.envFrom).filter(isObject)) {
    const cm = find(objects, 'ConfigMap', String(get(from, 'configMapRef', 'name')));
    if (cm && isObject(cm.data)) names.push(...Object.keys(cm.data));
  }
  for (const e of asList(container.env).filter(isObject)) names.push(String(e.name));
  return names;
}

/** Every variable we set is one the code reads (a typo such as KAFKA_BROKER would be silently ignored). */
export function unknownEnvironmentViolations(objects: readonly K8sObject[], known: ReadonlySet<string>): string[] {
  const out: string[] = [];
  for (const { owner, spec } of podTemplates(objects)) {
    for (const c of containers(spec)) {
      for (const name of environmentNames(objects, c))
        if (!known.has(name)) out.push(`${describe(owner)}: ${name} is read nowhere in services/*/src or packages/platform/src`);
    }
  }
  return out;
}

/** Images in an overlay: a registry name with a pinned tag or digest, never `latest`. */
export function imageViolations(objects: readonly K8sObject[]): string[] {
  const out: string[] = [];
  for (const { owner, spec } of podTemplates(objects)) {
    for (const c of containers(spec)) {
      const image = String(c.image);
      const tagged = /@sha256:[0-9a-f]{64}$/.test(image) || /:[\w][\w.-]{0,127}$/.test(image.slice(image.lastIndexOf('/') + 1));
      if (!tagged || /:latest$/.test(image)) out.push(`${describe(owner)}: image ${image} must be pinned to a tag or digest`);
      if (c.imagePullPolicy === 'Always') out.push(`${describe(owner)}: imagePullPolicy Always hides unpinned images`);
    }
  }
  return out;
}

/** All of the above for one rendered overlay. */
export function overlayViolations(objects: readonly K8sObject[], known: ReadonlySet<string>, maxConsumerReplicas: number): string[] {
  const namespaced = objects.filter((o) => !o.metadata.namespace).map((o) => `${describe(o)}: no namespace`);
  return [
    ...namespaced,
    ...securityViolations(objects),
    ...resourceViolations(objects),
    ...probeViolations(objects),
    ...credentialViolations(objects),
    ...completenessViolations(objects, maxConsumerReplicas),
    ...referenceViolations(objects),
    ...unknownEnvironmentViolations(objects, known),
    ...imageViolations(objects),
  ];
}
