export * from './index-instance.use-case';
export * from './indexer.module';
