import { randomUUID } from 'node:crypto';
import type { DicomJsonDataset } from '@pacs/dicom';
import {
  checkExtraAttributes,
  checkReindexProgress,
  extraAttributesOf,
  extrasOfNewCopy,
  NO_EXTRA_LIST,
  noExtraListGeneration,
  noReindexJob,
  pickExtraAttributes,
  reindexJobOf,
  type ExtraAttribute,
  type ExtraAttributeRequest,
  type ExtraAttributes,
  type IndexedInstance,
  type ReindexJob,
  type ReindexProgress,
  type ReindexedCopy,
  type StoredExtraList,
} from '@pacs/metadata-index';
import type { ExtraListDocument, IndexCollections } from './mongodb-documents';
import { isDuplicateKey } from './mongodb-derived-documents';

// The tenants' extra attributes on a MongoDB wire-compatible server. Every document here is
// inserted once and never updated (a list generation, a copy's extras of a generation, a job's
// batch), so that concurrent writers (indexers, reindex runners, FerretDB's updates that read and
// write back apart) cannot lose a write: the unique indexes let one insert of each win.

/** A copy by SOP Instance UID and version. */
export interface CopyKey {
  readonly sopInstanceUid: string;
  readonly version: number;
}

/** Tries at a new generation when another writer took the one read as next. */
const SET_ATTEMPTS = 5;

export const copyKeyOf = (copy: CopyKey) => `${copy.sopInstanceUid}@${copy.version}`;

/** The extra attributes' reads and writes over the index's collections. */
export class MongoExtraAttributes {
  constructor(private readonly collections: IndexCollections) {}

  async currentList(tenantId: string): Promise<StoredExtraList> {
    const list = await this.collections.extraAttributeLists.find({ tenantId }).sort({ generation: -1 }).limit(1).next();
    return list ? storedListOf(list) : NO_EXTRA_LIST;
  }

  async extrasOf(tenantId: string): Promise<ExtraAttributes> {
    return extraAttributesOf(await this.currentList(tenantId));
  }

  /**
   * The extras of a copy just written, picked with the tenant's list as read now: after the copy
   * became current, so that a list set meanwhile is either read here or finds the copy for its job.
   */
  async storeExtrasOfNewCopy(instance: IndexedInstance): Promise<void> {
    const list = await this.currentList(instance.tenantId);
    const extras = extrasOfNewCopy(instance, list);
    if (extras === undefined) return;
    await this.insertExtras(instance.tenantId, [{ ...instance, extras }], list.generation);
  }

  /** The extras of each copy, of its highest generation. */
  async extrasOfCopies(tenantId: string, copies: readonly CopyKey[]): Promise<Map<string, DicomJsonDataset>> {
    const found = new Map<string, { generation: number; extras: string }>();
    if (copies.length === 0) return new Map();
    const wanted = new Set(copies.map(copyKeyOf));
    const documents = this.collections.instanceExtras.find(
      { tenantId, sopInstanceUid: { $in: [...new Set(copies.map((copy) => copy.sopInstanceUid))] } },
      { projection: { sopInstanceUid: 1, version: 1, generation: 1, extras: 1 } },
    );
    for await (const document of documents) {
      const key = copyKeyOf(document);
      if (!wanted.has(key)) continue;
      const previous = found.get(key);
      if (!previous || previous.generation < document.generation) found.set(key, document);
    }
    return new Map([...found].map(([key, { extras }]) => [key, JSON.parse(extras) as DicomJsonDataset]));
  }

  /** A new generation of the tenant's list, which is its job too: one insert. */
  async setList(
    tenantId: string,
    requested: readonly ExtraAttributeRequest[],
  ): Promise<{ extras: ExtraAttributes; job: ReindexJob }> {
    const attributes = checkExtraAttributes(requested);
    const total = await this.collections.currentInstances.countDocuments({ tenantId });
    for (let attempt = 1; ; attempt++) {
      const document: ExtraListDocument = {
        tenantId,
        generation: (await this.currentList(tenantId)).generation + 1,
        attributes: JSON.stringify(attributes),
        jobId: randomUUID(),
        createdAt: new Date().toISOString(),
        total,
      };
      try {
        await this.collections.extraAttributeLists.insertOne(document);
      } catch (error) {
        // Another writer set a list of this generation first: the next one is ours.
        if (isDuplicateKey(error) && attempt < SET_ATTEMPTS) continue;
        throw error;
      }
      return {
        extras: { generation: document.generation, attributes, reindexJobId: document.jobId },
        job: reindexJobOf(createdOf(document), undefined, document.generation),
      };
    }
  }

