import { MongoClient, MongoError, MongoServerError, type Filter } from 'mongodb';
import {
  AuditChainConflictError,
  auditSearchKeysOf,
  AuditStoreUnavailableError,
  checkAuditEventIds,
  checkAuditId,
  checkAuditInteger,
  checkAuditLimit,
  checkAuditPage,
  checkAuditQuery,
  checkAuditRecords,
  invalidAuditArgument,
  type AuditPage,
  type AuditQuery,
  type AuditRecord,
  type AuditStore,
  type ChainHead,
} from '@pacs/audit-store';
import {
  auditCollections,
  RECORD_PROJECTION,
  recordDocument,
  recordOf,
  type AuditCollections,
  type AuditRecordDocument,
  type StoredRecord,
} from './mongodb-audit-documents';

export interface MongoAuditStoreOptions {
  /** `mongodb://host:port/`; the database is `database`. */
  readonly url: string;
  readonly database: string;
  /** Prefix of the collections' names (default `audit_`): unique per test, or per deployment. */
  readonly collectionPrefix?: string;
  readonly serverSelectionTimeoutMs?: number;
}

/** Ids per `$in`. */
const IN_CHUNK = 500;

/**
 * The distributed audit store, on a MongoDB wire-compatible server (collections in
 * mongodb-audit-documents.ts). It uses only what FerretDB v1 (the engine of the tests) does
 * atomically: it has no multi-document transactions, and an update is a read and a write back, so
 * whatever must have one winner is an insert under a unique index, whose duplicate key error
 * (11000) tells the losers. An append reads the head, checks the first record is its next, then
 * inserts the records in order (an ordered insertMany stops at the first failure): of two writers
 * of seq n only one inserts it, and a writer that lost seq n inserts nothing after it, so the chain
 * never has a gap. FerretDB's duplicate key error does not say which index refused the document,
 * so the reason is found by reading whether the record's eventId is in the chain. Records are
 * never updated nor deleted; the export cursors are insert-only too.
 */
export class MongoAuditStore implements AuditStore {
  private client: MongoClient | undefined;
  private collections: AuditCollections | undefined;
  private readonly prefix: string;

  constructor(private readonly options: MongoAuditStoreOptions) {
    if (typeof options.url !== 'string' || options.url === '') throw invalidAuditArgument('url', 'must be set');
    checkAuditId('database', options.database);
    this.prefix = options.collectionPrefix ?? 'audit_';
    if (!/^[A-Za-z0-9_.-]*$/.test(this.prefix)) {
      throw invalidAuditArgument('collectionPrefix', `"${this.prefix}" is not a name`);
    }
  }

  async start(): Promise<void> {
    if (this.client) return;
    const client = new MongoClient(this.options.url, {
      serverSelectionTimeoutMS: this.options.serverSelectionTimeoutMs ?? 10_000,
    });
    try {
      await client.connect();
      this.collections = await auditCollections(client.db(this.options.database), this.prefix);
    } catch (error) {
      await client.close().catch(() => undefined);
      throw engineError('start', error);
    }
    this.client = client;
  }

