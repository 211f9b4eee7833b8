export * from './query/attribute-match';
export * from './query/parse-attribute-match';
export * from './query/match-attribute';
export * from './query/parse-qido-query';
export * from './query/query.errors';
export * from './metadata-index.port';
export * from './study-record';
export * from './search-page';
