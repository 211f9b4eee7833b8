import type { Collection, Db, IndexSpecification } from 'mongodb';
import type { ReindexError } from '@pacs/metadata-index';

/** Collection `instances`: every copy, as indexed; the redelivery check and the metadata. */
export interface CopyDocument {
  tenantId: string;
  studyInstanceUid: string;
  seriesInstanceUid: string;
  sopInstanceUid: string;
  version: number;
  sopClassUid: string;
  transferSyntaxUid: string;
  modality: string | null;
  blob: { key: string; size: number; sha256: string; tier: string };
  /** DICOM JSON as a string: its keys ("0020000D") and values are kept exactly. */
  attributes: string;
  /** IndexedInstance.metadata as a string; null when the indexer had none. */
  metadata: string | null;
  indexedAt: string;
}

/** Collection `currentInstances`: the current copy (highest version) of each SOP Instance UID. */
export interface CurrentDocument {
  tenantId: string;
  studyInstanceUid: string;
  seriesInstanceUid: string;
  sopInstanceUid: string;
  version: number;
  sopClassUid: string;
  transferSyntaxUid: string;
  modality: string | null;
  /** Listings put instances without InstanceNumber last: true sorts after false. */
  numberless: boolean;
  /** InstanceNumber, 0 when numberless. */
  instanceNumber: number;
  blob: CopyDocument['blob'];
  attributes: string;
  indexedAt: string;
}

/** Collection `series`: per series of current copies, the attributes of its latest and its counts. */
export interface SeriesDocument {
  tenantId: string;
  studyInstanceUid: string;
  seriesInstanceUid: string;
  modality: string | null;
  instanceCount: number;
  sopClassUids: string[];
  modalities: string[];
  /** seriesAttributesOf its latest copy, as a string. */
  attributes: string;
  /** That copy (its extra attributes are the series'); absent in documents written before. */
  latestSop?: string;
  latestVersion?: number;
}

/** Collection `studies`: per study its record, searched fields and stability. */
export interface StudyDocument {
  tenantId: string;
  studyInstanceUid: string;
  patientId: string | null;
  accessionNumber: string | null;
  studyDate: string | null;
  nameTokens: string[];
  record: string;
  seriesCount: number;
  instanceCount: number;
  /** The copy the record takes its attributes from (its extra attributes are the study's). */
  latestSop?: string;
  latestVersion?: number;
}

/**
 * Collection `extraAttributeLists`: each generation of a tenant's extra attributes, inserted
 * once (never updated), which records its reindex job too: the tenant's list is its highest.
 */
export interface ExtraListDocument {
  tenantId: string;
  generation: number;
  /** ExtraAttribute[] as JSON. */
  attributes: string;
  jobId: string;
  createdAt: string;
  /** The tenant's current copies when the job was created. */
  total: number;
}

/**
 * Collection `instanceExtras`: the extra attributes of a copy picked with a generation's list,
 * inserted once by the indexer or a reindex job (the same for both: a duplicate is ignored); the
 * highest generation of a copy is the one its records use.
 */
export interface InstanceExtrasDocument {
  tenantId: string;
  sopInstanceUid: string;
  version: number;
  generation: number;
  /** DICOM JSON as a string. */
  extras: string;
}

/** Collection `reindexProgress`: a job's progress after each batch, inserted once per batch. */
export interface ReindexProgressDocument {
  jobId: string;
  batch: number;
  cursor: string | null;
  done: number;
  total: number;
  errorCount: number;
  errors: ReindexError[];
  finished: boolean;
  recordedAt: string;
}

/**
 * Collection `pendingStudies`: a study changed since it was last announced stable, as of
 * `pendingSince` (the latest indexedAt of its changes). The indexer only inserts and deletes
 * them, and markStudyStable deletes one: a delete is the one write that FerretDB (whose updates
 * read and write back apart) and MongoDB both apply once, so of two replicas one wins.
 */
export interface PendingStudyDocument {
  tenantId: string;
  studyInstanceUid: string;
  pendingSince: string;
  seriesCount: number;
  instanceCount: number;
}

/** The collections of the index. */
export interface IndexCollections {
  readonly instances: Collection<CopyDocument>;
  readonly currentInstances: Collection<CurrentDocument>;
  readonly series: Collection<SeriesDocument>;
  readonly studies: Collection<StudyDocument>;
  readonly pendingStudies: Collection<PendingStudyDocument>;
  readonly extraAttributeLists: Collection<ExtraListDocument>;
  readonly instanceExtras: Collection<InstanceExtrasDocument>;
  readonly reindexProgress: Collection<ReindexProgressDocument>;
}

/**
 * The indexes, per collection; each starts with tenantId, but the one of the stability sweep,
 * which is across tenants (oldest pending first). They serve, in their order without sorting: instance searches of a
 * study, series or SOP Class; listings (series, InstanceNumber, SOP); series searches of a
 * study, modality or series UID; study searches of a patient, accession, date or name token; the
 * tenants' lists by generation, a copy's extras by generation, a job's batches.
 */
export const INDEXES: Readonly<Record<string, readonly (readonly [IndexSpecification, { unique?: boolean }])[]>> = {
  instances: [[{ tenantId: 1, sopInstanceUid: 1, version: 1 }, { unique: true }]],
  currentInstances: [
    [{ tenantId: 1, sopInstanceUid: 1 }, { unique: true }],
    [{ tenantId: 1, studyInstanceUid: 1, seriesInstanceUid: 1, sopInstanceUid: 1 }, {}],
    [{ tenantId: 1, sopClassUid: 1, studyInstanceUid: 1, seriesInstanceUid: 1, sopInstanceUid: 1 }, {}],
    [
      { tenantId: 1, studyInstanceUid: 1, seriesInstanceUid: 1, numberless: 1, instanceNumber: 1, sopInstanceUid: 1 },
      {},
    ],
  ],
  series: [
    [{ tenantId: 1, studyInstanceUid: 1, seriesInstanceUid: 1 }, { unique: true }],
    [{ tenantId: 1, modality: 1, studyInstanceUid: 1, seriesInstanceUid: 1 }, {}],
    [{ tenantId: 1, seriesInstanceUid: 1 }, {}],
  ],
  studies: [
    [{ tenantId: 1, studyInstanceUid: 1 }, { unique: true }],
    [{ tenantId: 1, patientId: 1 }, {}],
    [{ tenantId: 1, accessionNumber: 1 }, {}],
    [{ tenantId: 1, studyDate: 1 }, {}],
    [{ tenantId: 1, nameTokens: 1 }, {}],
  ],
  pendingStudies: [
    [{ pendingSince: 1, tenantId: 1, studyInstanceUid: 1 }, {}],
    [{ tenantId: 1, studyInstanceUid: 1 }, {}],
  ],
  extraAttributeLists: [
    [{ tenantId: 1, generation: 1 }, { unique: true }],
    [{ jobId: 1 }, { unique: true }],
  ],
  instanceExtras: [[{ tenantId: 1, sopInstanceUid: 1, version: 1, generation: 1 }, { unique: true }]],
  reindexProgress: [[{ jobId: 1, batch: 1 }, { unique: true }]],
};

/** Creates the indexes that are missing (createIndex of an existing one does nothing). */
export async function createIndexes(db: Db): Promise<void> {
  for (const [collection, indexes] of Object.entries(INDEXES)) {
    for (const [keys, options] of indexes) await db.collection(collection).createIndex(keys, options);
  }
}
