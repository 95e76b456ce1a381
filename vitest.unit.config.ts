// Unit tests of every project (pure and fast; no servers).
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['packages/*/src/**/*.spec.ts', 'services/*/src/**/*.spec.ts', 'deploy/test/**/*.spec.ts', 'test/lint/**/*.spec.ts'],
    // a few of them compile JSON Schemas or render every manifest: seconds on a 2-core machine under
    // load, above vitest's default of 5 s; the limit is there to catch a hang, not to time them
    testTimeout: 30_000,
    reporters: ['default', 'json'],
    outputFile: { json: '.cache/test-results/unit.json' },
  },
});
