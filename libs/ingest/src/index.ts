export * from './tenants/tenant';
export * from './tenants/tenant-registry';
export * from './store/store-instance.errors';
export * from './store/store-instance.use-case';
