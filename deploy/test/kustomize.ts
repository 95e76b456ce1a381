// A small, offline `kustomize build` for the features deploy/ uses, so CI can render every overlay
// without the kustomize binary or a network. Anything else in a kustomization is refused loudly
// (an unknown field, a remote resource, includeSelectors) rather than silently ignored: whoever
// uses a new kustomize feature extends this file and its spec (kustomize.spec.ts) with it.
//
// Semantics followed (kustomize v5): resources (files and directories), components (kind Component,
// applied to everything accumulated so far), then the transformers in kustomize's order: patches
// (strategic merge or JSON 6902, with or without target), namespace, labels, replicas, images.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseAllDocuments } from 'yaml';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export interface K8sObject extends JsonObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> } & JsonObject;
}

const KUSTOMIZATION_FILES = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'];
const SUPPORTED_FIELDS = new Set(['apiVersion', 'kind', 'resources', 'components', 'namespace', 'labels', 'images', 'replicas', 'patches']);
const CLUSTER_SCOPED = new Set([
  'Namespace',
  'Node',
  'PersistentVolume',
  'StorageClass',
  'ClusterRole',
  'ClusterRoleBinding',
  'CustomResourceDefinition',
  'PriorityClass',
  'IngressClass',
  'MutatingWebhookConfiguration',
  'ValidatingWebhookConfiguration',
  'APIService',
  'RuntimeClass',
]);
// Workloads whose pod template (and its labels) kustomize's label transformer reaches with includeTemplates.
const TEMPLATE_LABEL_PATHS: Record<string, string[][]> = {
  Deployment: [['spec', 'template', 'metadata', 'labels']],
  ReplicaSet: [['spec', 'template', 'metadata', 'labels']],
  DaemonSet: [['spec', 'template', 'metadata', 'labels']],
  StatefulSet: [['spec', 'template', 'metadata', 'labels']],
  Job: [['spec', 'template', 'metadata', 'labels']],
  CronJob: [
    ['spec', 'jobTemplate', 'metadata', 'labels'],
    ['spec', 'jobTemplate', 'spec', 'template', 'metadata', 'labels'],
  ],
};
const REPLICATED_KINDS = new Set(['Deployment', 'ReplicaSet', 'StatefulSet', 'ReplicationController']);

export class KustomizeError extends Error {}

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function clone<T extends Json>(value: T): T {
  return structuredClone(value);
}

/** Parses YAML as YAML 1.1 (what kubectl's parser uses): `on`, `yes` or `1:20` are not strings there. */
export function parseYamlDocuments(text: string, source: string): Json[] {
  const docs = parseAllDocuments(text, { version: '1.1', uniqueKeys: true, prettyErrors: true });
  if (!Array.isArray(docs)) return [];
  const out: Json[] = [];
  for (const doc of docs) {
    const problems = [...doc.errors, ...doc.warnings];
    if (problems.length > 0) throw new KustomizeError(`${source}: ${problems.map((e) => e.message).join('; ')}`);
    const value = doc.toJS({ maxAliasCount: 0 }) as Json | undefined;
    if (value !== null && value !== undefined) out.push(value);
  }
  return out;
}

function readObjects(file: string): K8sObject[] {
  return parseYamlDocuments(fs.readFileSync(file, 'utf8'), file).map((doc) => asK8sObject(doc, file));
}

function asK8sObject(doc: Json, source: string): K8sObject {
  if (
    !isObject(doc) ||
    typeof doc.apiVersion !== 'string' ||
    typeof doc.kind !== 'string' ||
    !isObject(doc.metadata) ||
    typeof doc.metadata.name !== 'string'
  ) {
    throw new KustomizeError(`${source}: every document needs apiVersion, kind and metadata.name`);
  }
  return doc as K8sObject;
}

function loadKustomization(dir: string, expectedKind: 'Kustomization' | 'Component'): JsonObject {
  const file = KUSTOMIZATION_FILES.map((name) => path.join(dir, name)).find((f) => fs.existsSync(f));
  if (!file) throw new KustomizeError(`${dir}: no kustomization.yaml`);
  const [doc, ...rest] = parseYamlDocuments(fs.readFileSync(file, 'utf8'), file);
  if (!isObject(doc) || rest.length > 0) throw new KustomizeError(`${file}: must be one YAML mapping`);
  const kind = doc.kind ?? 'Kustomization';
  if (kind !== expectedKind) throw new KustomizeError(`${file}: kind ${String(kind)} where a ${expectedKind} is expected`);
  const unsupported = Object.keys(doc).filter((k) => !SUPPORTED_FIELDS.has(k));
  if (unsupported.length > 0) throw new KustomizeError(`${file}: fields not supported by this renderer: ${unsupported.join(', ')}`);
  return doc;
}

