export * from './routing-store.contract';
export { describeClaimsAcrossProcesses, type WorkerStore } from './claim-processes';
export type { OpenedStore, OpenStore } from './contract-context';
export { at, claimAt, claimOf, expectStoreError, jobSpec, T0 } from './contract-fixtures';
