/** A store the contract suites open and close. */
export interface ClosableStore {
  close(): Promise<void>;
}

/** A started store on a new, empty database, and a way to open more stores on that database. */
export interface OpenedStore<S extends ClosableStore> {
  readonly store: S;
  /** Another started store on the same database, with its own connection (as another process). */
  openAnother(): Promise<S>;
}

/** The stores under test in the current test. */
export interface StoreContractContext<S extends ClosableStore> {
  readonly store: S;
  /** Another store on the same database (closed after the test). */
  another(): Promise<S>;
}

/**
 * For a port's contract suite: a store on a new database before each test of the enclosing
 * describe, closed after it with every other store the test opened on that database.
 */
export function storeContractContext<S extends ClosableStore>(
  open: () => Promise<OpenedStore<S>>,
): StoreContractContext<S> {
  let current: OpenedStore<S> | undefined;
  const others: S[] = [];
  beforeEach(async () => {
    current = await open();
  });
  afterEach(async () => {
    for (const other of others.splice(0)) await other.close();
    await current?.store.close();
    current = undefined;
  });
  const opened = (): OpenedStore<S> => {
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
