import { storeContractContext, type OpenedStore as OpenedTestStore, type StoreContractContext } from '@pacs/testing';
import type { RoutingStore } from '../routing-store.port';

/** A started store on a new, empty database, and a way to open more stores on that database. */
export type OpenedStore = OpenedTestStore<RoutingStore>;

/** Opens a store on a new, empty database. */
export type OpenStore = () => Promise<OpenedStore>;

/** The stores under test in the current test. */
export type ContractContext = StoreContractContext<RoutingStore>;

/** A store on a new database before each test of the enclosing describe, closed after it. */
export const contractContext = (open: OpenStore): ContractContext => storeContractContext(open);
