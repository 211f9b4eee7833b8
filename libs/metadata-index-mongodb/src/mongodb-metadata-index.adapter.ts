import { MongoClient, type Filter } from 'mongodb';
import type { DicomJsonDataset } from '@pacs/dicom';
import {
  checkIndexedInstance,
  checkIndexedInstances,
  checkLimit,
  checkListScope,
  checkSearchScope,
  collectPage,
  instantOf,
  modalityOf,
  searchNarrowing,
  type ExtraAttributeRequest,
  type ExtraAttributes,
  type IndexedInstance,
  type MetadataIndex,
  type QueryKey,
  type QuietStudy,
  type ReindexCopy,
  type ReindexedCopy,
  type ReindexJob,
  type ReindexProgress,
  type SearchLevel,
  type SearchOptions,
  type SearchPage,
  type SearchResult,
  type SearchScope,
  type StoredInstance,
  type UpsertOutcome,
} from '@pacs/metadata-index';
import {
  createIndexes,
  type CopyDocument,
  type CurrentDocument,
  type ExtraListDocument,
  type IndexCollections,
  type InstanceExtrasDocument,
  type PendingStudyDocument,
  type ReindexProgressDocument,
  type SeriesDocument,
  type StudyDocument,
} from './mongodb-documents';
import {
  isDuplicateKey,
  keyOf,
  makeCurrent,
  refreshSeries,
  refreshStudy,
  type SeriesKey,
} from './mongodb-derived-documents';
import { MongoExtraAttributes } from './mongodb-extra-attributes';
import { batches, searchRecords, type RecordExtras } from './mongodb-search';

export interface MongoMetadataIndexOptions {
  /** `mongodb://host:port/`; the database is `database`. */
  readonly url: string;
  readonly database: string;
  /** Results of one search at most, whatever `limit` asks (default 1000). */
  readonly maxResults?: number;
  /** Copies a listing reads from the server at once (default 256). */
  readonly listBatchSize?: number;
  readonly serverSelectionTimeoutMs?: number;
}

type ListScope = SearchScope & { readonly studyInstanceUid: string };

/**
 * The distributed metadata index, on a MongoDB wire-compatible server (collections and indexes in
 * mongodb-documents.ts). It uses only what both MongoDB and FerretDB support (no transactions, no
 * aggregation pipeline): unique indexes, inserts, deletes, conditional upserts, `distinct`,
 * counts, filtered and sorted finds. Without transactions, an upsert recomputes what the new copy
 * changes (the current copy, the counts of its series and study) from the copies themselves, a
 * redelivered one included, so a crash between two writes heals when the event comes again
 * (mongodb-derived-documents.ts). FerretDB applies an update by reading and writing the document
 * back apart: two writers of one document could lose a write, so each document has one writer,
 * the indexer of its study (events are keyed by study; a new version that moves a copy to another
 * study aside), and the stability sweep only deletes. A tenant's extra attributes are documents
 * inserted once each (mongodb-extra-attributes.ts), added to the records as they are read: a
 * reindex job writes no document the indexer writes.
 */
export class MongoMetadataIndex implements MetadataIndex {
  private client: MongoClient | undefined;
  private collections: IndexCollections | undefined;
  private extras: MongoExtraAttributes | undefined;
  private readonly maxResults: number;
  private readonly listBatchSize: number;

  constructor(private readonly options: MongoMetadataIndexOptions) {
    this.maxResults = options.maxResults ?? 1000;
    this.listBatchSize = options.listBatchSize ?? 256;
    checkLimit('maxResults', this.maxResults);
    checkLimit('listBatchSize', this.listBatchSize);
  }

