import type { DicomJsonDataset } from '@pacs/dicom';
import type { QueryKey } from './query/parse-qido-query';

export const METADATA_INDEX = Symbol('METADATA_INDEX');

/** One stored copy of an instance, as `instance.stored` announces it. */
export interface IndexedInstance {
  readonly tenantId: string;
  readonly studyInstanceUid: string;
  readonly seriesInstanceUid: string;
  readonly sopInstanceUid: string;
  readonly sopClassUid: string;
  readonly transferSyntaxUid: string;
  /** 1 for the first copy of the SOP Instance UID; the highest version is the current one. */
  readonly version: number;
  readonly blob: { readonly key: string; readonly size: number; readonly sha256: string; readonly tier: string };
  /** Index attributes in the DICOM JSON Model (patient, study, series and instance levels). */
  readonly attributes: DicomJsonDataset;
}

/** What an upsert changed: nothing when the same copy was indexed before (redelivery). */
export type UpsertOutcome = 'created' | 'unchanged';

/** A page of a search: `limit` undefined means the index's own maximum. */
export interface SearchPage {
  readonly limit?: number;
  readonly offset?: number;
}

export interface SearchOptions {
  /** Person names match fuzzily (see matchAttribute). */
  readonly fuzzy?: boolean;
}

/** Results in a stable order, and whether more matched beyond the page. */
export interface SearchResult {
  readonly results: readonly DicomJsonDataset[];
  readonly more: boolean;
}

/**
 * The metadata index: patients, studies, series and instances per tenant, built from
 * `instance.stored` events and searched with the matching of PS3.4 C.2.2.2 (the semantics of
 * `matchAttribute`). Every read is scoped to one tenant.
 */
export interface MetadataIndex {
  /** Records one copy; idempotent (the same tenant, SOP Instance UID and version again changes nothing). */
  upsertInstance(instance: IndexedInstance): Promise<UpsertOutcome>;
  /**
   * Studies of the tenant matching every key, each as its patient and study attributes plus the
   * computed ones: NumberOfStudyRelatedSeries, NumberOfStudyRelatedInstances, ModalitiesInStudy,
   * SOPClassesInStudy. Ordered by StudyInstanceUID.
   */
  searchStudies(
    tenantId: string,
    keys: readonly QueryKey[],
    page?: SearchPage,
    options?: SearchOptions,
  ): Promise<SearchResult>;
  start(): Promise<void>;
  isHealthy(): Promise<boolean>;
  close(): Promise<void>;
}
