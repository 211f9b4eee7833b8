import { describeAppend } from './append.contract';
import { describeArguments } from './arguments.contract';
import type { AuditStoreContractOptions, OpenAuditStore } from './contract-context';
import { describeTenantsAndCursors } from './cursors.contract';
import { describeSearch } from './search.contract';

/**
 * The contract every AuditStore adapter passes. `open` gives a started store on a new, empty
 * database, and opens more stores on that database (the concurrency tests append from two); the
 * suite closes them. `options` says what the adapter leaves of an append that conflicts midway.
 */
export function runAuditStoreContract(name: string, open: OpenAuditStore, options: AuditStoreContractOptions): void {
  describe(`AuditStore contract: ${name}`, () => {
    describe('append and read', () => describeAppend(open, options));
    describe('search', () => describeSearch(open));
    describe('tenants and export cursors', () => describeTenantsAndCursors(open));
    describe('broken arguments', () => describeArguments(open));
  });
}