  async start(): Promise<void> {
    if (this.client) return;
    const client = new MongoClient(this.options.url, {
      serverSelectionTimeoutMS: this.options.serverSelectionTimeoutMs ?? 10_000,
    });
    await client.connect();
    try {
      const db = client.db(this.options.database);
      await createIndexes(db);
      this.collections = {
        instances: db.collection<CopyDocument>('instances'),
        currentInstances: db.collection<CurrentDocument>('currentInstances'),
        series: db.collection<SeriesDocument>('series'),
        studies: db.collection<StudyDocument>('studies'),
        pendingStudies: db.collection<PendingStudyDocument>('pendingStudies'),
        extraAttributeLists: db.collection<ExtraListDocument>('extraAttributeLists'),
        instanceExtras: db.collection<InstanceExtrasDocument>('instanceExtras'),
        reindexProgress: db.collection<ReindexProgressDocument>('reindexProgress'),
      };
      this.extras = new MongoExtraAttributes(this.collections);
    } catch (error) {
      await client.close();
      throw error;
    }
    this.client = client;
  }

  async upsertInstance(instance: IndexedInstance): Promise<UpsertOutcome> {
    return this.upsertChecked(instance, checkIndexedInstance(instance));
  }

  /**
   * Every copy checked first (an invalid one refuses the batch, writing nothing), then each upserted
   * as upsertInstance does, in order and one after the other: the study's indexer stays its single
   * writer. Not atomic across the batch (no transactions): a failure part-way keeps the copies
   * upserted before it, which is fine as the caller then gets the whole batch again, and upserting
   * a copy again is idempotent ('unchanged') and heals what its first upsert left half-written.
   */
  async upsertInstances(instances: readonly IndexedInstance[]): Promise<UpsertOutcome[]> {
    const checked = checkIndexedInstances(instances);
    const outcomes: UpsertOutcome[] = [];
    for (const { instance, indexedAt } of checked) outcomes.push(await this.upsertChecked(instance, indexedAt));
    return outcomes;
  }

  /** upsertInstance of a copy checkIndexedInstance accepted (`indexedAt` is what it returned). */
  private async upsertChecked(instance: IndexedInstance, indexedAt: string): Promise<UpsertOutcome> {
    const { instances } = this.open();
    const { tenantId, sopInstanceUid, version } = instance;
    let outcome: UpsertOutcome = 'created';
    let copyIndexedAt = indexedAt;
    try {
      await instances.insertOne({
        tenantId,
        studyInstanceUid: instance.studyInstanceUid,
        seriesInstanceUid: instance.seriesInstanceUid,
        sopInstanceUid,
        version,
        sopClassUid: instance.sopClassUid,
        transferSyntaxUid: instance.transferSyntaxUid,
        modality: modalityOf(instance.attributes),
        blob: { ...instance.blob },
        attributes: JSON.stringify(instance.attributes),
        metadata: instance.metadata ? JSON.stringify(instance.metadata) : null,
        indexedAt,
      });
    } catch (error) {
      // E11000 duplicate key: this copy is indexed already (a redelivery).
      if (!isDuplicateKey(error)) throw error;
      outcome = 'unchanged';
      const stored = await instances.findOne({ tenantId, sopInstanceUid, version }, { projection: { indexedAt: 1 } });
      copyIndexedAt = stored?.indexedAt ?? indexedAt;
    }
    const current = await makeCurrent(this.open(), instance, copyIndexedAt);
    if (!current.isCurrent) return outcome;
    const created = outcome === 'created';
    const own: SeriesKey = instance;
    const affected = new Map<string, SeriesKey>([[keyOf(own), own]]);
    if (current.previous) affected.set(keyOf(current.previous), current.previous);
    if (!created) {
      // Healing: where the previous copy was is not known any more; the series of every version.
      const versions = instances.find(
        { tenantId, sopInstanceUid },
        { projection: { studyInstanceUid: 1, seriesInstanceUid: 1 } },
      );
      for await (const copy of versions) affected.set(keyOf(copy), copy);
    }
    const latest = { attributes: instance.attributes, sopInstanceUid, version };
    for (const key of affected.values()) {
      await refreshSeries(this.open(), tenantId, key, created && keyOf(key) === keyOf(own) ? latest : undefined);
    }
    for (const study of new Set([...affected.values()].map((key) => key.studyInstanceUid))) {
      const mine = study === instance.studyInstanceUid;
      await refreshStudy(
        this.open(),
        tenantId,
        study,
        created ? { activityAt: indexedAt, ...(mine ? { latest } : {}) } : {},
      );
    }
    await this.open().extras.storeExtrasOfNewCopy(instance);
    return outcome;
  }

