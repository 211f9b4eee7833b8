export * from './logger';
export * from './metrics';
export * from './telemetry';
export * from './tokens';
