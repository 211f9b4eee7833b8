export * from './blob-store.contract';
export * from './blob-test-streams';
