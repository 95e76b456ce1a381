export * from './infra';
export * from './poll-until';
export * from './stack';
