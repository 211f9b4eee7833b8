export * from './sqlite-wal-database';
export * from './sqlite-transactions';