  searchStudies(
    tenantId: string,
    keys: readonly QueryKey[],
    page: SearchPage = {},
    options: SearchOptions = {},
  ): Promise<SearchResult> {
    return this.search(tenantId, 'study', {}, keys, page, options);
  }

  async search(
    tenantId: string,
    level: SearchLevel,
    scope: SearchScope,
    keys: readonly QueryKey[],
    page: SearchPage = {},
    options: SearchOptions = {},
  ): Promise<SearchResult> {
    checkSearchScope(level, scope);
    const { currentInstances, series, studies, extras } = this.open();
    const { attributes } = await extras.currentList(tenantId);
    const recordExtras: RecordExtras | undefined =
      attributes.length === 0
        ? undefined
        : {
            attributes,
            of: (copies) => extras.extrasOfCopies(tenantId, copies),
            latestOf: async (filter) =>
              (await currentInstances
                .find({ tenantId, ...filter }, { projection: { sopInstanceUid: 1, version: 1 } })
                .sort({ indexedAt: -1, sopInstanceUid: -1 })
                .limit(1)
                .next()) ?? undefined,
          };
    // collectPage ends the records (and so their cursors) when the page is full before them.
    const records = searchRecords(
      { currentInstances, series, studies },
      tenantId,
      level,
      scope,
      searchNarrowing(level, keys, options),
      recordExtras,
    );
    return collectPage(records, keys, page, options, this.maxResults);
  }

  async *listInstances(tenantId: string, scope: ListScope): AsyncIterable<StoredInstance> {
    for await (const current of this.listCurrent(tenantId, scope)) yield storedInstanceOf(current);
  }

  async *listMetadata(
    tenantId: string,
    scope: ListScope,
  ): AsyncIterable<{ readonly instance: StoredInstance; readonly metadata: DicomJsonDataset }> {
    const { instances } = this.open();
    for await (const batch of batches(this.listCurrent(tenantId, scope), 100)) {
      const metadata = new Map<string, string | null>();
      const copies = instances.find(
        { tenantId, sopInstanceUid: { $in: batch.map((current) => current.sopInstanceUid) } },
        { projection: { sopInstanceUid: 1, version: 1, metadata: 1 } },
      );
      for await (const copy of copies) metadata.set(`${copy.sopInstanceUid}@${copy.version}`, copy.metadata);
      for (const current of batch) {
        const instance = storedInstanceOf(current);
        const json = metadata.get(`${current.sopInstanceUid}@${current.version}`);
        yield { instance, metadata: json ? (JSON.parse(json) as DicomJsonDataset) : instance.attributes };
      }
    }
  }

  async findQuietStudies(quietSince: string, limit: number): Promise<readonly QuietStudy[]> {
    const since = instantOf('quietSince', quietSince);
    checkLimit('limit', limit);
    const pending = await this.open()
      .pendingStudies.find({ pendingSince: { $lte: since } })
      .sort({ pendingSince: 1, tenantId: 1, studyInstanceUid: 1 })
      .limit(limit)
      .toArray();
    return pending.map((study) => ({
      tenantId: study.tenantId,
      studyInstanceUid: study.studyInstanceUid,
      seriesCount: study.seriesCount,
      instanceCount: study.instanceCount,
      lastActivityAt: study.pendingSince,
    }));
  }

  async markStudyStable(tenantId: string, studyInstanceUid: string, lastActivityAt: string): Promise<boolean> {
    const activity = instantOf('lastActivityAt', lastActivityAt);
    // Compare-and-set: the pending study as found, deleted once; gone if it changed since (the
    // indexer replaced it) or another replica deleted it first.
    const { deletedCount } = await this.open().pendingStudies.deleteOne({
      tenantId,
      studyInstanceUid,
      pendingSince: activity,
    });
    return deletedCount === 1;
  }

  async getExtraAttributes(tenantId: string): Promise<ExtraAttributes> {
    return this.open().extras.extrasOf(tenantId);
  }

