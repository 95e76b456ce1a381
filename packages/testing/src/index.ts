export * from './infra';
export * from './poll-until';
export * from './stack';
export type { ProvidedInfra } from './provided';
export * from './api';
