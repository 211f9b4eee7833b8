export * from './audit-store.contract';
export type { AuditStoreContractOptions, OpenAuditStore, OpenedAuditStore } from './contract-context';
export {
  at,
  auditEvent,
  auditRecord,
  auditRecords,
  expectArgumentError,
  expectConflict,
  fixtureHash,
  GENESIS_HASH,
  participant,
  patientObject,
  studyObject,
  T0,
} from './contract-fixtures';
