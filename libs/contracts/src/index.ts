export * from './topic-definition';
