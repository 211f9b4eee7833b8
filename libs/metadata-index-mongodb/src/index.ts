export * from './mongodb-metadata-index.adapter';