  async apply(tenantId: string, generation: number, copies: readonly ReindexedCopy[]): Promise<void> {
    const list = await this.collections.extraAttributeLists.findOne({ tenantId, generation });
    if (!list) throw noExtraListGeneration(tenantId, generation);
    const attributes = storedListOf(list).attributes;
    await this.insertExtras(
      tenantId,
      copies.map((copy) => ({ ...copy, extras: pickExtraAttributes(copy.metadata, attributes) })),
      generation,
    );
  }

  async job(tenantId: string, jobId: string): Promise<ReindexJob | undefined> {
    const list = await this.collections.extraAttributeLists.findOne({ jobId });
    if (!list || list.tenantId !== tenantId) return undefined;
    return this.jobOf(list, (await this.currentList(tenantId)).generation);
  }

  /** The latest list of each tenant whose job has no finished batch, oldest first. */
  async unfinishedJobs(limit: number): Promise<ReindexJob[]> {
    // The lists are few (one per replacement of a tenant's list): read whole, in creation order
    // (the ids a client makes increase within it).
    const lists = await this.collections.extraAttributeLists.find({}).sort({ createdAt: 1, _id: 1 }).toArray();
    const current = new Map<string, number>();
    for (const list of lists) current.set(list.tenantId, Math.max(current.get(list.tenantId) ?? 0, list.generation));
    const jobs: ReindexJob[] = [];
    for (const list of lists) {
      if (jobs.length === limit) break;
      if (list.generation !== current.get(list.tenantId)) continue;
      const job = await this.jobOf(list, list.generation);
      if (job.state !== 'done') jobs.push(job);
    }
    return jobs;
  }

  /** Inserts a batch's progress unless inserted already; a finished one drops older extras. */
  async recordProgress(tenantId: string, jobId: string, progress: ReindexProgress): Promise<boolean> {
    checkReindexProgress(progress);
    const list = await this.collections.extraAttributeLists.findOne({ jobId });
    if (!list || list.tenantId !== tenantId) throw noReindexJob(tenantId, jobId);
    try {
      await this.collections.reindexProgress.insertOne({
        jobId,
        batch: progress.batch,
        cursor: progress.cursor ?? null,
        done: progress.done,
        total: progress.total,
        errorCount: progress.errorCount,
        errors: [...progress.errors],
        finished: progress.finished,
        recordedAt: new Date().toISOString(),
      });
    } catch (error) {
      if (isDuplicateKey(error)) return false;
      throw error;
    }
    // Every current copy has extras of this generation now (or a later one): the older are unused.
    if (progress.finished) {
      await this.collections.instanceExtras.deleteMany({ tenantId, generation: { $lt: list.generation } });
    }
    return true;
  }

  private async insertExtras(
    tenantId: string,
    copies: readonly (CopyKey & { readonly extras: DicomJsonDataset })[],
    generation: number,
  ): Promise<void> {
    if (copies.length === 0) return;
    try {
      await this.collections.instanceExtras.insertMany(
        copies.map((copy) => ({
          tenantId,
          sopInstanceUid: copy.sopInstanceUid,
          version: copy.version,
          generation,
          extras: JSON.stringify(copy.extras),
        })),
        // Unordered: a copy done before (a duplicate) does not stop the others.
        { ordered: false },
      );
    } catch (error) {
      if (!isDuplicateKeysOnly(error)) throw error;
    }
  }

  private async jobOf(list: ExtraListDocument, currentGeneration: number): Promise<ReindexJob> {
    const last = await this.collections.reindexProgress.find({ jobId: list.jobId }).sort({ batch: -1 }).limit(1).next();
    return reindexJobOf(
      createdOf(list),
      last
        ? {
            batch: last.batch,
            ...(last.cursor !== null ? { cursor: last.cursor } : {}),
            done: last.done,
            total: last.total,
            errorCount: last.errorCount,
            errors: last.errors,
            finished: last.finished,
            recordedAt: last.recordedAt,
          }
        : undefined,
      currentGeneration,
    );
  }
}

function storedListOf(list: ExtraListDocument): StoredExtraList {
  return {
    generation: list.generation,
    attributes: JSON.parse(list.attributes) as ExtraAttribute[],
    jobId: list.jobId,
  };
}

function createdOf(list: ExtraListDocument) {
  return {
    id: list.jobId,
    tenantId: list.tenantId,
    generation: list.generation,
    createdAt: list.createdAt,
    total: list.total,
  };
}

/** A bulk write whose every failure is a duplicate key (copies done before). */
function isDuplicateKeysOnly(error: unknown): boolean {
  const writeErrors = (error as { writeErrors?: unknown } | null)?.writeErrors;
  if (writeErrors === undefined) return isDuplicateKey(error);
  const list = Array.isArray(writeErrors) ? writeErrors : [writeErrors];
  return list.length > 0 && list.every((one) => (one as { code?: number }).code === 11000);
}
