export * from './audit-codes';
export * from './instances-sent.audit';