  async setExtraAttributes(
    tenantId: string,
    attributes: readonly ExtraAttributeRequest[],
  ): Promise<{ readonly extras: ExtraAttributes; readonly job: ReindexJob }> {
    return this.open().extras.setList(tenantId, attributes);
  }

  async getReindexJob(tenantId: string, jobId: string): Promise<ReindexJob | undefined> {
    return this.open().extras.job(tenantId, jobId);
  }

  async findUnfinishedReindexJobs(limit: number): Promise<readonly ReindexJob[]> {
    checkLimit('limit', limit);
    return this.open().extras.unfinishedJobs(limit);
  }

  async listReindexCopies(tenantId: string, after: string | undefined, limit: number): Promise<readonly ReindexCopy[]> {
    checkLimit('limit', limit);
    const { currentInstances, instances } = this.open();
    const current = await currentInstances
      .find({ tenantId, ...(after !== undefined ? { sopInstanceUid: { $gt: after } } : {}) })
      .sort({ sopInstanceUid: 1 })
      .limit(limit)
      .toArray();
    const metadata = new Map<string, string | null>();
    const copies = instances.find(
      { tenantId, sopInstanceUid: { $in: current.map((copy) => copy.sopInstanceUid) } },
      { projection: { sopInstanceUid: 1, version: 1, metadata: 1 } },
    );
    for await (const copy of copies) metadata.set(`${copy.sopInstanceUid}@${copy.version}`, copy.metadata);
    return current.map((copy) => {
      const json = metadata.get(`${copy.sopInstanceUid}@${copy.version}`);
      return { instance: storedInstanceOf(copy), ...(json ? { metadata: JSON.parse(json) as DicomJsonDataset } : {}) };
    });
  }

  async applyExtraAttributes(tenantId: string, generation: number, copies: readonly ReindexedCopy[]): Promise<void> {
    await this.open().extras.apply(tenantId, generation, copies);
  }

  async recordReindexProgress(tenantId: string, jobId: string, progress: ReindexProgress): Promise<boolean> {
    return this.open().extras.recordProgress(tenantId, jobId, progress);
  }

  async isHealthy(): Promise<boolean> {
    try {
      await this.open().client.db(this.options.database).command({ ping: 1 });
      return true;
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    this.collections = undefined;
    this.extras = undefined;
    await client?.close();
  }

  /** Drops the database (tests). */
  async drop(): Promise<void> {
    await this.open().client.db(this.options.database).dropDatabase();
  }

  /** The current copies in the scope, in listing order, from one cursor read in batches. */
  private async *listCurrent(tenantId: string, scope: ListScope): AsyncGenerator<CurrentDocument> {
    checkListScope(scope);
    const filter: Filter<CurrentDocument> = {
      tenantId,
      studyInstanceUid: scope.studyInstanceUid,
      ...(scope.seriesInstanceUid !== undefined ? { seriesInstanceUid: scope.seriesInstanceUid } : {}),
      ...(scope.sopInstanceUid !== undefined ? { sopInstanceUid: scope.sopInstanceUid } : {}),
    };
    const cursor = this.open()
      .currentInstances.find(filter, { batchSize: this.listBatchSize })
      .sort({ seriesInstanceUid: 1, numberless: 1, instanceNumber: 1, sopInstanceUid: 1 });
    try {
      for await (const current of cursor) yield current;
    } finally {
      await cursor.close();
    }
  }

  private open() {
    if (!this.client || !this.collections || !this.extras) throw new Error('MongoMetadataIndex: start() first');
    return { client: this.client, ...this.collections, extras: this.extras };
  }
}

function storedInstanceOf(current: CurrentDocument): StoredInstance {
  return {
    studyInstanceUid: current.studyInstanceUid,
    seriesInstanceUid: current.seriesInstanceUid,
    sopInstanceUid: current.sopInstanceUid,
    sopClassUid: current.sopClassUid,
    transferSyntaxUid: current.transferSyntaxUid,
    version: current.version,
    blob: { key: current.blob.key, size: current.blob.size, sha256: current.blob.sha256, tier: current.blob.tier },
    attributes: JSON.parse(current.attributes) as DicomJsonDataset,
  };
}
