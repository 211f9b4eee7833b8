export { KafkaEventBus, type KafkaEventBusOptions } from './kafka-event-bus.adapter';
export type { KafkaLogLevel } from './kafka-log-creator';
