import type { DicomJsonDataset } from '@pacs/dicom';
import type { ExtraAttributeRequest, ExtraAttributes } from './extra-attributes';
import type { QueryKey } from './query/parse-qido-query';
import type { ReindexCopy, ReindexedCopy, ReindexJob, ReindexProgress } from './reindex-job';

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
  /**
   * The whole data set in the DICOM JSON Model (PS3.18 F.2), as WADO-RS metadata returns it, with
   * every BulkDataURI relative to the instance's URL: `bulkdata/` then the value's tag path, tags
   * of 8 hex digits and 0-based item numbers alternating ("bulkdata/7FE00010",
   * "bulkdata/00540016/0/00181072"); the gateway resolves them against `{instance URL}/` and
   * serves each by reading the stored copy down that path. Attributes after the pixel data are
   * left out. Absent when the indexer could not read the copy: the index attributes stand in.
   */
  readonly metadata?: DicomJsonDataset;
  /** When the copy was indexed (ISO 8601); the study's last activity, for `study.stable`. */
  readonly indexedAt?: string;
}

/** The levels of a search (PS3.4 C.6.2.1: the Study Root levels; patients are searched as studies). */
export type SearchLevel = 'study' | 'series' | 'instance';

/**
 * Where a search or a listing looks: the whole tenant, one study, one series of it, or one
 * instance of that series. A deeper UID needs the ones above it.
 */
export interface SearchScope {
  readonly studyInstanceUid?: string;
  readonly seriesInstanceUid?: string;
  readonly sopInstanceUid?: string;
}

/** The current copy of an instance (its highest version), as retrieval needs it. */
export interface StoredInstance {
  readonly studyInstanceUid: string;
  readonly seriesInstanceUid: string;
  readonly sopInstanceUid: string;
  readonly sopClassUid: string;
  readonly transferSyntaxUid: string;
  readonly version: number;
  readonly blob: IndexedInstance['blob'];
  /** Its index attributes. */
  readonly attributes: DicomJsonDataset;
}

/** A study with no new instance since `lastActivityAt`, not yet announced stable. */
export interface QuietStudy {
  readonly tenantId: string;
  readonly studyInstanceUid: string;
  readonly seriesCount: number;
  readonly instanceCount: number;
  /** indexedAt of its latest instance (ISO 8601). */
  readonly lastActivityAt: string;
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
  /** upsertInstance of each in order, the outcomes in that order; one invalid copy refuses all before any is written. */
  upsertInstances(instances: readonly IndexedInstance[]): Promise<UpsertOutcome[]>;
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
  /**
   * Records of one level matching every key, within the scope (PS3.18 10.6.3.3):
   * - study: as searchStudies;
   * - series: the study record (patient, study and computed attributes) plus the series
   *   attributes and NumberOfSeriesRelatedInstances (0020,1209), ordered by StudyInstanceUID then
   *   SeriesInstanceUID;
   * - instance: the study and series attributes plus the instance's own (current copy), ordered by
   *   StudyInstanceUID, SeriesInstanceUID, then SOPInstanceUID.
   * Keys on any level above the searched one match against those attributes.
   */
  search(
    tenantId: string,
    level: SearchLevel,
    scope: SearchScope,
    keys: readonly QueryKey[],
    page?: SearchPage,
    options?: SearchOptions,
  ): Promise<SearchResult>;
  /**
   * The current copy of every instance in the scope (at least a study UID), for retrieval:
   * ordered by SeriesInstanceUID, then InstanceNumber (absent last), then SOPInstanceUID. Streams:
   * a study of thousands of instances is not held in memory. None when nothing is in scope.
   */
  listInstances(
    tenantId: string,
    scope: SearchScope & { readonly studyInstanceUid: string },
  ): AsyncIterable<StoredInstance>;
  /**
   * The metadata (IndexedInstance.metadata, else the index attributes) of every current copy in
   * the scope, in listInstances order, each with the instance it describes. Streams.
   */
  listMetadata(
    tenantId: string,
    scope: SearchScope & { readonly studyInstanceUid: string },
  ): AsyncIterable<{ readonly instance: StoredInstance; readonly metadata: DicomJsonDataset }>;
  /**
   * Studies whose latest instance was indexed at or before `quietSince` (ISO 8601) and that were
   * not marked stable since, any tenant, oldest activity first, at most `limit`.
   */
  findQuietStudies(quietSince: string, limit: number): Promise<readonly QuietStudy[]>;
  /**
   * Marks the study stable as of its activity `lastActivityAt`; false when it changed since (a
   * newer instance) or another indexer marked it first, so that one replica announces it.
   */
  markStudyStable(tenantId: string, studyInstanceUid: string, lastActivityAt: string): Promise<boolean>;
  /**
   * The tenant's extra attributes (ExtraAttribute): held by its records at their levels (search
   * results carry them, keys match them) besides INDEX_KEYWORDS. Generation 0, none, before any.
   */
  getExtraAttributes(tenantId: string): Promise<ExtraAttributes>;
  /**
   * Replaces the tenant's extra attributes (checkExtraAttributes: a MetadataIndexError
   * INVALID_ARGUMENT names a bad entry) with a new generation and creates its reindex job, durably
   * and at once. Copies upserted from then on carry them (taken from their metadata, else their
   * index attributes); copies indexed before get them from the job (applyExtraAttributes), their
   * records meanwhile carry those of the list they were given, less the ones no longer listed.
   */
  setExtraAttributes(
    tenantId: string,
    attributes: readonly ExtraAttributeRequest[],
  ): Promise<{ readonly extras: ExtraAttributes; readonly job: ReindexJob }>;
  /** A reindex job of the tenant; undefined for an unknown id or another tenant's job. */
  getReindexJob(tenantId: string, jobId: string): Promise<ReindexJob | undefined>;
  /** Jobs neither done nor superseded, any tenant, oldest first, at most `limit`. */
  findUnfinishedReindexJobs(limit: number): Promise<readonly ReindexJob[]>;
  /**
   * The tenant's current copies after the SOP Instance UID `after` (from the first without), in
   * SOP Instance UID order, at most `limit`, each with its stored metadata when the index has it.
   */
  listReindexCopies(tenantId: string, after: string | undefined, limit: number): Promise<readonly ReindexCopy[]>;
  /**
   * Gives each copy the extra attributes of the tenant's list of `generation`, picked from the
   * metadata given. Idempotent; a generation the tenant never had is INVALID_ARGUMENT.
   */
  applyExtraAttributes(tenantId: string, generation: number, copies: readonly ReindexedCopy[]): Promise<void>;
  /**
   * Records a job's progress after a batch; false when a progress of that batch number was
   * recorded already (another runner did the batch: the caller reads the job again). Once a
   * finished progress is recorded, the extras of the tenant's older generations are dropped.
   */
  recordReindexProgress(tenantId: string, jobId: string, progress: ReindexProgress): Promise<boolean>;
  start(): Promise<void>;
  isHealthy(): Promise<boolean>;
  close(): Promise<void>;
}
