import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import {
  blobNotFound,
  bodySource,
  BlobStoreError,
  isBodyError,
  normalizeSha256,
  rangeHeader,
  Sha256Transform,
  validateKey,
  validatePrefix,
  validateRange,
  type BlobInfo,
  type BlobStore,
  type ByteRange,
  type PutOptions,
  type StoredBlob,
} from '@pacs/blob-store';

/** Options of the S3 blob store. */
export interface S3BlobStoreOptions {
  /** Endpoint of an S3-compatible server (`http://127.0.0.1:18333`); AWS's own when absent. */
  readonly endpoint?: string;
  /** Region, e.g. `us-east-1`. */
  readonly region: string;
  /** Bucket holding the objects. */
  readonly bucket: string;
  /** Static credentials; the SDK's default chain (env, web identity, instance role) when absent. */
  readonly accessKeyId?: string;
  /** Secret of accessKeyId. */
  readonly secretAccessKey?: string;
  /** Path-style URLs (`endpoint/bucket/key`), which most S3-compatible servers need. */
  readonly forcePathStyle?: boolean;
  /** Part size of multipart uploads (default 8 MiB, minimum 5 MiB); smaller bodies go in one PUT. */
  readonly partSizeBytes?: number;
  /** Parts uploaded in parallel (default 4); a put holds about partSize × (queueSize + 1) in memory. */
  readonly queueSize?: number;
  /** Create the bucket on first use when missing (development, tests); production provisions it. */
  readonly createBucket?: boolean;
  /** Bound on establishing a connection, in ms (default 5000). */
  readonly connectionTimeoutMs?: number;
}

const MiB = 1024 * 1024;
const MIN_PART_SIZE = 5 * MiB;
const SHA256_METADATA = 'sha256';

/**
 * Blob store on S3 or an S3-compatible server (the warm and cold tiers of the distributed shape).
 *
 * A put streams the body through a SHA-256 pass-through. A body that ends within one part size is
 * sent in one PutObject, with its digest as metadata (`x-amz-meta-sha256`) and as ChecksumSHA256,
 * which the server verifies where it supports additional checksums. A larger body goes to
 * lib-storage's multipart Upload, which holds at most queueSize parts in memory and aborts the
 * multipart upload when anything fails. Either way the object becomes visible only when the request
 * that completes it succeeds, which S3 makes atomic.
 *
 * expectedSha256: the pass-through compares digests when the body ends, before that completing
 * request is sent (the single PUT waits for the end of the body; the multipart completion waits for
 * the last part, which is cut only at the end), and fails the body on a mismatch: lib-storage then
 * aborts, so a corrupt body is never visible and an overwritten version stays. The trade-off: the
 * parts of a multipart upload have been sent before the mismatch is known, so the bytes travel for
 * nothing, and the multipart object gets `x-amz-meta-sha256` only when expectedSha256 was given
 * (metadata is fixed when the upload starts, before the digest is known; rewriting it afterwards
 * would copy the whole object). The digest is always in the put's result, for the index.
 */
export class S3BlobStore implements BlobStore {
  private readonly client: S3Client;
  private readonly bucket: string;
  private readonly partSize: number;
  private readonly queueSize: number;
  private bucketReady: Promise<void> | undefined;

  constructor(options: S3BlobStoreOptions) {
    if (!options.bucket) throw new Error('S3BlobStore: options.bucket is required');
    if (!options.region) throw new Error('S3BlobStore: options.region is required');
    this.bucket = options.bucket;
    this.partSize = options.partSizeBytes ?? 8 * MiB;
    this.queueSize = options.queueSize ?? 4;
    if (this.partSize < MIN_PART_SIZE) throw new Error(`S3BlobStore: partSizeBytes must be at least ${MIN_PART_SIZE}`);
    if (!Number.isInteger(this.queueSize) || this.queueSize < 1) throw new Error('S3BlobStore: queueSize must be >= 1');
    const config: S3ClientConfig = {
      region: options.region,
      forcePathStyle: options.forcePathStyle ?? false,
      requestHandler: { connectionTimeout: options.connectionTimeoutMs ?? 5000 },
    };
    if (options.endpoint) config.endpoint = options.endpoint;
    if (options.accessKeyId && options.secretAccessKey) {
      config.credentials = { accessKeyId: options.accessKeyId, secretAccessKey: options.secretAccessKey };
    }
    this.client = new S3Client(config);
    this.bucketReady = options.createBucket ? undefined : Promise.resolve();
  }

