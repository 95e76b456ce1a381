export * from './errors';
export * from './money';
export * from './rate';
export * from './payment-split';
export * from './case-rules';
export * from './reference';
export * from './follow-up';
export * from './webhooks';
