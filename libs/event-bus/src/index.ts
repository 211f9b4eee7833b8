export * from './event-bus.port';
export * from './event-bus.errors';
export * from './event-codec';
export * from './message-delivery';
export * from './batch-delivery';
export * from './retry-backoff';
export * from './trace-headers';
export * from './group-sync';
