export { SqliteEventBus, type SqliteEventBusOptions } from './sqlite-event-bus.adapter';
