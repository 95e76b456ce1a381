// Integration and end-to-end tests: real PostgreSQL and a real Kafka broker, provisioned once per run.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['services/*/test/**/*.int.spec.ts', 'packages/*/test/**/*.int.spec.ts'],
    globalSetup: ['./test/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 180_000,
    fileParallelism: false,
    reporters: ['default', 'json'],
    outputFile: { json: '.cache/test-results/integration.json' },
  },
});
