import { MongoClient, MongoServerError, type Collection, type Filter } from 'mongodb';
import type { DicomJsonDataset } from '@pacs/dicom';
import {
  collectPage,
  modalityOf,
  studyNarrowing,
  studySearchFields,
  studyRecord,
  type IndexedInstance,
  type MetadataIndex,
  type QueryKey,
  type SearchOptions,
  type SearchPage,
  type SearchResult,
  type StudySearchFields,
  type UpsertOutcome,
} from '@pacs/metadata-index';

export interface MongoMetadataIndexOptions {
  /** `mongodb://host:port/`; the database is `database`. */
  readonly url: string;
  readonly database: string;
  /** Results of one search at most, whatever `limit` asks (default 1000). */
  readonly maxResults?: number;
  readonly serverSelectionTimeoutMs?: number;
}

interface InstanceDocument {
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
}

interface StudyDocument extends StudySearchFields {
  tenantId: string;
  record: string;
}

/**
 * The distributed metadata index, on a MongoDB wire-compatible server. It uses only what both
 * MongoDB and FerretDB support (no transactions, no aggregation pipeline): unique indexes, inserts,
 * upserts, `distinct`, filtered and sorted finds. Without transactions, the study record is
 * recomputed from the instances on every upsert, a redelivered one included, so a crash between
 * the two writes heals when the event comes again.
 */
export class MongoMetadataIndex implements MetadataIndex {
  private client: MongoClient | undefined;
  private instances: Collection<InstanceDocument> | undefined;
  private studies: Collection<StudyDocument> | undefined;
  private readonly maxResults: number;

  constructor(private readonly options: MongoMetadataIndexOptions) {
    this.maxResults = options.maxResults ?? 1000;
  }

  async start(): Promise<void> {
    if (this.client) return;
    const client = new MongoClient(this.options.url, {
      serverSelectionTimeoutMS: this.options.serverSelectionTimeoutMs ?? 10_000,
    });
    await client.connect();
    const db = client.db(this.options.database);
    const instances = db.collection<InstanceDocument>('instances');
    const studies = db.collection<StudyDocument>('studies');
    await instances.createIndex({ tenantId: 1, sopInstanceUid: 1, version: 1 }, { unique: true });
    await instances.createIndex({ tenantId: 1, studyInstanceUid: 1, seriesInstanceUid: 1 });
    await studies.createIndex({ tenantId: 1, studyInstanceUid: 1 }, { unique: true });
    await studies.createIndex({ tenantId: 1, patientId: 1 });
    await studies.createIndex({ tenantId: 1, accessionNumber: 1 });
    await studies.createIndex({ tenantId: 1, studyDate: 1 });
    this.client = client;
    this.instances = instances;
    this.studies = studies;
  }

  async upsertInstance(instance: IndexedInstance): Promise<UpsertOutcome> {
    const { instances, studies } = this.open();
    let outcome: UpsertOutcome = 'created';
    try {
      await instances.insertOne({
        tenantId: instance.tenantId,
        studyInstanceUid: instance.studyInstanceUid,
        seriesInstanceUid: instance.seriesInstanceUid,
        sopInstanceUid: instance.sopInstanceUid,
        version: instance.version,
        sopClassUid: instance.sopClassUid,
        transferSyntaxUid: instance.transferSyntaxUid,
        modality: modalityOf(instance.attributes),
        blob: { ...instance.blob },
        attributes: JSON.stringify(instance.attributes),
      });
    } catch (error) {
      // E11000 duplicate key: this copy is indexed already (a redelivery).
      if (!(error instanceof MongoServerError && error.code === 11000)) throw error;
      outcome = 'unchanged';
    }
    const filter = { tenantId: instance.tenantId, studyInstanceUid: instance.studyInstanceUid };
    const [series, sops, modalities, classes] = await Promise.all([
      instances.distinct('seriesInstanceUid', filter),
      instances.distinct('sopInstanceUid', filter),
      instances.distinct('modality', filter),
      instances.distinct('sopClassUid', filter),
    ]);
    const aggregates = {
      seriesCount: series.length,
      instanceCount: sops.length,
      modalities: modalities.filter((m): m is string => typeof m === 'string' && m !== ''),
      sopClassUids: classes as string[],
    };
    if (outcome === 'unchanged') {
      // Heal a record a crash left behind, without letting a redelivered old event replace the
      // attributes a later instance wrote: only the computed counts are brought up to date.
      const existing = await studies.findOne(filter);
      if (existing) {
        const current = JSON.parse(existing.record) as DicomJsonDataset;
        const healed = studyRecord(current, aggregates);
        if (JSON.stringify(healed) !== existing.record) {
          await studies.updateOne(filter, { $set: { record: JSON.stringify(healed) } });
        }
        return outcome;
      }
    }
    const record = studyRecord(instance.attributes, aggregates);
    const { patientId, accessionNumber, studyDate } = studySearchFields(instance.studyInstanceUid, record);
    await studies.updateOne(
      filter,
      { $set: { patientId, accessionNumber, studyDate, record: JSON.stringify(record) } },
      { upsert: true },
    );
    return outcome;
  }

  async searchStudies(
    tenantId: string,
    keys: readonly QueryKey[],
    page: SearchPage = {},
    options: SearchOptions = {},
  ): Promise<SearchResult> {
    const { studies } = this.open();
    const filter: Record<string, unknown> = { tenantId };
    // The document fields are named as the searched study fields.
    for (const condition of studyNarrowing(keys)) {
      filter[condition.field] =
        condition.kind === 'equals'
          ? condition.value
          : condition.kind === 'in'
            ? { $in: [...condition.values] }
            : {
                ...(condition.from !== undefined ? { $gte: condition.from } : {}),
                ...(condition.to !== undefined ? { $lte: condition.to } : {}),
              };
    }
    const cursor = studies
      .find(filter as Filter<StudyDocument>, { projection: { record: 1, _id: 0 } })
      .sort({ studyInstanceUid: 1 });
    const records = (async function* () {
      for await (const document of cursor) yield JSON.parse(document.record) as DicomJsonDataset;
    })();
    try {
      return await collectPage(records, keys, page, options, this.maxResults);
    } finally {
      await cursor.close();
    }
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
    this.instances = undefined;
    this.studies = undefined;
    await client?.close();
  }

  /** Drops the database (tests). */
  async drop(): Promise<void> {
    await this.open().client.db(this.options.database).dropDatabase();
  }

  private open() {
    if (!this.client || !this.instances || !this.studies) throw new Error('MongoMetadataIndex: start() first');
    return { client: this.client, instances: this.instances, studies: this.studies };
  }
}
