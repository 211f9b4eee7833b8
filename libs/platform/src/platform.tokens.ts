/** The app's validated PlatformConfig. */
export const PLATFORM_CONFIG = Symbol('PLATFORM_CONFIG');
/** The process's pino logger. */
export const LOGGER = Symbol('LOGGER');
/** The process's Prometheus registry. */
export const METRICS = Symbol('METRICS');
/** The data folder lock, when this process owns one. */
export const DATA_DIR_LOCK = Symbol('DATA_DIR_LOCK');
