export * from './event-bus.port';
export * from './event-bus.errors';
