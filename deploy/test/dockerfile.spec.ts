// The image recipe, checked by reading it (there is no Docker in CI): multi-stage, the final stage
// non-root with only production dependencies and compiled code, one build per service by ARG.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { effectiveUser, isRootUser, parseDockerfile, type Stage } from './dockerfile';
import { build } from './kustomize';
import { SERVICES } from './policy';

const repoRoot = path.resolve(__dirname, '../..');
const dockerfileText = fs.readFileSync(path.join(repoRoot, 'Dockerfile'), 'utf8');
const dockerfile = parseDockerfile(dockerfileText);
const finalStage = dockerfile.stages[dockerfile.stages.length - 1]!;

function runs(stage: Stage): string[] {
  return stage.instructions.filter((i) => i.keyword === 'RUN').map((i) => i.args);
}

describe('Dockerfile', () => {
  it('is multi-stage: the build stage installs everything and builds with `npm run build`', () => {
    expect(dockerfile.stages.length).toBeGreaterThanOrEqual(2);
    const buildStage = dockerfile.stages.find((s) => s.name === 'build');
    expect(buildStage).toBeDefined();
    expect(runs(buildStage!).some((r) => /\bnpm ci\b/.test(r) && !/--omit=dev/.test(r))).toBe(true);
    expect(runs(buildStage!).some((r) => /\bnpm run build\b/.test(r))).toBe(true);
  });

  it('the final stage runs as a non-root numeric user (so Kubernetes can verify runAsNonRoot)', () => {
    const user = effectiveUser(finalStage);
    expect(isRootUser(user)).toBe(false);
    expect(user).toMatch(/^[1-9]\d*(:\d+)?$/);
    // …and it is the uid the pods declare.
    const uid = Number(user.split(':')[0]);
    for (const overlay of ['dev', 'prod']) {
      for (const o of build(path.join(repoRoot, 'deploy/overlays', overlay)).filter((x) => x.kind === 'Deployment' || x.kind === 'Job')) {
        expect((o.spec as { template: { spec: { securityContext: { runAsUser: number } } } }).template.spec.securityContext.runAsUser).toBe(uid);
      }
    }
  });

  it('the final stage has only production dependencies of one service and compiled code, chosen by ARG SERVICE', () => {
    expect(finalStage.instructions.some((i) => i.keyword === 'ARG' && /^SERVICE\b/.test(i.args))).toBe(true);
    expect(runs(finalStage).some((r) => /\bnpm ci\b.*--omit=dev.*--workspace\s+"?services\/\$\{SERVICE\}/.test(r))).toBe(true);
    const copies = finalStage.instructions.filter((i) => i.keyword === 'COPY');
    // Nothing straight from the build context: sources, tests and dev tools stay out.
    for (const copy of copies) expect(copy.args).toMatch(/^--from=/);
    expect(copies.map((c) => c.args)).toContain('--from=build /app/services/${SERVICE}/dist ./services/${SERVICE}/dist');
    expect(copies.map((c) => c.args)).toContain('--from=build /app/protos ./protos');
    expect(finalStage.instructions.find((i) => i.keyword === 'CMD')?.args).toBe('["node", "dist/main.js"]');
    expect(finalStage.instructions.filter((i) => i.keyword === 'WORKDIR').pop()?.args).toBe('/app/services/${SERVICE}');
  });

  it('copies the compiled workspace packages every service depends on', () => {
    const copied = finalStage.instructions.filter((i) => i.keyword === 'COPY').map((i) => i.args);
    for (const service of SERVICES) {
      const manifest = JSON.parse(fs.readFileSync(path.join(repoRoot, 'services', service, 'package.json'), 'utf8')) as {
        dependencies?: Record<string, string>;
      };
      for (const dep of Object.keys(manifest.dependencies ?? {}).filter((d) => d.startsWith('@pp/'))) {
        const pkg = dep.slice('@pp/'.length);
        expect(copied, `${service} needs ${dep}`).toContain(`--from=build /app/packages/${pkg}/dist ./packages/${pkg}/dist`);
      }
    }
  });

  it('every service the image can be built for has the entry points the image and the Job run', () => {
    for (const service of SERVICES) {
      for (const entry of ['main.ts', 'migrate.ts'])
        expect(fs.existsSync(path.join(repoRoot, 'services', service, 'src', entry)), `${service}/src/${entry}`).toBe(true);
    }
  });

  it('.dockerignore keeps installs, builds, VCS data and local state out of the context', () => {
    const ignored = fs
      .readFileSync(path.join(repoRoot, '.dockerignore'), 'utf8')
      .split('\n')
      .map((l) => l.trim());
    for (const entry of ['.git', '**/node_modules', '**/dist', '.data', '.cache']) expect(ignored).toContain(entry);
  });

  it('a Dockerfile whose final stage runs as root is caught', () => {
    const noUser = parseDockerfile('FROM node:20 AS build\nRUN npm ci\nFROM node:20-slim\nCOPY --from=build /app /app\nCMD ["node", "main.js"]\n');
    expect(isRootUser(effectiveUser(noUser.stages[1]!))).toBe(true);
    const backToRoot = parseDockerfile('FROM node:20-slim\nUSER node\nRUN \\\n  echo hi\n# comment\nUSER 0:0\n');
    expect(isRootUser(effectiveUser(backToRoot.stages[0]!))).toBe(true);
    expect(backToRoot.stages[0]!.instructions.map((i) => [i.keyword, i.line])).toEqual([
      ['USER', 2],
      ['RUN', 3],
      ['USER', 6],
    ]);
  });
});
