export * from './mongodb-audit-store.adapter';
