export * from './blob-store.port';
export * from './blob-store.errors';