  async put(key: string, body: Readable | AsyncIterable<Uint8Array>, options?: PutOptions): Promise<StoredBlob> {
    validateKey(key);
    const expected = options?.expectedSha256 === undefined ? undefined : normalizeSha256(options.expectedSha256);
    await this.ready();
    const hasher = new Sha256Transform(expected);
    // The body's errors reach the reader of `hasher`; this promise only must not go unhandled.
    const feeding = pipeline(bodySource(body), hasher).catch(() => undefined);
    const chunks = hasher[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
    try {
      // Read up to one part: a body that ends by then is known whole, digest included.
      const head: Buffer[] = [];
      let headBytes = 0;
      let ended = false;
      while (headBytes <= this.partSize) {
        const next = await chunks.next();
        if (next.done) {
          ended = true;
          break;
        }
        head.push(next.value);
        headBytes += next.value.length;
      }
      if (ended) {
        await this.putSmall(key, Buffer.concat(head, headBytes), hasher.sha256, options?.contentType);
      } else {
        await this.putMultipart(key, head, chunks, expected, options?.contentType);
      }
      await feeding;
      return { key, size: hasher.size, sha256: hasher.sha256 };
    } catch (error) {
      // Stop reading the body: lib-storage leaves its input as it was when it gave up.
      hasher.destroy();
      await feeding;
      throw isBodyError(error) ? error : toBlobStoreError(error, key);
    }
  }

  async get(key: string, range?: ByteRange): Promise<Readable> {
    validateKey(key);
    validateRange(range);
    await this.ready();
    try {
      const response = await this.client.send(
        new GetObjectCommand({ Bucket: this.bucket, Key: key, Range: range ? rangeHeader(range) : undefined }),
      );
      // In Node the SDK's body is an IncomingMessage, a Readable.
      return response.Body as Readable;
    } catch (error) {
      throw toBlobStoreError(error, key);
    }
  }

  async head(key: string): Promise<BlobInfo | null> {
    validateKey(key);
    await this.ready();
    try {
      const response = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      const sha256 = response.Metadata?.[SHA256_METADATA];
      return {
        key,
        size: response.ContentLength ?? 0,
        modifiedAt: response.LastModified ?? new Date(0),
        ...(sha256 ? { sha256 } : {}),
      };
    } catch (error) {
      if (statusOf(error) === 404) return null;
      throw toBlobStoreError(error, key);
    }
  }

  async delete(key: string): Promise<void> {
    validateKey(key);
    await this.ready();
    try {
      // S3 answers 204 whether or not the key existed: idempotent by itself.
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
    } catch (error) {
      // Some servers answer 404 for an absent key; a missing bucket, though, is a misconfiguration.
      if (statusOf(error) === 404 && nameOf(error) !== 'NoSuchBucket') return;
      throw toBlobStoreError(error, key);
    }
  }

  async *list(prefix: string): AsyncIterable<string> {
    validatePrefix(prefix);
    await this.ready();
    let continuationToken: string | undefined;
    do {
      let page;
      try {
        page = await this.client.send(
          new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, ContinuationToken: continuationToken }),
        );
      } catch (error) {
        throw toBlobStoreError(error, prefix);
      }
      // S3 lists in UTF-8 binary order, which for our ASCII keys is the lexical order of the port.
      for (const object of page.Contents ?? []) if (object.Key !== undefined) yield object.Key;
      continuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (continuationToken !== undefined);
  }

  async start(): Promise<void> {
    // With createBucket the bucket is made here; without, it is the operator's and must exist.
    await this.ready();
    if (!(await this.isHealthy()))
      throw new BlobStoreError('IO_ERROR', `S3 bucket ${this.bucket} is not reachable`, true);
  }

