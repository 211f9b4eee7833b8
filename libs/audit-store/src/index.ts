export * from './audit-store.port';
export * from './audit-store.errors';
export * from './audit-store-arguments';
export * from './audit-search-keys';
