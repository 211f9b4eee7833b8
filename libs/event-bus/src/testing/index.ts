export * from './event-bus.contract';
export * from './trace-fixtures';
export * from './wait-for';
