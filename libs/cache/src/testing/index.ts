export * from './cache.contract';
