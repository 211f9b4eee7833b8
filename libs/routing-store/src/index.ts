export * from './json-value';
export * from './routing-store.port';
export * from './routing-store.errors';
export * from './routing-store-arguments';
export * from './job-record';