  async isHealthy(): Promise<boolean> {
    try {
      if (!this.client) return false;
      await this.client.db(this.options.database).command({ ping: 1 });
      return true;
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    this.collections = undefined;
    await client?.close();
  }

  async head(tenantId: string): Promise<ChainHead | null> {
    const tenant = checkAuditId('tenantId', tenantId);
    return this.engine('head', async ({ records }) => {
      const last = await this.last(records, tenant);
      return last ? { seq: last.seq, hash: last.hash } : null;
    });
  }

  async existingEventIds(tenantId: string, eventIds: readonly string[]): Promise<Set<string>> {
    const tenant = checkAuditId('tenantId', tenantId);
    const ids = checkAuditEventIds(eventIds);
    return this.engine('existingEventIds', async ({ records }) => {
      const found = new Set<string>();
      for (let i = 0; i < ids.length; i += IN_CHUNK) {
        const matches = records.find(
          { tenantId: tenant, eventId: { $in: ids.slice(i, i + IN_CHUNK) } },
          { projection: { _id: 0, eventId: 1 } },
        );
        for await (const { eventId } of matches) found.add(eventId);
      }
      return found;
    });
  }

  async append(records: readonly AuditRecord[]): Promise<void> {
    const checked = checkAuditRecords(records);
    const first = checked[0];
    if (!first) return;
    const documents = checked.map((record) => recordDocument(record, auditSearchKeysOf(record.event)));
    const { tenantId } = first;
    await this.engine('append', async (collections) => {
      const head = (await this.last(collections.records, tenantId))?.seq ?? 0;
      if (first.seq <= head) throw new AuditChainConflictError(tenantId, first.seq, 'seq-taken');
      if (first.seq > head + 1) throw new AuditChainConflictError(tenantId, first.seq, 'not-next');
      if (first.seq === 1) await insertOnce(() => collections.tenants.insertOne({ _id: tenantId }));
      try {
        await collections.records.insertMany(documents, { ordered: true });
      } catch (error) {
        const index = duplicateAt(error);
        if (index === undefined) throw error;
        const refused = checked[index]!;
        const holder = await collections.records.findOne(
          { tenantId, eventId: refused.eventId },
          { projection: { _id: 0, seq: 1 } },
        );
        throw new AuditChainConflictError(tenantId, refused.seq, holder ? 'event-exists' : 'seq-taken');
      }
    });
  }

  async range(tenantId: string, fromSeq: number, limit: number): Promise<AuditRecord[]> {
    const tenant = checkAuditId('tenantId', tenantId);
    const from = checkAuditInteger('fromSeq', fromSeq, 1);
    const count = checkAuditLimit('limit', limit);
    return this.engine('range', ({ records }) => this.page(records, { tenantId: tenant, seq: { $gte: from } }, count));
  }

  async get(tenantId: string, seq: number): Promise<AuditRecord | null> {
    const tenant = checkAuditId('tenantId', tenantId);
    const at = checkAuditInteger('seq', seq, 1);
    return this.engine('get', async ({ records }) => {
      const found = await records.findOne<StoredRecord>(
        { tenantId: tenant, seq: at },
        { projection: RECORD_PROJECTION },
      );
      return found ? recordOf(found) : null;
    });
  }

  async search(tenantId: string, query: AuditQuery, page: AuditPage): Promise<AuditRecord[]> {
    const tenant = checkAuditId('tenantId', tenantId);
    const { patientId, studyUid, user, eventCode, outcome, from, to } = checkAuditQuery(query);
    const { limit, afterSeq } = checkAuditPage(page);
    const filter: Filter<AuditRecordDocument> = {
      tenantId: tenant,
      seq: { $gt: afterSeq },
      // A string against an array field matches any element.
      ...(patientId !== undefined ? { patientIds: patientId } : {}),
      ...(studyUid !== undefined ? { studyUids: studyUid } : {}),
      ...(user !== undefined ? { userIds: user } : {}),
      ...(eventCode !== undefined ? { eventCode } : {}),
      ...(outcome !== undefined ? { outcome } : {}),
      ...(from !== undefined || to !== undefined
        ? { occurredAt: { ...(from !== undefined ? { $gte: from } : {}), ...(to !== undefined ? { $lt: to } : {}) } }
        : {}),
    };
    return this.engine('search', ({ records }) => this.page(records, filter, limit));
  }

  async tenants(): Promise<string[]> {
    return this.engine('tenants', async ({ tenants, records }) => {
      const named = (await tenants.find({}).toArray()).map((tenant) => tenant._id);
      const present: string[] = [];
      for (let i = 0; i < named.length; i += IN_CHUNK) {
        const firsts = records.find(
          { tenantId: { $in: named.slice(i, i + IN_CHUNK) }, seq: 1 },
          { projection: { _id: 0, tenantId: 1 } },
        );
        for await (const { tenantId } of firsts) present.push(tenantId);
      }
      return present.sort();
    });
  }

  async exportCursor(exporter: string, tenantId: string): Promise<number> {
    const name = checkAuditId('exporter', exporter);
    const tenant = checkAuditId('tenantId', tenantId);
    return this.engine('exportCursor', async ({ cursors }) => {
      const highest = await cursors
        .find({ exporter: name, tenantId: tenant }, { projection: { _id: 0, seq: 1 } })
        .sort({ seq: -1 })
        .limit(1)
        .next();
      return highest?.seq ?? 0;
    });
  }

  async setExportCursor(exporter: string, tenantId: string, seq: number): Promise<void> {
    const name = checkAuditId('exporter', exporter);
    const tenant = checkAuditId('tenantId', tenantId);
    const at = checkAuditInteger('seq', seq, 1);
    await this.engine('setExportCursor', async ({ cursors }) => {
      await insertOnce(() => cursors.insertOne({ exporter: name, tenantId: tenant, seq: at }));
      // Never the highest position: the one just inserted is at least as high.
      await cursors.deleteMany({ exporter: name, tenantId: tenant, seq: { $lt: at } });
    });
  }

  /** The tenant's last record (seq and hash). */
  private last(
    records: AuditCollections['records'],
    tenantId: string,
  ): Promise<Pick<AuditRecordDocument, 'seq' | 'hash'> | null> {
    return records
      .find({ tenantId }, { projection: { _id: 0, seq: 1, hash: 1 } })
      .sort({ seq: -1 })
      .limit(1)
      .next();
  }

  /** The records matching `filter`, ascending seq, at most `limit`. */
  private async page(
    records: AuditCollections['records'],
    filter: Filter<AuditRecordDocument>,
    limit: number,
  ): Promise<AuditRecord[]> {
    const found = await records
      .find<StoredRecord>(filter, { projection: RECORD_PROJECTION })
      .sort({ seq: 1 })
      .limit(limit)
      .toArray();
    return found.map(recordOf);
  }

  /** Runs `work`, turning what the driver throws into a retriable AuditStoreUnavailableError. */
  private async engine<T>(operation: string, work: (collections: AuditCollections) => Promise<T>): Promise<T> {
    const collections = this.open();
    try {
      return await work(collections);
    } catch (error) {
      throw engineError(operation, error);
    }
  }

  private open(): AuditCollections {
    if (!this.collections) throw new Error('MongoAuditStore: start() first');
    return this.collections;
  }
}

/** Runs an insert of a document that may be there already (a duplicate key is success). */
async function insertOnce(insert: () => Promise<unknown>): Promise<void> {
  try {
    await insert();
  } catch (error) {
    if (!(error instanceof MongoServerError && error.code === 11000)) throw error;
  }
}

/**
 * The index, in an ordered insertMany, of the document a duplicate key refused; undefined when
 * the insert failed otherwise.
 */
function duplicateAt(error: unknown): number | undefined {
  if (!(error instanceof MongoServerError)) return undefined;
  const writeErrors = (error as { writeErrors?: unknown }).writeErrors;
  if (writeErrors === undefined) return error.code === 11000 ? 0 : undefined;
  const [first] = (Array.isArray(writeErrors) ? writeErrors : [writeErrors]) as { code?: number; index?: number }[];
  return first?.code === 11000 && typeof first.index === 'number' ? first.index : undefined;
}

/**
 * What the driver threw (no server, a lost connection, a server error) as a retriable
 * AuditStoreUnavailableError; a conflict, or a bug, as it is.
 */
function engineError(operation: string, error: unknown): unknown {
  if (!(error instanceof MongoError)) return error;
  return new AuditStoreUnavailableError(`audit store: ${operation} failed: ${error.message}`, { cause: error });
}
