import { storeContractContext, type OpenedStore, type StoreContractContext } from '@pacs/testing';
import type { AuditStore } from '../audit-store.port';

/** A started store on a new, empty database, and a way to open more stores on that database. */
export type OpenedAuditStore = OpenedStore<AuditStore>;

/** Opens a store on a new, empty database. */
export type OpenAuditStore = () => Promise<OpenedAuditStore>;

/** What an adapter leaves of an append whose record k conflicts (AuditStore.append). */
export interface AuditStoreContractOptions {
  /** all-or-nothing: none of the records (one transaction); in-order: the records before k. */
  readonly append: 'all-or-nothing' | 'in-order';
}

/** The stores under test in the current test. */
export type AuditContractContext = StoreContractContext<AuditStore>;

/** A store on a new database before each test of the enclosing describe, closed after it. */
export const auditContractContext = (open: OpenAuditStore): AuditContractContext => storeContractContext(open);
