export * from './mongodb-routing-store.adapter';
