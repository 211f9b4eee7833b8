import type { MetadataIndex } from '../metadata-index.port';
import { describeBatchUpsert } from './batch-upsert.contract';
import { describeExtraAttributes } from './extra-attributes.contract';
import { describeIdempotence } from './idempotence.contract';
import { describeLevelSearch } from './level-search.contract';
import { describeListings } from './listing.contract';
import { describeNameSearch } from './name-search.contract';
import { describeSequenceAndDateTime } from './sequence-date-time.contract';
import { describeStability } from './stability.contract';
import { describeStudySearch } from './study-search.contract';

export { archive, collect, indexedInstance, type InstanceSpec } from './contract-fixtures';
export { orderedArchive } from './level-search.contract';
export { listedStudy } from './listing.contract';

/**
 * The contract every MetadataIndex adapter passes. `open` gives a started, empty index; the suite
 * closes it.
 */
export function runMetadataIndexContract(name: string, open: () => Promise<MetadataIndex>): void {
  describe(`MetadataIndex contract: ${name}`, () => {
    describe('study searches', () => describeStudySearch(open));
    describe('series and instance searches', () => describeLevelSearch(open));
    describe('person name searches', () => describeNameSearch(open));
    describe('sequence and combined date-time matching', () => describeSequenceAndDateTime(open));
    describe('listings and versions', () => describeListings(open));
    describe('study stability', () => describeStability(open));
    describe('idempotence and bad input', () => describeIdempotence(open));
    describe('batch upserts', () => describeBatchUpsert(open));
    describe("a tenant's extra attributes", () => describeExtraAttributes(open));
  });
}
