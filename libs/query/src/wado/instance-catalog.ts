import type { Readable } from 'node:stream';
import type { BlobReadHandle, BlobStore } from '@pacs/blob-store';
import type { MetadataIndex, StoredInstance } from '@pacs/metadata-index';
import { formatTag, tagOf, type DicomJsonDataset } from '@pacs/dicom';
import { describeTarget, type WadoTarget } from './wado-target';
import { WadoProblem } from './wado-problem';

/** What retrieval keeps of a stored copy: enough to find, negotiate and send it, and to audit it. */
export interface InstanceRef {
  readonly studyInstanceUid: string;
  readonly seriesInstanceUid: string;
  readonly sopInstanceUid: string;
  readonly sopClassUid: string;
  readonly transferSyntaxUid: string;
  readonly version: number;
  readonly blob: { readonly key: string; readonly size: number; readonly sha256: string };
  /** Patient ID and the Alphabetic group of Patient Name, for the audit trail. */
  readonly patientId?: string;
  readonly patientName?: string;
}

/** Called with each instance whose stored bytes or metadata a request reads (the audit trail). */
export type InstanceAccessListener = (ref: InstanceRef) => void;

const PATIENT_ID = formatTag(tagOf('PatientID'));
const PATIENT_NAME = formatTag(tagOf('PatientName'));

function patientOf(attributes: DicomJsonDataset): { patientId?: string; patientName?: string } {
  const id = attributes[PATIENT_ID]?.Value?.[0];
  const name = attributes[PATIENT_NAME]?.Value?.[0];
  const alphabetic =
    typeof name === 'object' && name !== null ? (name as { Alphabetic?: unknown }).Alphabetic : undefined;
  return {
    ...(typeof id === 'string' && id !== '' ? { patientId: id } : {}),
    ...(typeof alphabetic === 'string' && alphabetic !== '' ? { patientName: alphabetic } : {}),
  };
}

function toRef(instance: StoredInstance): InstanceRef {
  const { key, size, sha256 } = instance.blob;
  return {
    studyInstanceUid: instance.studyInstanceUid,
    seriesInstanceUid: instance.seriesInstanceUid,
    sopInstanceUid: instance.sopInstanceUid,
    sopClassUid: instance.sopClassUid,
    transferSyntaxUid: instance.transferSyntaxUid,
    version: instance.version,
    blob: { key, size, sha256 },
    ...patientOf(instance.attributes),
  };
}

/**
 * The stored copies a WADO request reads, found through the metadata index (tenant-scoped: another
 * tenant's study is not found) and read from the blob store. A catalog made `observed` tells its
 * listener of each instance whose bytes or metadata it hands out.
 */
export class InstanceCatalog {
  constructor(
    private readonly index: MetadataIndex | null,
    private readonly blobs: BlobStore,
    private readonly onAccess?: InstanceAccessListener,
  ) {}

  /** The same catalog, telling `listener` of each instance read (one per request: the audit trail). */
  observed(listener: InstanceAccessListener): InstanceCatalog {
    return new InstanceCatalog(this.index, this.blobs, listener);
  }

  private metadataIndex(): MetadataIndex {
    if (!this.index) throw new Error('WADO needs the metadata index (runApp metadataIndex: true)');
    return this.index;
  }

  private scope(target: WadoTarget) {
    return {
      studyInstanceUid: target.studyInstanceUid,
      ...(target.seriesInstanceUid !== undefined ? { seriesInstanceUid: target.seriesInstanceUid } : {}),
      ...(target.sopInstanceUid !== undefined ? { sopInstanceUid: target.sopInstanceUid } : {}),
    };
  }

  /** The current copy of every instance of the target, in the index's order (series, instance number). */
  async *list(target: WadoTarget): AsyncIterable<InstanceRef> {
    for await (const instance of this.metadataIndex().listInstances(target.tenantId, this.scope(target))) {
      yield toRef(instance);
    }
  }

  /** The target's instances, small records only; a 404 naming the target when there is none. */
  async collect(target: WadoTarget): Promise<InstanceRef[]> {
    const refs: InstanceRef[] = [];
    for await (const ref of this.list(target)) refs.push(ref);
    if (refs.length === 0) throw new WadoProblem(404, `no ${describeTarget(target)}`);
    return refs;
  }

  /** The one instance an Instance resource names; a 404 when it is not there. */
  async one(target: WadoTarget): Promise<InstanceRef> {
    const [first] = await this.collect(target);
    return first!;
  }

  /** The metadata of each instance in scope, streamed. */
  async *metadata(
    target: WadoTarget,
  ): AsyncIterable<{ readonly instance: StoredInstance; readonly metadata: DicomJsonDataset }> {
    for await (const entry of this.metadataIndex().listMetadata(target.tenantId, this.scope(target))) {
      this.onAccess?.(toRef(entry.instance));
      yield entry;
    }
  }

  /** The stored bytes as a stream (the blob store's back-pressure applies). */
  open(ref: InstanceRef): Promise<Readable> {
    this.onAccess?.(ref);
    return this.blobs.get(ref.blob.key);
  }

  /**
   * The stored bytes to send as they are: a handle read at offsets where the blob store offers one
   * (a multipart answer reads it into buffers it reuses: MultipartSender), else a stream.
   */
  openForSending(ref: InstanceRef): Promise<BlobReadHandle | Readable> {
    this.onAccess?.(ref);
    return this.blobs.open ? this.blobs.open(ref.blob.key) : this.blobs.get(ref.blob.key);
  }

  /** The stored Part 10 bytes in memory: one instance, for frames, transcoding and rendering. */
  async read(ref: InstanceRef): Promise<Buffer> {
    this.onAccess?.(ref);
    const chunks: Buffer[] = [];
    for await (const chunk of await this.blobs.get(ref.blob.key)) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  }
}
