// Offline validation of rendered manifests against the Kubernetes API schemas shipped inside the
// `kubernetes-models` package (compiled JSON-schema validators and TypeScript declarations of the
// same OpenAPI; nothing is downloaded). Two checks per object:
//  - schema: the package's validator (types, required fields, formats, enums);
//  - strict fields: the object as a TypeScript literal typed with the package's interface, so an
//    unknown or misspelt field (`readinesProbe`) fails as an excess property, which the schemas
//    alone let through (the Kubernetes OpenAPI does not forbid additional properties).
// The custom resources of the optional components are checked the same way, with the typed models
// generated from their CRDs by the same project: @kubernetes-models/prometheus-operator (ServiceMonitor,
// PrometheusRule) and @kubernetes-models/keda (ScaledObject), pinned in package.json next to
// kubernetes-models. Strimzi's KafkaTopic, for which no such package exists, has a hand-written check.
import * as path from 'node:path';
import ts from 'typescript';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Service } from 'kubernetes-models/v1/Service';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { StatefulSet } from 'kubernetes-models/apps/v1/StatefulSet';
import { Job } from 'kubernetes-models/batch/v1/Job';
import { CronJob } from 'kubernetes-models/batch/v1/CronJob';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { Ingress } from 'kubernetes-models/networking.k8s.io/v1/Ingress';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import { PrometheusRule } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule';
import { ServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor';
import { ScaledObject } from '@kubernetes-models/keda/keda.sh/v1alpha1/ScaledObject';
import { isObject, type K8sObject } from './kustomize';

interface Validatable {
  validate(): void;
}

interface CoreKind {
  readonly model: new (data: never) => Validatable;
  /** Module and interface of the same kind, for the strict-field check. */
  readonly module: string;
  readonly type: string;
}

const CORE_KINDS: Record<string, CoreKind> = {
  'v1/ConfigMap': { model: ConfigMap, module: 'kubernetes-models/v1/ConfigMap', type: 'IConfigMap' },
  'v1/Namespace': { model: Namespace, module: 'kubernetes-models/v1/Namespace', type: 'INamespace' },
  'v1/Secret': { model: Secret, module: 'kubernetes-models/v1/Secret', type: 'ISecret' },
  'v1/Service': { model: Service, module: 'kubernetes-models/v1/Service', type: 'IService' },
  'v1/ServiceAccount': { model: ServiceAccount, module: 'kubernetes-models/v1/ServiceAccount', type: 'IServiceAccount' },
  'apps/v1/Deployment': { model: Deployment, module: 'kubernetes-models/apps/v1/Deployment', type: 'IDeployment' },
  'apps/v1/StatefulSet': { model: StatefulSet, module: 'kubernetes-models/apps/v1/StatefulSet', type: 'IStatefulSet' },
  'batch/v1/Job': { model: Job, module: 'kubernetes-models/batch/v1/Job', type: 'IJob' },
  'batch/v1/CronJob': { model: CronJob, module: 'kubernetes-models/batch/v1/CronJob', type: 'ICronJob' },
  'policy/v1/PodDisruptionBudget': { model: PodDisruptionBudget, module: 'kubernetes-models/policy/v1/PodDisruptionBudget', type: 'IPodDisruptionBudget' },
  'autoscaling/v2/HorizontalPodAutoscaler': {
    model: HorizontalPodAutoscaler,
    module: 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler',
    type: 'IHorizontalPodAutoscaler',
  },
  'networking.k8s.io/v1/Ingress': { model: Ingress, module: 'kubernetes-models/networking.k8s.io/v1/Ingress', type: 'IIngress' },
  'networking.k8s.io/v1/NetworkPolicy': { model: NetworkPolicy, module: 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy', type: 'INetworkPolicy' },
  'monitoring.coreos.com/v1/ServiceMonitor': {
    model: ServiceMonitor,
    module: '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor',
    type: 'IServiceMonitor',
  },
  'monitoring.coreos.com/v1/PrometheusRule': {
    model: PrometheusRule,
    module: '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule',
    type: 'IPrometheusRule',
  },
  'keda.sh/v1alpha1/ScaledObject': { model: ScaledObject, module: '@kubernetes-models/keda/keda.sh/v1alpha1/ScaledObject', type: 'IScaledObject' },
};

// Custom resources: their CRDs are not in kubernetes-models; check the fields deploy/ relies on.
const CUSTOM_KINDS: Record<string, (o: K8sObject) => string[]> = {
  'kafka.strimzi.io/v1/KafkaTopic': (o) => {
    const errors: string[] = [];
    const spec = o.spec;
    if (!o.metadata.labels?.['strimzi.io/cluster']) errors.push('metadata.labels must name the Kafka cluster (strimzi.io/cluster)');
    if (!/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(o.metadata.name)) errors.push('metadata.name must be a DNS subdomain');
    if (!isObject(spec)) return [...errors, 'spec is required'];
    const allowed = new Set(['partitions', 'replicas', 'config', 'topicName']);
    for (const key of Object.keys(spec)) if (!allowed.has(key)) errors.push(`spec.${key} is not a KafkaTopic field`);
    for (const key of ['partitions', 'replicas'] as const) {
      const v = spec[key];
      if (v !== undefined && !(typeof v === 'number' && Number.isInteger(v) && v >= 1)) errors.push(`spec.${key} must be an integer >= 1`);
    }
    if (spec.config !== undefined && !isObject(spec.config)) errors.push('spec.config must be a mapping');
    if (isObject(spec.config)) {
      for (const [key, value] of Object.entries(spec.config)) {
        if (!['string', 'number', 'boolean'].includes(typeof value)) errors.push(`spec.config.${key} must be a scalar`);
      }
    }
    return errors;
  },
};

export function kindKey(o: { apiVersion?: unknown; kind?: unknown }): string {
  return `${String(o.apiVersion)}/${String(o.kind)}`;
}

export function describeObject(o: K8sObject): string {
  return `${o.kind} ${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata.name}`;
}

/** Schema errors of one object ([] when valid); an apiVersion/kind we have no schema for is an error. */
export function schemaErrors(o: K8sObject): string[] {
  const core = CORE_KINDS[kindKey(o)];
  if (core) {
    try {
      new core.model(o as never).validate();
      return [];
    } catch (error) {
      return [error instanceof Error ? error.message : String(error)];
    }
  }
  const custom = CUSTOM_KINDS[kindKey(o)];
  if (custom) return custom(o);
  return [`no schema for ${kindKey(o)}: add it to deploy/test/validate.ts`];
}

const declarationCache = new Map<string, ts.SourceFile>();

/**
 * Unknown fields, per object: each object of a core kind is written out as a TypeScript literal of
 * its kubernetes-models interface and type-checked in memory; excess properties and wrong types
 * come back as diagnostics, mapped to the object and the offending line.
 */
export function strictFieldErrors(objects: readonly K8sObject[]): Map<K8sObject, string[]> {
  const file = path.join(__dirname, '__rendered_manifests__.ts');
  const lines: string[] = [];
  const owners: (K8sObject | undefined)[] = [];
  const imports = new Set<string>();
  objects.forEach((o, i) => {
    const core = CORE_KINDS[kindKey(o)];
    if (!core) return;
    imports.add(`import type { ${core.type} } from '${core.module}';`);
    const literal = `export const object${i}: ${core.type} = ${JSON.stringify(o, null, 2)};`.split('\n');
    for (const line of literal) {
      lines.push(line);
      owners.push(o);
    }
  });
  const header = [...imports];
  const source = [...header, ...lines].join('\n');
  const options: ts.CompilerOptions = {
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.CommonJS,
    moduleResolution: ts.ModuleResolutionKind.Node10,
    types: [],
    lib: ['lib.es2022.d.ts'],
  };
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (name, languageVersion, ...rest) => {
    if (path.resolve(name) === file) return ts.createSourceFile(name, source, languageVersion, true);
    // The declarations of TypeScript's lib and kubernetes-models do not change between calls.
    const cached = declarationCache.get(name);
    if (cached) return cached;
    const parsed = getSourceFile(name, languageVersion, ...rest);
    if (parsed) declarationCache.set(name, parsed);
    return parsed;
  };
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (name) => path.resolve(name) === file || fileExists(name);
  const readFile = host.readFile.bind(host);
  host.readFile = (name) => (path.resolve(name) === file ? source : readFile(name));
  const program = ts.createProgram([file], options, host);
  const result = new Map<K8sObject, string[]>();
  const sourceFile = program.getSourceFile(file);
  const diagnostics = [...program.getSyntacticDiagnostics(sourceFile), ...program.getSemanticDiagnostics(sourceFile)];
  for (const d of diagnostics) {
    const message = ts.flattenDiagnosticMessageText(d.messageText, '\n');
    const line = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start).line : -1;
    const owner = line >= header.length ? owners[line - header.length] : undefined;
    if (!owner) throw new Error(`strict field check could not run: ${message}`);
    const text = (lines[line - header.length] ?? '').trim();
    result.set(owner, [...(result.get(owner) ?? []), `${message.split('\n')[0]} (at ${text})`]);
  }
  return result;
}

/** Every error of every object, schema and strict fields, as `Kind ns/name: message` lines. */
export function validateAll(objects: readonly K8sObject[]): string[] {
  const strict = strictFieldErrors(objects);
  return objects.flatMap((o) => [...schemaErrors(o), ...(strict.get(o) ?? [])].map((e) => `${describeObject(o)}: ${e}`));
}
