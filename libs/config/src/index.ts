export * from './config.error';
export * from './parse-env';
export * from './env-types';
export * from './platform-config';
export * from './metadata-index-config';
export * from './indexer-config';
export * from './routing-store-config';
export * from './router-config';
