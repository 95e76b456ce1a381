// What test/global-setup.ts hands to integration tests through vitest's inject(): importing anything
// from @pp/testing brings this augmentation into the test's program.
import 'vitest';

export interface ProvidedInfra {
  databaseUrl: string;
  kafkaBrokers: string;
  infraMode: string;
  /** POST {url}/kafka/restart restarts the shared broker (fault tests) */
  infraControlUrl: string;
}

declare module 'vitest' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  export interface ProvidedContext extends ProvidedInfra {}
}
