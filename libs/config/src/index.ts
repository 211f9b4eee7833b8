export * from './config.error';
export * from './parse-env';
export * from './env-types';
export * from './platform-config';
