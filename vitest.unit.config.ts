// Unit tests of every project (pure and fast; no servers).
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['packages/*/src/**/*.spec.ts', 'services/*/src/**/*.spec.ts', 'deploy/test/**/*.spec.ts', 'test/lint/**/*.spec.ts'],
    reporters: ['default', 'json'],
    outputFile: { json: '.cache/test-results/unit.json' },
  },
});
