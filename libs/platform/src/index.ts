export * from './platform.tokens';
export * from './platform.module';
export * from './readiness.service';
export * from './data-dir-lock';
export * from './run-app';
