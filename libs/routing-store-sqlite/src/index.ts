export * from './sqlite-routing-store.adapter';
