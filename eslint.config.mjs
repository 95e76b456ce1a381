// Lint for every project: type-aware TypeScript rules and Nx module boundaries.
import nx from '@nx/eslint-plugin';
import { createNodeResolver, importX } from 'eslint-plugin-import-x';
import tseslint from 'typescript-eslint';

const services = ['ledger', 'case-lifecycle', 'follow-up', 'gateway'];
const banned = ['knex', 'pg', 'kafkajs', '@grpc/grpc-js', '@grpc/proto-loader', 'fastify', '@electric-sql/pglite', 'knex-pglite', 'nodemailer', 'pino'];

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', '**/generated/**', 'tools/**', 'scripts/**', '**/*.js', '**/*.mjs', '**/*.cjs', '.cache/**', '.data/**'] },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    plugins: { '@nx': nx, 'import-x': importX },
    // relative imports resolve to .ts sources (a cycle between files of a project is an error)
    settings: {
      'import-x/resolver-next': [createNodeResolver({ extensions: ['.ts', '.js'] })],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
      'import-x/extensions': ['.ts'],
    },
    languageOptions: {
      parserOptions: { project: ['./packages/*/tsconfig.spec.json', './services/*/tsconfig.spec.json'], tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-non-null-assertion': 'off',
      // no import cycle between modules: a cycle means two modules that cannot be understood apart
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: false,
          allow: [],
          depConstraints: [
            { sourceTag: 'type:domain', onlyDependOnLibsWithTags: ['type:domain'], bannedExternalImports: banned },
            { sourceTag: 'type:contract', onlyDependOnLibsWithTags: ['type:domain', 'type:contract'] },
            { sourceTag: 'type:platform', onlyDependOnLibsWithTags: ['type:domain', 'type:contract'] },
            { sourceTag: 'type:testing', onlyDependOnLibsWithTags: ['type:domain', 'type:contract', 'type:platform'] },
            { sourceTag: 'type:service', onlyDependOnLibsWithTags: ['type:domain', 'type:contract', 'type:platform', 'type:testing'] },
            // the published client depends on nothing of ours: its types come from the generated document
            { sourceTag: 'type:client', onlyDependOnLibsWithTags: [] },
            { sourceTag: 'type:launcher', onlyDependOnLibsWithTags: ['type:domain', 'type:contract', 'type:platform', 'type:service'] },
          ],
        },
      ],
    },
  },
  {
    files: ['packages/domain/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { paths: banned, patterns: ['node:*', 'fs', 'net', 'http'] }] },
  },
  // No service imports another service. Nx's rule says so too, but it depends on the project graph it
  // reads (with CI=true it did not flag a service import); this holds whatever the graph.
  ...services.map((service) => ({
    files: [`services/${service}/**/*.ts`],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: [...services.filter((s) => s !== service), 'embedded'].map((s) => `@pp/${s}`),
              message: 'A service never imports another service: talk over gRPC or Kafka.',
            },
          ],
        },
      ],
    },
  })),
);