  async isHealthy(): Promise<boolean> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }));
      return true;
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    this.client.destroy();
  }

  /** Creates the bucket when it does not exist yet. */
  async ensureBucket(): Promise<void> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }));
      return;
    } catch (error) {
      if (statusOf(error) !== 404) throw toBlobStoreError(error, this.bucket);
    }
    try {
      await this.client.send(new CreateBucketCommand({ Bucket: this.bucket }));
    } catch (error) {
      // Another instance created it in between: that is what we wanted.
      const name = nameOf(error);
      if (name !== 'BucketAlreadyOwnedByYou' && name !== 'BucketAlreadyExists')
        throw toBlobStoreError(error, this.bucket);
    }
  }

  private ready(): Promise<void> {
    this.bucketReady ??= this.ensureBucket().catch((error: unknown) => {
      this.bucketReady = undefined;
      throw error;
    });
    return this.bucketReady;
  }

  private async putSmall(key: string, bytes: Buffer, sha256: string, contentType: string | undefined): Promise<void> {
    await this.client.send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: key,
        Body: bytes,
        ContentLength: bytes.length,
        ContentType: contentType,
        Metadata: { [SHA256_METADATA]: sha256 },
        ChecksumSHA256: Buffer.from(sha256, 'hex').toString('base64'),
      }),
    );
  }

  private async putMultipart(
    key: string,
    head: Buffer[],
    rest: AsyncIterator<Buffer>,
    expectedSha256: string | undefined,
    contentType: string | undefined,
  ): Promise<void> {
    async function* all(): AsyncGenerator<Buffer> {
      yield* head;
      head.length = 0; // let the first part's buffers go once lib-storage has them
      for (let next = await rest.next(); !next.done; next = await rest.next()) yield next.value;
    }
    const body = Readable.from(all(), { objectMode: false });
    const upload = new Upload({
      client: this.client,
      params: {
        Bucket: this.bucket,
        Key: key,
        Body: body,
        ContentType: contentType,
        Metadata: expectedSha256 ? { [SHA256_METADATA]: expectedSha256 } : undefined,
      },
      partSize: this.partSize,
      queueSize: this.queueSize,
      leavePartsOnError: false,
    });
    try {
      await upload.done();
    } catch (error) {
      // lib-storage stops reading without closing its input; close it, or the generator stays suspended.
      body.destroy();
      throw error;
    }
  }
}

function statusOf(error: unknown): number | undefined {
  const metadata = (error as { $metadata?: { httpStatusCode?: number } } | null)?.$metadata;
  return metadata?.httpStatusCode;
}

function nameOf(error: unknown): string | undefined {
  const name = (error as { name?: unknown } | null)?.name;
  return typeof name === 'string' ? name : undefined;
}

function toBlobStoreError(error: unknown, key: string): BlobStoreError {
  if (error instanceof BlobStoreError) return error;
  const status = statusOf(error);
  const name = nameOf(error) ?? 'Error';
  const message = `${name}: ${(error as { message?: unknown } | null)?.message ?? String(error)}`;
  if (status === 404 && (name === 'NoSuchKey' || name === 'NotFound')) return blobNotFound(key, error);
  if (status === 416 || name === 'InvalidRange') {
    return new BlobStoreError('INVALID_RANGE', `Unsatisfiable range on ${key}: ${message}`, false, { cause: error });
  }
  if (name === 'BadDigest' || name === 'XAmzContentSHA256Mismatch' || name === 'InvalidDigest') {
    // The server saw other bytes than we hashed: corrupted in transit, so sending again can help.
    return new BlobStoreError('CHECKSUM_MISMATCH', `Server rejected the checksum of ${key}: ${message}`, true, {
      cause: error,
    });
  }
  if (name === 'EntityTooLarge' || name === 'QuotaExceeded' || status === 507) {
    // Retriable as on the filesystem: quota and space come back when objects move out or age out.
    return new BlobStoreError('OUT_OF_SPACE', `No space for ${key}: ${message}`, true, { cause: error });
  }
  // Throttling, 5xx and network errors pass; other 4xx (credentials, missing bucket) need a human.
  const retriable = status === undefined || status >= 500 || status === 429 || status === 408;
  return new BlobStoreError('IO_ERROR', `S3 error on ${key}: ${message}`, retriable, { cause: error });
}
