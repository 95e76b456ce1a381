// The offline renderer follows kustomize's semantics for the features deploy/ uses, and refuses the rest.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { applyJson6902, build, KustomizeError, splitImage, strategicMerge, type Json } from './kustomize';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pp-kustomize-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function tree(files: Record<string, string>): string {
  const root = fs.mkdtempSync(path.join(tmp, 'k-'));
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, name)), { recursive: true });
    fs.writeFileSync(path.join(root, name), text);
  }
  return root;
}

const deployment = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
spec:
  selector:
    matchLabels: {app: api}
  template:
    metadata:
      labels: {app: api}
    spec:
      containers:
        - name: api
          image: example/api
          env:
            - {name: A, value: "1"}
            - {name: B, value: "2"}
        - name: sidecar
          image: example/sidecar:1.0
`;

describe('strategic merge', () => {
  it('merges containers and env by name, deletes with null and $patch: delete, replaces other lists', () => {
    const base = {
      spec: {
        containers: [
          {
            name: 'a',
            env: [
              { name: 'X', value: '1' },
              { name: 'Y', value: '2' },
            ],
            args: ['1', '2'],
          },
          { name: 'b' },
        ],
        keep: 1,
        drop: 2,
      },
    } as Json;
    const patch = {
      spec: {
        containers: [
          {
            name: 'a',
            env: [
              { name: 'Y', value: '3' },
              { name: 'Z', value: '4' },
            ],
            args: ['9'],
          },
          { name: 'b', $patch: 'delete' },
        ],
        drop: null,
      },
    } as Json;
    expect(strategicMerge(base, patch, '')).toEqual({
      spec: {
        containers: [
          {
            name: 'a',
            env: [
              { name: 'X', value: '1' },
              { name: 'Y', value: '3' },
              { name: 'Z', value: '4' },
            ],
            args: ['9'],
          },
        ],
        keep: 1,
      },
    });
  });

  it('merges container ports by containerPort and service ports by port', () => {
    expect(strategicMerge([{ containerPort: 80, name: 'a' }], [{ containerPort: 80, name: 'b' }], 'ports')).toEqual([{ containerPort: 80, name: 'b' }]);
    expect(strategicMerge([{ port: 80, name: 'a' }], [{ port: 81, name: 'b' }], 'ports')).toEqual([
      { port: 80, name: 'a' },
      { port: 81, name: 'b' },
    ]);
  });
});

describe('JSON 6902', () => {
  const doc = { spec: { list: [1, 2], map: { 'a/b': 1, 'c~d': 2 } } } as Json;

  it('adds, replaces, removes and tests with RFC 6901 escapes', () => {
    const ops = [
      { op: 'add', path: '/spec/list/-', value: 3 },
      { op: 'add', path: '/spec/list/0', value: 0 },
      { op: 'replace', path: '/spec/map/a~1b', value: 5 },
      { op: 'remove', path: '/spec/map/c~0d' },
      { op: 'add', path: '/spec/new', value: { x: 1 } },
      { op: 'test', path: '/spec/new/x', value: 1 },
    ] as Json[];
    expect(applyJson6902(doc, ops, 't')).toEqual({ spec: { list: [0, 1, 2, 3], map: { 'a/b': 5 }, new: { x: 1 } } });
  });

  it('fails on a missing path, as kustomize does', () => {
    expect(() => applyJson6902(doc, [{ op: 'replace', path: '/spec/nope', value: 1 }], 't')).toThrow(KustomizeError);
    expect(() => applyJson6902(doc, [{ op: 'remove', path: '/spec/list/5' }], 't')).toThrow(KustomizeError);
    expect(() => applyJson6902(doc, [{ op: 'test', path: '/spec/list/0', value: 9 }], 't')).toThrow(/test/);
  });
});

describe('images', () => {
  it('splits registry ports, tags and digests', () => {
    expect(splitImage('registry:5000/a/b:1.2')).toEqual({ name: 'registry:5000/a/b', tag: '1.2' });
    expect(splitImage('registry:5000/a/b')).toEqual({ name: 'registry:5000/a/b' });
    expect(splitImage('a/b:1@sha256:abc')).toEqual({ name: 'a/b', tag: '1', digest: 'sha256:abc' });
  });
});

describe('build', () => {
  it('applies an overlay: resources, components, patches, namespace, labels, replicas, images', () => {
    const root = tree({
      'base/kustomization.yaml': 'resources: [deployment.yaml]\n',
      'base/deployment.yaml': deployment,
      'component/kustomization.yaml': 'apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\nresources: [cm.yaml]\n',
      'component/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: extra}\ndata: {K: v}\n',
      'overlay/kustomization.yaml': `namespace: ns
