import { describeArguments } from './arguments.contract';
import { describeClaims } from './claims.contract';
import { describeConfig } from './config.contract';
import type { OpenStore } from './contract-context';
import { describeJobs } from './jobs.contract';

/**
 * The contract every RoutingStore adapter passes. `open` gives a started store on a new, empty
 * database, and opens more stores on that database (the concurrency tests claim from two); the
 * suite closes them.
 */
export function runRoutingStoreContract(name: string, open: OpenStore): void {
  describe(`RoutingStore contract: ${name}`, () => {
    describe('configuration', () => describeConfig(open));
    describe('jobs', () => describeJobs(open));
    describe('claims and leases', () => describeClaims(open));
    describe('broken arguments', () => describeArguments(open));
  });
}
