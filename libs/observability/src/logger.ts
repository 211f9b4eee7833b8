import pino, { type Logger } from 'pino';

export type { Logger } from 'pino';

/**
 * JSON logs (one object per line): a constant message plus a context object
 * (tenantId, correlationId, studyInstanceUid...). `destination` is for tests.
 */
export function createLogger(
  options: { service: string; level: string },
  destination?: pino.DestinationStream,
): Logger {
  return pino(
    {
      level: options.level,
      base: { service: options.service, pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    destination ?? pino.destination({ sync: false }),
  );
}