resources: [../base]
components: [../component]
labels:
  - pairs: {team: pay}
    includeTemplates: true
replicas:
  - {name: api, count: 3}
images:
  - {name: example/api, newName: reg.io/api, newTag: "1.2"}
  - {name: example/sidecar, newTag: "2.0"}
patches:
  - path: env.yaml
  - target: {kind: ConfigMap}
    patch: |
      - {op: add, path: /data/L, value: w}
`,
      'overlay/env.yaml':
        'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api}\nspec:\n  template:\n    spec:\n      containers:\n        - name: api\n          env:\n            - {name: B, value: "3"}\n',
    });
    const [d, cm] = build(path.join(root, 'overlay'));
    expect(d).toMatchObject({
      metadata: { name: 'api', namespace: 'ns', labels: { team: 'pay' } },
      spec: {
        replicas: 3,
        selector: { matchLabels: { app: 'api' } },
        template: {
          metadata: { labels: { app: 'api', team: 'pay' } },
          spec: {
            containers: [
              {
                name: 'api',
                image: 'reg.io/api:1.2',
                env: [
                  { name: 'A', value: '1' },
                  { name: 'B', value: '3' },
                ],
              },
              { name: 'sidecar', image: 'example/sidecar:2.0' },
            ],
          },
        },
      },
    });
    expect(d!.spec).not.toHaveProperty('selector.matchLabels.team');
    expect(cm).toMatchObject({ metadata: { name: 'extra', namespace: 'ns', labels: { team: 'pay' } }, data: { K: 'v', L: 'w' } });
  });

  it('a component deletes an object with a whole-object $patch: delete; extra components render as if listed', () => {
    const root = tree({
      'base/kustomization.yaml': 'resources: [deployment.yaml, cm.yaml]\n',
      'base/deployment.yaml': deployment,
      'base/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: api-config}\ndata: {K: v}\n',
      'swap/kustomization.yaml': 'apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\nresources: [other.yaml]\npatches: [{path: delete.yaml}]\n',
      'swap/other.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: other}\n',
      'swap/delete.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: api-config}\n$patch: delete\n',
      'overlay/kustomization.yaml': 'namespace: ns\nresources: [../base]\n',
    });
    const names = (objects: { metadata: { name: string } }[]) => objects.map((o) => o.metadata.name);
    expect(names(build(path.join(root, 'overlay')))).toEqual(['api', 'api-config']);
    const swapped = build(path.join(root, 'overlay'), ['../swap']);
    expect(names(swapped)).toEqual(['api', 'other']);
    expect(swapped[1]!.metadata.namespace).toBe('ns');
  });

  it('refuses what it does not implement instead of ignoring it', () => {
    const unsupported = tree({ 'kustomization.yaml': 'resources: [d.yaml]\ncommonLabels: {a: b}\n', 'd.yaml': deployment });
    expect(() => build(unsupported)).toThrow(/commonLabels/);
    const remote = tree({ 'kustomization.yaml': 'resources: [https://github.com/x/y//deploy]\n' });
    expect(() => build(remote)).toThrow(/network/);
    const selectors = tree({ 'kustomization.yaml': 'resources: [d.yaml]\nlabels: [{pairs: {a: b}, includeSelectors: true}]\n', 'd.yaml': deployment });
    expect(() => build(selectors)).toThrow(/includeSelectors/);
  });

  it('fails on a patch that matches nothing, a duplicate object and ambiguous YAML', () => {
    const orphan = tree({
      'kustomization.yaml': 'resources: [d.yaml]\npatches: [{path: p.yaml}]\n',
      'd.yaml': deployment,
      'p.yaml': 'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: other}\n',
    });
    expect(() => build(orphan)).toThrow(/matches nothing/);
    const twice = tree({ 'kustomization.yaml': 'resources: [d.yaml, e.yaml]\n', 'd.yaml': deployment, 'e.yaml': deployment });
    expect(() => build(twice)).toThrow(/more than one Deployment api/);
    const duplicateKey = tree({
      'kustomization.yaml': 'resources: [c.yaml]\n',
      'c.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {A: x, A: y}\n',
    });
    expect(() => build(duplicateKey)).toThrow(KustomizeError);
    // YAML 1.1, as kubectl reads it: an unquoted `on` is a boolean, not the string a ConfigMap needs.
    const yes = tree({ 'kustomization.yaml': 'resources: [c.yaml]\n', 'c.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {FLAG: on}\n' });
    expect(build(yes)[0]!.data).toEqual({ FLAG: true });
  });
});
