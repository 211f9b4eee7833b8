export * from './validate-audit-xml';
