import { createHash, randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import { BlobStoreError, type BlobStore, type StoredBlob } from '@pacs/blob-store';
import { acquireLockWithin, type Cache } from '@pacs/cache';
import { InstanceStoredV1, type InstanceStoredEvent } from '@pacs/contracts';
import {
  createIndexAttributeExtractor,
  DicomAttributeError,
  DicomParseError,
  encodePart10Header,
  PIXEL_DATA_TAG,
  readDataset,
  readInstanceIdentity,
  readPart10,
  type IndexAttributeExtractor,
  type InstanceIdentity,
} from '@pacs/dicom';
import type { EventBus } from '@pacs/event-bus';
import type { Tenant } from '../tenants/tenant';
import { readHeaderPrefix } from './header-prefix';
import { EncapsulatedPixelDataTracker } from './encapsulated-pixel-data.tracker';
import { pixelDataExtent } from './pixel-data-extent';
import { instancePrefix, receiptKey } from './instance-key';
import { StoreInstanceError } from './store-instance.errors';

/** Where the instance comes from, as the event and the audit trail record it. */
export type InstanceSource = InstanceStoredEvent['source'];

/** The bytes to store, and what the request says they are. */
export type StoreInstanceBody =
  /** A DIMSE C-STORE data set: no meta group; the PACS writes one before the bytes as received. */
  | {
      readonly kind: 'dataset';
      readonly transferSyntaxUid: string;
      /** AffectedSOPClassUID and AffectedSOPInstanceUID of the C-STORE-RQ (PS3.7 9.3.1.1). */
      readonly sopClassUid: string;
      readonly sopInstanceUid: string;
      readonly stream: Readable | AsyncIterable<Buffer>;
    }
  /** A Part 10 file (a STOW-RS part), stored exactly as received. */
  | { readonly kind: 'part10'; readonly stream: Readable | AsyncIterable<Buffer> };

export interface StoreInstanceCommand {
  readonly tenant: Tenant;
  readonly source: InstanceSource;
  /** Shared by the events of one association or request. */
  readonly correlationId: string;
  /** When given (STOW-RS /studies/{study}), the instance must belong to this study. */
  readonly expectedStudyInstanceUid?: string;
  readonly body: StoreInstanceBody;
}

export interface StoredInstance extends InstanceIdentity {
  /** `stored`: a new instance or a new version; `duplicate`: the same bytes were already stored. */
  readonly outcome: 'stored' | 'duplicate';
  readonly version: number;
  readonly transferSyntaxUid: string;
  /** Patient ID (0010,0020) of the instance, for the audit trail. */
  readonly patientId: string | undefined;
  readonly patientName: string | undefined;
  readonly blob: StoredBlob;
}

export interface StoreInstanceDependencies {
  readonly blobStore: BlobStore;
  readonly eventBus: EventBus;
  readonly cache: Cache;
  readonly extraIndexKeywords?: readonly string[];
  readonly now?: () => Date;
}

/** How long one instance's folder stays locked at most (a crashed holder's lock expires). */
const INSTANCE_LOCK_TTL_MS = 30_000;

/**
 * Stores one instance under the durability rule (ARCHITECTURE.md): the bytes are streamed to the
 * hot tier (durable when `put` resolves), then `instance.stored` is published (durable when
 * `publish` resolves); only then is success answered. Any failure answers a failure status and
 * leaves nothing visible: a written copy is deleted again (a crash in between leaves an orphan
 * for the storage scrub, never an announced instance without bytes).
 *
 * Duplicates (same SOP Instance UID): every copy is first written under its own receipt key; then,
 * under a per-instance lock, the instance folder decides: identical bytes already there → this
 * copy is deleted and success answered without a new event; other bytes → a new version, or 0111
 * under the tenant's `reject` policy.
 */
export class StoreInstanceUseCase {
  private readonly extract: IndexAttributeExtractor;
  private readonly now: () => Date;

  constructor(private readonly deps: StoreInstanceDependencies) {
    this.extract = createIndexAttributeExtractor({ extraKeywords: [...(deps.extraIndexKeywords ?? [])] });
    this.now = deps.now ?? (() => new Date());
  }

  async execute(command: StoreInstanceCommand): Promise<StoredInstance> {
    const { body, tenant } = command;
    const iterator = (body.stream as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
    let header;
    try {
      header = await readHeaderPrefix(iterator, (bytes, final) => {
        const result =
          body.kind === 'dataset'
            ? readDataset(bytes, { transferSyntax: body.transferSyntaxUid, untilTag: PIXEL_DATA_TAG, final })
            : readPart10(bytes, { untilTag: PIXEL_DATA_TAG, final });
        // The Pixel Data element's own header (tag, VR, length) must be in the prefix too.
        if (result.status === 'complete' && !final && pixelDataExtent(result) === 'need-more') {
          return { status: 'need-more-bytes' as const, needed: result.end + 12 };
        }
        return result;
      });
    } catch (error) {
      await iterator.return?.();
      throw toStoreError(error);
    }
    const dataset = header.result.dataset;
    let identity: InstanceIdentity;
    let attributes: InstanceStoredEvent['attributes'];
    try {
      identity = readInstanceIdentity(dataset);
      checkAgainstRequest(identity, command);
      attributes = this.extract(dataset);
    } catch (error) {
      await iterator.return?.();
      throw toStoreError(error);
    }
    const transferSyntaxUid = header.result.transferSyntax.uid;
    const patient = { patientId: dataset.string('PatientID'), patientName: dataset.string('PatientName') };

    const prefix = instancePrefix(tenant.id, identity);
    const key = receiptKey(prefix, this.now());
    const metaHeader =
      body.kind === 'dataset'
        ? encodePart10Header({
            sopClassUid: identity.sopClassUid,
            sopInstanceUid: identity.sopInstanceUid,
            transferSyntaxUid,
          })
        : undefined;
    const extent = pixelDataExtent(header.result);
    const tracker =
      extent !== undefined && extent !== 'need-more' && extent.kind === 'encapsulated'
        ? new EncapsulatedPixelDataTracker(extent.firstItemAt)
        : undefined;
    const received = { bytes: 0, tracker };
    let blob: StoredBlob;
    try {
      blob = await this.deps.blobStore.put(
        key,
        concatStreams(metaHeader, header.chunks, header.ended ? undefined : iterator, received),
        { contentType: 'application/dicom' },
      );
    } catch (error) {
      throw toStoreError(error);
    }
    const cut =
      extent !== undefined &&
      extent !== 'need-more' &&
      extent.kind === 'defined' &&
      received.bytes < extent.minimumLength
        ? `${received.bytes} of at least ${extent.minimumLength} bytes arrived`
        : tracker && !tracker.complete
          ? `its fragments end without a sequence delimiter after ${received.bytes} bytes`
          : undefined;
    if (cut) {
      await this.discard(key);
      throw new StoreInstanceError('CANNOT_UNDERSTAND', `the data set ends inside Pixel Data: ${cut}`);
    }

    const lock = await acquireLockWithin(
      this.deps.cache,
      `ingest:${prefix}`,
      INSTANCE_LOCK_TTL_MS,
      INSTANCE_LOCK_TTL_MS,
    ).catch(async (error: unknown) => {
      await this.discard(key);
      throw new StoreInstanceError('PROCESSING_FAILURE', 'the instance lock could not be taken', { cause: error });
    });
    try {
      const decision = await this.decide(prefix, key, blob, tenant);
      // A duplicate keeps the copy already there, and announces it again: a crash between the
      // write of that copy and its event leaves it stored but unannounced, and this second send
      // is the moment to close the gap (consumers are idempotent: at-least-once).
      if (decision.outcome === 'duplicate') await this.discard(key);
      const announced =
        decision.outcome === 'duplicate' ? decision.existing : { key, size: blob.size, sha256: blob.sha256 };
      await this.deps.eventBus.publish(InstanceStoredV1, {
        eventId: randomUUID(),
        tenantId: tenant.id,
        occurredAt: this.now().toISOString(),
        correlationId: command.correlationId,
        causationId: null,
        ...identity,
        transferSyntaxUid,
        version: decision.version,
        blob: { ...announced, tier: 'hot' },
        source: command.source,
        attributes,
      });
      if (decision.outcome === 'duplicate') {
        return {
          ...identity,
          outcome: 'duplicate',
          version: decision.version,
          transferSyntaxUid,
          ...patient,
          blob: decision.existing,
        };
      }
      return { ...identity, outcome: 'stored', version: decision.version, transferSyntaxUid, ...patient, blob };
    } catch (error) {
      if (!(error instanceof StoreInstanceError && error.code === 'DUPLICATE_REJECTED')) await this.discard(key);
      throw error instanceof StoreInstanceError
        ? error
        : new StoreInstanceError(
            'PROCESSING_FAILURE',
            `the instance could not be announced: ${(error as Error).message}`,
            { cause: error },
          );
    } finally {
      await lock.release().catch(() => undefined);
    }
  }

  /**
   * Under the instance lock: is this copy new, a new version, a duplicate, or refused? Copies of
   * concurrent sends may be in the folder still undecided, so every decider applies one rule over
   * all copies, its own included: of identical copies the earliest receipt is the one kept (receipt
   * keys sort by arrival), and a version is the rank of its content's first arrival.
   */
  private async decide(
    prefix: string,
    key: string,
    blob: StoredBlob,
    tenant: Tenant,
  ): Promise<{ outcome: 'stored'; version: number } | { outcome: 'duplicate'; version: number; existing: StoredBlob }> {
    const keys: string[] = [];
    for await (const k of this.deps.blobStore.list(prefix)) if (k !== key) keys.push(k);
    if (keys.length === 0) return { outcome: 'stored', version: 1 };
    keys.push(key);
    const firstKeyOf = new Map<string, string>();
    for (const k of keys.sort()) {
      const sha256 = k === key ? blob.sha256 : await this.sha256Of(k);
      if (!firstKeyOf.has(sha256)) firstKeyOf.set(sha256, k);
    }
    const kept = firstKeyOf.get(blob.sha256)!;
    const version = [...firstKeyOf.values()].indexOf(kept) + 1;
    if (kept !== key) {
      const info = await this.deps.blobStore.head(kept);
      return {
        outcome: 'duplicate',
        version,
        existing: { key: kept, size: info?.size ?? blob.size, sha256: blob.sha256 },
      };
    }
    if (tenant.duplicatePolicy === 'reject' && version > 1) {
      await this.discard(key);
      throw new StoreInstanceError(
        'DUPLICATE_REJECTED',
        `SOP Instance UID ${prefix.split('/')[3]} is already stored with other content (tenant policy: reject)`,
      );
    }
    return { outcome: 'stored', version };
  }

  private async sha256Of(key: string): Promise<string> {
    const info = await this.deps.blobStore.head(key);
    if (info?.sha256) return info.sha256;
    const hash = createHash('sha256');
    for await (const chunk of await this.deps.blobStore.get(key)) hash.update(chunk as Buffer);
    return hash.digest('hex');
  }

  private async discard(key: string): Promise<void> {
    await this.deps.blobStore.delete(key).catch(() => undefined);
  }
}

function checkAgainstRequest(identity: InstanceIdentity, command: StoreInstanceCommand): void {
  const { body } = command;
  if (body.kind === 'dataset') {
    if (identity.sopInstanceUid !== body.sopInstanceUid) {
      throw new DicomAttributeError(
        'INVALID_VALUE',
        `SOPInstanceUID ${identity.sopInstanceUid} of the data set differs from the request's AffectedSOPInstanceUID ${body.sopInstanceUid}`,
        'SOPInstanceUID',
      );
    }
    if (identity.sopClassUid !== body.sopClassUid) {
      throw new DicomAttributeError(
        'INVALID_VALUE',
        `SOPClassUID ${identity.sopClassUid} of the data set differs from the request's AffectedSOPClassUID ${body.sopClassUid}`,
        'SOPClassUID',
      );
    }
  }
  if (
    command.expectedStudyInstanceUid !== undefined &&
    identity.studyInstanceUid !== command.expectedStudyInstanceUid
  ) {
    throw new DicomAttributeError(
      'INVALID_VALUE',
      `StudyInstanceUID ${identity.studyInstanceUid} differs from the study of the request ${command.expectedStudyInstanceUid}`,
      'StudyInstanceUID',
    );
  }
}

function toStoreError(error: unknown): StoreInstanceError {
  if (error instanceof StoreInstanceError) return error;
  if (error instanceof DicomParseError) {
    return new StoreInstanceError('CANNOT_UNDERSTAND', `the data set cannot be parsed: ${error.message}`, {
      cause: error,
      failureReason: error.code === 'UNSUPPORTED_TRANSFER_SYNTAX' ? 0xc122 : 0xc000,
    });
  }
  if (error instanceof DicomAttributeError)
    return new StoreInstanceError('DATASET_MISMATCH', error.message, { cause: error });
  if (error instanceof BlobStoreError && error.code === 'OUT_OF_SPACE') {
    return new StoreInstanceError('OUT_OF_RESOURCES', `no space left to store the instance: ${error.message}`, {
      cause: error,
    });
  }
  return new StoreInstanceError('PROCESSING_FAILURE', `the instance could not be stored: ${(error as Error).message}`, {
    cause: error,
  });
}

/**
 * The bytes to store: meta header, the chunks already read, then the rest of the stream; counts
 * the received bytes (not the meta header) into `received` and shows them to the fragment tracker.
 */
async function* concatStreams(
  head: Buffer | undefined,
  chunks: readonly Buffer[],
  rest: AsyncIterator<Buffer> | undefined,
  received: { bytes: number; tracker: EncapsulatedPixelDataTracker | undefined },
): AsyncGenerator<Buffer> {
  if (head) yield head;
  const count = (chunk: Buffer) => {
    received.tracker?.feed(chunk, received.bytes);
    received.bytes += chunk.length;
  };
  for (const chunk of chunks) {
    count(chunk);
    yield chunk;
  }
  if (!rest) return;
  for (;;) {
    const next = await rest.next();
    if (next.done) return;
    count(next.value);
    yield next.value;
  }
}
