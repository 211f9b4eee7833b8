import type { EventBusLogger } from '@pacs/event-bus';
import { logLevel, type logCreator } from 'kafkajs';

/** How much of kafkajs's own logging reaches the logger. */
export type KafkaLogLevel = 'nothing' | 'error' | 'warn' | 'info' | 'debug';

export const KAFKA_LOG_LEVELS: Readonly<Record<KafkaLogLevel, logLevel>> = {
  nothing: logLevel.NOTHING,
  error: logLevel.ERROR,
  warn: logLevel.WARN,
  info: logLevel.INFO,
  debug: logLevel.DEBUG,
};

/**
 * Routes kafkajs's log lines to the platform logger, so that they come out as the same structured
 * JSON as everything else instead of on the console. Debug lines go out as info: the logger has no
 * debug level, and kafkajs's debug level is only turned on to investigate.
 */
export function kafkaLogCreator(logger: EventBusLogger): logCreator {
  return () =>
    ({ namespace, level, log }) => {
      // timestamp and logger ('kafkajs') duplicate what the platform logger adds itself.
      const { message, timestamp: _timestamp, logger: _logger, ...extra } = log;
      const context = { ...extra, kafkaNamespace: namespace };
      const text = `kafkajs: ${String(message)}`;
      if (level === logLevel.ERROR) logger.error(context, text);
      else if (level === logLevel.WARN) logger.warn(context, text);
      else logger.info(context, text);
    };
}
