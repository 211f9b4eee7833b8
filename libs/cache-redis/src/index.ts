export * from './redis-cache.adapter';
