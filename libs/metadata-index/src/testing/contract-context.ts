import type { IndexedInstance, MetadataIndex } from '../metadata-index.port';
import { archive } from './contract-fixtures';

/** The index under test in the current test. */
export interface ContractContext {
  readonly index: MetadataIndex;
  /** Upserts the instances (default: the archive) one after the other. */
  load(instances?: readonly IndexedInstance[]): Promise<void>;
}

/** An index opened empty before each test of the enclosing describe, closed after it. */
export function contractContext(open: () => Promise<MetadataIndex>): ContractContext {
  let current: MetadataIndex | undefined;
  beforeEach(async () => {
    current = await open();
  });
  afterEach(async () => {
    await current?.close();
    current = undefined;
  });
  return contextOf(() => current);
}

/**
 * One index for every test of the enclosing describe, opened and loaded with `instances` once,
 * for tests that only read it.
 */
export function sharedContractContext(
  open: () => Promise<MetadataIndex>,
  instances: () => readonly IndexedInstance[],
): Pick<ContractContext, 'index'> {
  let current: MetadataIndex | undefined;
  beforeAll(async () => {
    current = await open();
    await contextOf(() => current).load(instances());
  });
  afterAll(async () => {
    await current?.close();
    current = undefined;
  });
  return contextOf(() => current);
}

function contextOf(current: () => MetadataIndex | undefined): ContractContext {
  return {
    get index(): MetadataIndex {
      const index = current();
      if (!index) throw new Error('the contract index is only open within a test');
      return index;
    },
    async load(instances = archive()) {
      for (const instance of instances) await this.index.upsertInstance(instance);
    },
  };
}
