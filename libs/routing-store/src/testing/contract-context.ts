import type { RoutingStore } from '../routing-store.port';

/** A started store on a new, empty database, and a way to open more stores on that database. */
export interface OpenedStore {
  readonly store: RoutingStore;
  /** Another started store on the same database, with its own connection (as another process). */
  openAnother(): Promise<RoutingStore>;
}

/** Opens a store on a new, empty database. */
export type OpenStore = () => Promise<OpenedStore>;

/** The stores under test in the current test. */
export interface ContractContext {
  readonly store: RoutingStore;
  /** Another store on the same database (closed after the test). */
  another(): Promise<RoutingStore>;
}

/** A store on a new database before each test of the enclosing describe, closed after it. */
export function contractContext(open: OpenStore): ContractContext {
  let current: OpenedStore | undefined;
  const others: RoutingStore[] = [];
  beforeEach(async () => {
    current = await open();
  });
  afterEach(async () => {
    for (const other of others.splice(0)) await other.close();
    await current?.store.close();
    current = undefined;
  });
  const opened = (): OpenedStore => {
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
