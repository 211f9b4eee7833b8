export * from './memory-cache.adapter';
