export * from './sqlite-audit-store.adapter';
