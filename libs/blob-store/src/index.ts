export * from './blob-store.port';
export * from './blob-store.errors';
export * from './blob-key';
export * from './byte-range';
export * from './sha256-transform';
