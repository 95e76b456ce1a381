// What test/global-setup.ts hands to the test files through vitest's inject().
import 'vitest';

declare module 'vitest' {
  export interface ProvidedContext {
    databaseUrl: string;
    kafkaBrokers: string;
    infraMode: string;
  }
}
