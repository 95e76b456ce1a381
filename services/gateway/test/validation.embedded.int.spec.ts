// The validation suite (./validation.suite.ts) against the embedded default as `npm start` runs it:
// one process, PGlite on its worker thread, the in-process bus, services calling each other in-process.
import { startEmbedded } from '@pp/testing';
import { validationSuite } from './validation.suite';

validationSuite(async (env) => {
  const embedded = await startEmbedded({ env });
  return { url: embedded.url, stop: () => embedded.stop() };
});
