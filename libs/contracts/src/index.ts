export * from './topic-definition';
export * from './event-envelope';
export * from './topics.v1';
