/** The logging the DIMSE layer needs; a pino Logger satisfies it. */
export interface DimseLogger {
  /** Per-message detail. */
  debug(context: object, message: string): void;
  /** Association lifecycle. */
  info(context: object, message: string): void;
  /** Protocol violations by peers, handler failures. */
  warn(context: object, message: string): void;
}

/** A logger that drops everything (the default). */
export const silentLogger: DimseLogger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
};
