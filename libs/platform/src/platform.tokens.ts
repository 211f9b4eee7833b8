/** The app's validated PlatformConfig. */
export const PLATFORM_CONFIG = Symbol('PLATFORM_CONFIG');
export { LOGGER, METRICS } from '@pacs/observability';
/** The data folder lock, when this process owns one. */
export const DATA_DIR_LOCK = Symbol('DATA_DIR_LOCK');
