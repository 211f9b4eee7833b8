export * from './metadata-index.contract';
