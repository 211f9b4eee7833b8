import { logLevel } from 'kafkajs';
import { kafkaLogCreator } from './kafka-log-creator';

describe('kafkaLogCreator', () => {
  it('maps each kafkajs level to the logger, with kafkajs context and namespace', () => {
    const lines: [string, Record<string, unknown>, string][] = [];
    const record = (level: string) => (context: Record<string, unknown>, message: string) =>
      void lines.push([level, context, message]);
    const log = kafkaLogCreator({ info: record('info'), warn: record('warn'), error: record('error') })(logLevel.INFO);
    const entry = (level: logLevel, message: string) => ({
      namespace: 'Connection',
      level,
      label: 'x',
      log: { timestamp: '2025-01-01T00:00:00Z', logger: 'kafkajs', message, broker: '127.0.0.1:1' },
    });

    log(entry(logLevel.ERROR, 'Connection error'));
    log(entry(logLevel.WARN, 'Slow'));
    log(entry(logLevel.INFO, 'Hello'));
    log(entry(logLevel.DEBUG, 'Chatty'));

    expect(lines).toEqual([
      ['error', { broker: '127.0.0.1:1', kafkaNamespace: 'Connection' }, 'kafkajs: Connection error'],
      ['warn', { broker: '127.0.0.1:1', kafkaNamespace: 'Connection' }, 'kafkajs: Slow'],
      ['info', { broker: '127.0.0.1:1', kafkaNamespace: 'Connection' }, 'kafkajs: Hello'],
      ['info', { broker: '127.0.0.1:1', kafkaNamespace: 'Connection' }, 'kafkajs: Chatty'],
    ]);
  });
});
