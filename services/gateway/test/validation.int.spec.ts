// The validation suite (./validation.suite.ts) against the distributed stack: four processes on the
// real PostgreSQL server and a real Kafka broker.
import { inject } from 'vitest';
import { startStack } from '@pp/testing';
import { validationSuite } from './validation.suite';

validationSuite(async (env) => {
  const stack = await startStack({ databaseUrl: inject('databaseUrl'), kafkaBrokers: inject('kafkaBrokers'), env });
  return { url: stack.gatewayUrl, stop: () => stack.stop() };
});