function list(value: Json | undefined, what: string): Json[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new KustomizeError(`${what} must be a list`);
  return value;
}

function localPath(dir: string, entry: Json, what: string): string {
  if (typeof entry !== 'string') throw new KustomizeError(`${dir}: ${what} entries must be paths`);
  if (/^[a-z]+:\/\//i.test(entry) || entry.startsWith('github.com/')) throw new KustomizeError(`${dir}: remote ${what} ${entry} would need a network`);
  const resolved = path.resolve(dir, entry);
  if (!fs.existsSync(resolved)) throw new KustomizeError(`${dir}: ${what} ${entry} not found`);
  return resolved;
}

/**
 * `kustomize build <dir>`: the rendered objects, in resource order. `extraComponents` (paths relative
 * to dir) render the overlay as if they were appended to its `components:`, which is how the tests try
 * the optional components on every overlay without an overlay per combination.
 */
export function build(dir: string, extraComponents: readonly string[] = []): K8sObject[] {
  const k = loadKustomization(dir, 'Kustomization');
  return accumulate(dir, extraComponents.length > 0 ? { ...k, components: [...list(k.components, 'components'), ...extraComponents] } : k, []);
}

function accumulate(dir: string, k: JsonObject, inherited: K8sObject[]): K8sObject[] {
  let objects = [...inherited];
  for (const entry of list(k.resources, 'resources')) {
    const target = localPath(dir, entry, 'resource');
    objects.push(...(fs.statSync(target).isDirectory() ? build(target) : readObjects(target)));
  }
  for (const entry of list(k.components, 'components')) {
    const componentDir = localPath(dir, entry, 'component');
    objects = accumulate(componentDir, loadKustomization(componentDir, 'Component'), objects);
  }
  assertUniqueIds(objects, dir);
  objects = applyPatches(dir, k, objects);
  if (k.namespace !== undefined) setNamespace(objects, String(k.namespace));
  applyLabels(dir, k, objects);
  applyReplicas(dir, k, objects);
  applyImages(dir, k, objects);
  assertUniqueIds(objects, dir);
  return objects;
}

function idOf(o: K8sObject): string {
  return `${groupOf(o.apiVersion)}/${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;
}

function groupOf(apiVersion: string): string {
  return apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '';
}

function assertUniqueIds(objects: K8sObject[], dir: string): void {
  const seen = new Set<string>();
  for (const o of objects) {
    const id = idOf(o);
    if (seen.has(id)) throw new KustomizeError(`${dir}: more than one ${o.kind} ${o.metadata.name}`);
    seen.add(id);
  }
}

// --- patches ---------------------------------------------------------------------------------------

const TARGET_FIELDS = new Set(['group', 'version', 'kind', 'name', 'namespace', 'labelSelector']);

function matchesTarget(o: K8sObject, target: JsonObject, where: string): boolean {
  const unknown = Object.keys(target).filter((f) => !TARGET_FIELDS.has(f));
  if (unknown.length > 0) throw new KustomizeError(`${where}: target fields not supported: ${unknown.join(', ')}`);
  // kustomize matches these as anchored regular expressions.
  const is = (pattern: Json | undefined, value: string) => pattern === undefined || new RegExp(`^(?:${String(pattern)})$`).test(value);
  const version = o.apiVersion.includes('/') ? o.apiVersion.slice(o.apiVersion.indexOf('/') + 1) : o.apiVersion;
  if (!is(target.group, groupOf(o.apiVersion)) || !is(target.version, version) || !is(target.kind, o.kind)) return false;
  if (!is(target.name, o.metadata.name) || !is(target.namespace, o.metadata.namespace ?? '')) return false;
  if (target.labelSelector !== undefined) {
    for (const term of String(target.labelSelector).split(',')) {
      const [key, value] = term.split('=').map((s) => s.trim());
      if (!key || value === undefined) throw new KustomizeError(`${where}: only key=value label selectors are supported`);
      if (o.metadata.labels?.[key] !== value) return false;
    }
  }
  return true;
}

function applyPatches(dir: string, k: JsonObject, objects: K8sObject[]): K8sObject[] {
  for (const [index, entry] of list(k.patches, 'patches').entries()) {
    const where = `${dir} patches[${index}]`;
    if (!isObject(entry)) throw new KustomizeError(`${where}: must be a mapping`);
    const unknown = Object.keys(entry).filter((f) => !['path', 'patch', 'target'].includes(f));
    if (unknown.length > 0) throw new KustomizeError(`${where}: fields not supported: ${unknown.join(', ')}`);
    const text = entry.path !== undefined ? fs.readFileSync(localPath(dir, entry.path, 'patch'), 'utf8') : entry.patch;
    if (typeof text !== 'string') throw new KustomizeError(`${where}: needs path or patch`);
    const docs = parseYamlDocuments(text, where);
    const target = entry.target;
    if (target !== undefined && !isObject(target)) throw new KustomizeError(`${where}: target must be a mapping`);
    if (docs.length === 1 && Array.isArray(docs[0])) {
      if (!target) throw new KustomizeError(`${where}: a JSON 6902 patch needs a target`);
      const matched = objects.filter((o) => matchesTarget(o, target, where));
      if (matched.length === 0) throw new KustomizeError(`${where}: target matches nothing`);
      for (const o of matched) replaceObject(objects, o, asK8sObject(applyJson6902(o, docs[0], where), where));
      continue;
    }
    for (const doc of docs) {
      const patch = asK8sObject(doc, where);
      const matched = target
        ? objects.filter((o) => matchesTarget(o, target, where))
        : objects.filter((o) => o.kind === patch.kind && groupOf(o.apiVersion) === groupOf(patch.apiVersion) && o.metadata.name === patch.metadata.name);
      if (matched.length === 0) throw new KustomizeError(`${where}: ${patch.kind} ${patch.metadata.name} matches nothing`);
      // A whole-object `$patch: delete` removes what it matches (a component replacing a resource).
      if (patch.$patch === 'delete') {
        for (const o of matched) objects.splice(objects.indexOf(o), 1);
        continue;
      }
      for (const o of matched) {
        const merged = strategicMerge(o, patch, '') as K8sObject;
        // As kustomize does: a patch never renames, moves or re-kinds what it patches.
        merged.kind = o.kind;
        merged.apiVersion = o.apiVersion;
        merged.metadata = { ...merged.metadata, name: o.metadata.name };
        if (o.metadata.namespace === undefined) delete merged.metadata.namespace;
        else merged.metadata.namespace = o.metadata.namespace;
        replaceObject(objects, o, merged);
      }
    }
  }
  return objects;
}

function replaceObject(objects: K8sObject[], old: K8sObject, next: K8sObject): void {
  objects[objects.indexOf(old)] = next;
}

// Strategic merge: maps merge, `null` deletes a key, lists with a Kubernetes patch merge key merge
// item by item (`$patch: delete` removes one), every other list is replaced.
function mergeKeyFor(field: string, items: Json[]): string | undefined {
  switch (field) {
    case 'containers':
    case 'initContainers':
    case 'ephemeralContainers':
    case 'env':
    case 'volumes':
    case 'imagePullSecrets':
      return 'name';
    case 'volumeMounts':
      return 'mountPath';
    case 'topologySpreadConstraints':
      return 'topologyKey';
    case 'ports':
      return items.some((i) => isObject(i) && 'containerPort' in i) ? 'containerPort' : 'port';
    default:
      return undefined;
  }
}

export function strategicMerge(base: Json | undefined, patch: Json, field: string): Json {
  if (isObject(patch)) {
    if (patch.$patch === 'replace') {
      const { $patch: _, ...rest } = patch;
      return clone(rest);
    }
    const out: JsonObject = isObject(base) ? clone(base) : {};
    for (const [key, value] of Object.entries(patch)) {
      if (key === '$patch') throw new KustomizeError(`unsupported $patch: ${String(value)}`);
      if (value === null) delete out[key];
      else out[key] = strategicMerge(out[key], value, key);
    }
    return out;
  }
  if (Array.isArray(patch) && Array.isArray(base)) {
    const key = mergeKeyFor(field, [...base, ...patch]);
    if (!key) return clone(patch);
    const out = clone(base);
    for (const item of patch) {
      if (!isObject(item) || item[key] === undefined) throw new KustomizeError(`${field}: items need ${key} to merge`);
      const at = out.findIndex((o) => isObject(o) && o[key] === item[key]);
      if (item.$patch === 'delete') {
        if (at >= 0) out.splice(at, 1);
      } else if (at >= 0) out[at] = strategicMerge(out[at], item, '');
      else out.push(clone(item));
    }
    return out;
  }
  return clone(patch);
}

// JSON 6902 (RFC 6902) with RFC 6901 paths: add, remove, replace, test.
export function applyJson6902(document: Json, operations: Json[], where: string): Json {
  let doc = clone(document);
  for (const op of operations) {
    if (!isObject(op) || typeof op.op !== 'string' || typeof op.path !== 'string') throw new KustomizeError(`${where}: each operation needs op and path`);
    const tokens =
      op.path === ''
        ? []
        : op.path
            .slice(1)
            .split('/')
            .map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
    if (op.path !== '' && !op.path.startsWith('/')) throw new KustomizeError(`${where}: path ${op.path} must start with /`);
    if (tokens.length === 0) {
      if (op.op !== 'replace' && op.op !== 'add') throw new KustomizeError(`${where}: cannot ${op.op} the whole document`);
      doc = clone(op.value ?? null);
      continue;
    }
    const last = tokens[tokens.length - 1]!;
    let parent: Json = doc;
    for (const token of tokens.slice(0, -1)) {
      const next: Json | undefined = Array.isArray(parent)
        ? parent[arrayIndex(token, parent.length, false, where, op.path)]
        : isObject(parent)
          ? parent[token]
          : undefined;
      if (next === undefined) throw new KustomizeError(`${where}: ${op.path} does not exist`);
      parent = next;
    }
    if (Array.isArray(parent)) {
      const adding = op.op === 'add';
      const index = last === '-' && adding ? parent.length : arrayIndex(last, parent.length, adding, where, op.path);
      if (op.op === 'add') parent.splice(index, 0, clone(required(op, where)));
      else if (op.op === 'replace') parent[index] = clone(required(op, where));
      else if (op.op === 'remove') parent.splice(index, 1);
      else if (op.op === 'test') assertEqual(parent[index], required(op, where), where, op.path);
      else throw new KustomizeError(`${where}: op ${op.op} not supported`);
    } else if (isObject(parent)) {
      const exists = Object.prototype.hasOwnProperty.call(parent, last);
      if (op.op !== 'add' && !exists) throw new KustomizeError(`${where}: ${op.path} does not exist`);
      if (op.op === 'add' || op.op === 'replace') parent[last] = clone(required(op, where));
      else if (op.op === 'remove') delete parent[last];
      else if (op.op === 'test') assertEqual(parent[last], required(op, where), where, op.path);
      else throw new KustomizeError(`${where}: op ${op.op} not supported`);
    } else {
      throw new KustomizeError(`${where}: ${op.path} does not exist`);
    }
  }
  return doc;
}

function required(op: JsonObject, where: string): Json {
  if (!('value' in op) || op.value === undefined) throw new KustomizeError(`${where}: ${String(op.op)} ${String(op.path)} needs a value`);
  return op.value;
}

function arrayIndex(token: string, length: number, adding: boolean, where: string, pointer: string): number {
  if (!/^(0|[1-9]\d*)$/.test(token)) throw new KustomizeError(`${where}: ${pointer}: ${token} is not an array index`);
  const index = Number(token);
  if (index > length || (!adding && index === length)) throw new KustomizeError(`${where}: ${pointer}: index ${index} out of range`);
  return index;
}

function assertEqual(actual: Json | undefined, expected: Json, where: string, pointer: string): void {
  if (JSON.stringify(actual) !== JSON.stringify(expected)) throw new KustomizeError(`${where}: test ${pointer} failed`);
}

// --- namespace, labels, replicas, images ----------------------------------------------------------

function setNamespace(objects: K8sObject[], namespace: string): void {
  for (const o of objects) {
    if (CLUSTER_SCOPED.has(o.kind)) continue;
    if (o.kind === 'RoleBinding' || o.kind === 'ClusterRoleBinding') throw new KustomizeError('namespace: binding subjects are not rewritten by this renderer');
    o.metadata.namespace = namespace;
  }
}

function mapAt(o: JsonObject, pathParts: string[]): JsonObject {
  let node: JsonObject = o;
  for (const part of pathParts) {
    const next = node[part];
    if (next === undefined || next === null) node[part] = {};
    else if (!isObject(next)) throw new KustomizeError(`${pathParts.join('.')} is not a mapping`);
    node = node[part] as JsonObject;
  }
  return node;
}

function applyLabels(dir: string, k: JsonObject, objects: K8sObject[]): void {
  for (const entry of list(k.labels, 'labels')) {
    if (!isObject(entry) || !isObject(entry.pairs)) throw new KustomizeError(`${dir}: labels entries need pairs`);
    const unknown = Object.keys(entry).filter((f) => !['pairs', 'includeSelectors', 'includeTemplates'].includes(f));
    if (unknown.length > 0) throw new KustomizeError(`${dir}: labels fields not supported: ${unknown.join(', ')}`);
    if (entry.includeSelectors === true) throw new KustomizeError(`${dir}: labels with includeSelectors are not supported (selectors are immutable)`);
    for (const o of objects) {
      const targets = [['metadata', 'labels'], ...(entry.includeTemplates === true ? (TEMPLATE_LABEL_PATHS[o.kind] ?? []) : [])];
      for (const at of targets) Object.assign(mapAt(o, at), clone(entry.pairs));
    }
  }
}

function applyReplicas(dir: string, k: JsonObject, objects: K8sObject[]): void {
  for (const entry of list(k.replicas, 'replicas')) {
    if (!isObject(entry) || typeof entry.name !== 'string' || typeof entry.count !== 'number')
      throw new KustomizeError(`${dir}: replicas entries need name and count`);
    const matched = objects.filter((o) => REPLICATED_KINDS.has(o.kind) && o.metadata.name === entry.name);
    if (matched.length === 0) throw new KustomizeError(`${dir}: replicas: nothing named ${entry.name}`);
    for (const o of matched) mapAt(o, ['spec']).replicas = entry.count;
  }
}

export function splitImage(image: string): { name: string; tag?: string; digest?: string } {
  const [withoutDigest, digest] = image.split('@') as [string, string | undefined];
  const slash = withoutDigest.lastIndexOf('/');
  const colon = withoutDigest.lastIndexOf(':');
  if (colon > slash) return { name: withoutDigest.slice(0, colon), tag: withoutDigest.slice(colon + 1), ...(digest ? { digest } : {}) };
  return { name: withoutDigest, ...(digest ? { digest } : {}) };
}

function applyImages(dir: string, k: JsonObject, objects: K8sObject[]): void {
  for (const entry of list(k.images, 'images')) {
    if (!isObject(entry) || typeof entry.name !== 'string') throw new KustomizeError(`${dir}: images entries need a name`);
    const unknown = Object.keys(entry).filter((f) => !['name', 'newName', 'newTag', 'digest'].includes(f));
    if (unknown.length > 0) throw new KustomizeError(`${dir}: images fields not supported: ${unknown.join(', ')}`);
    let used = false;
    const visit = (node: Json, field: string): void => {
      if (Array.isArray(node)) {
        for (const item of node) {
          if ((field === 'containers' || field === 'initContainers') && isObject(item) && typeof item.image === 'string') {
            const current = splitImage(item.image);
            if (current.name !== entry.name) continue;
            used = true;
            const name = typeof entry.newName === 'string' ? entry.newName : current.name;
            if (typeof entry.digest === 'string') item.image = `${name}@${entry.digest}`;
            else {
              const tag = entry.newTag !== undefined ? String(entry.newTag) : current.tag;
              item.image = `${name}${tag ? `:${tag}` : ''}${current.digest ? `@${current.digest}` : ''}`;
            }
          }
          visit(item, '');
        }
      } else if (isObject(node)) {
        for (const [key, value] of Object.entries(node)) visit(value, key);
      }
    };
    for (const o of objects) visit(o, '');
    if (!used) throw new KustomizeError(`${dir}: images: no container uses ${entry.name}`);
  }
}
