export * from './cache.port';
export * from './cache-ttl';
