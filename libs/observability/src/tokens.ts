/** Injection token of the process's pino logger. */
export const LOGGER = Symbol('LOGGER');
/** Injection token of the process's Prometheus registry. */
export const METRICS = Symbol('METRICS');
