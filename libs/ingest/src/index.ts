export * from './tenants/tenant';
export * from './tenants/tenant-registry';
export * from './store/store-instance.errors';
export * from './store/store-instance.use-case';
export * from './dimse/association-policy';
export * from './dimse/dimse-gateway.service';
export * from './dimse/ingest.module';
export * from './gateway-config';
