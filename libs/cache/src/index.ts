export * from './cache.port';
export * from './cache-ttl';
export * from './acquire-lock-within';
