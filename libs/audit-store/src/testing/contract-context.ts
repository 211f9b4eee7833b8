import type { AuditStore } from '../audit-store.port';

/** A started store on a new, empty database, and a way to open more stores on that database. */
export interface OpenedAuditStore {
  readonly store: AuditStore;
  /** Another started store on the same database, with its own connection (as another process). */
  openAnother(): Promise<AuditStore>;
}

/** Opens a store on a new, empty database. */
export type OpenAuditStore = () => Promise<OpenedAuditStore>;

/** What an adapter leaves of an append whose record k conflicts (AuditStore.append). */
export interface AuditStoreContractOptions {
  /** all-or-nothing: none of the records (one transaction); in-order: the records before k. */
  readonly append: 'all-or-nothing' | 'in-order';
}

/** The stores under test in the current test. */
export interface AuditContractContext {
  readonly store: AuditStore;
  /** Another store on the same database (closed after the test). */
  another(): Promise<AuditStore>;
}

/** A store on a new database before each test of the enclosing describe, closed after it. */
export function auditContractContext(open: OpenAuditStore): AuditContractContext {
  let current: OpenedAuditStore | undefined;
  const others: AuditStore[] = [];
  beforeEach(async () => {
    current = await open();
  });
  afterEach(async () => {
    for (const other of others.splice(0)) await other.close();
    await current?.store.close();
    current = undefined;
  });
  const opened = (): OpenedAuditStore => {
    if (!current) throw new Error('the contract store is only open within a test');
    return current;
  };
  return {
    get store() {
      return opened().store;
    },
    async another() {
      const other = await opened().openAnother();
      others.push(other);
      return other;
    },
  };
}
