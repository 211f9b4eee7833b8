export * from './sqlite-metadata-index.adapter';
