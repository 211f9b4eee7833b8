import {
  AbortMultipartUploadCommand,
  DeleteBucketCommand,
  DeleteObjectsCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  S3Client,
} from '@aws-sdk/client-s3';
import { BlobStoreError } from '@pacs/blob-store';
import { failingStream, GeneratedBody, MiB, runBlobStoreContract, sha256Hex, streamOf } from '@pacs/blob-store/testing';
import { engineEnv, uniqueName } from '@pacs/testing';
import { S3BlobStore, type S3BlobStoreOptions } from './s3-blob-store.adapter';

const connection = {
  endpoint: engineEnv('PACS_S3_ENDPOINT'),
  region: engineEnv('PACS_S3_REGION'),
  accessKeyId: engineEnv('PACS_S3_ACCESS_KEY_ID'),
  secretAccessKey: engineEnv('PACS_S3_SECRET_ACCESS_KEY'),
  forcePathStyle: engineEnv('PACS_S3_FORCE_PATH_STYLE') === 'true',
};
// Bucket names: lowercase letters, digits and hyphens, at most 63 characters.
const bucket = uniqueName('pacs-test').toLowerCase().slice(0, 63);
const options: S3BlobStoreOptions = { ...connection, bucket };
const admin = new S3Client({
  endpoint: connection.endpoint,
  region: connection.region,
  forcePathStyle: connection.forcePathStyle,
  credentials: { accessKeyId: connection.accessKeyId, secretAccessKey: connection.secretAccessKey },
});

async function pendingUploads(prefix: string): Promise<number> {
  const response = await admin.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: prefix }));
  return response.Uploads?.length ?? 0;
}

beforeAll(async () => {
  const store = new S3BlobStore(options);
  await store.ensureBucket();
  await store.ensureBucket(); // idempotent
  await store.close();
});

afterAll(async () => {
  // Empty the bucket (objects and unfinished uploads), then delete it.
  for (;;) {
    const page = await admin.send(new ListObjectsV2Command({ Bucket: bucket }));
    const keys = (page.Contents ?? []).flatMap((o) => (o.Key ? [{ Key: o.Key }] : []));
    if (keys.length === 0) break;
    await admin.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys } }));
  }
  const uploads = await admin.send(new ListMultipartUploadsCommand({ Bucket: bucket }));
  for (const upload of uploads.Uploads ?? []) {
    await admin.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: upload.Key, UploadId: upload.UploadId }));
  }
  await admin.send(new DeleteBucketCommand({ Bucket: bucket }));
  admin.destroy();
});

runBlobStoreContract('S3BlobStore', () => new S3BlobStore(options), { severalGbBytes: 2 * 1024 * MiB });

describe('S3BlobStore (S3 specifics)', () => {
  let store: S3BlobStore;

  beforeEach(() => {
    store = new S3BlobStore(options);
  });

  afterEach(async () => {
    await store.close();
  });

  it('records the SHA-256 as object metadata on a single PUT', async () => {
    const bytes = Buffer.from('small object');
    await store.put('meta/small', streamOf(bytes));
    expect((await store.head('meta/small'))?.sha256).toBe(sha256Hex(bytes));
  });

  it('records the expected SHA-256 as metadata on a multipart upload', async () => {
    const body = new GeneratedBody(12 * MiB);
    for await (const _ of body); // compute the digest first
    const stored = await store.put('meta/multipart', body, { expectedSha256: body.sha256 });
    expect(stored.sha256).toBe(body.sha256);
    expect((await store.head('meta/multipart'))?.sha256).toBe(body.sha256);
  }, 120_000);

  it('aborts the multipart upload when the body fails after some parts', async () => {
    await expect(store.put('abort/fail', failingStream(20 * MiB, new Error('gone midway')))).rejects.toThrow(
      'gone midway',
    );
    expect(await store.head('abort/fail')).toBeNull();
    expect(await pendingUploads('abort/')).toBe(0);
  }, 120_000);

  it('aborts the multipart upload on a checksum mismatch, keeping the previous version', async () => {
    await store.put('abort/sum', streamOf(Buffer.from('old')));
    const error = await store.put('abort/sum', new GeneratedBody(20 * MiB), { expectedSha256: '0'.repeat(64) }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(BlobStoreError);
    expect((error as BlobStoreError).code).toBe('CHECKSUM_MISMATCH');
    expect((await store.head('abort/sum'))?.size).toBe(3);
    expect(await pendingUploads('abort/')).toBe(0);
  }, 120_000);

  it('lists past one page of results', async () => {
    const keys = Array.from({ length: 1005 }, (_, i) => `page/${String(i).padStart(5, '0')}`);
    for (let i = 0; i < keys.length; i += 50) {
      await Promise.all(keys.slice(i, i + 50).map((k) => store.put(k, streamOf(Buffer.from('x')))));
    }
    const listed: string[] = [];
    for await (const key of store.list('page/')) listed.push(key);
    expect(listed).toEqual(keys);
  }, 120_000);

  it('creates a missing bucket on first use with createBucket', async () => {
    const other = uniqueName('pacs-test-create').toLowerCase().slice(0, 63);
    const creating = new S3BlobStore({ ...connection, bucket: other, createBucket: true });
    try {
      await creating.put('x', streamOf(Buffer.from('x')));
      expect(await creating.isHealthy()).toBe(true);
      await creating.delete('x');
    } finally {
      await creating.close();
      await admin.send(new DeleteBucketCommand({ Bucket: other }));
    }
  });

  it('is unhealthy without its bucket, and fails calls with a non-retriable IO_ERROR', async () => {
    const missing = new S3BlobStore({ ...connection, bucket: uniqueName('pacs-missing').toLowerCase().slice(0, 63) });
    try {
      expect(await missing.isHealthy()).toBe(false);
      await expect(missing.put('x', streamOf(Buffer.from('x')))).rejects.toMatchObject({
        code: 'IO_ERROR',
        retriable: false,
      });
    } finally {
      await missing.close();
    }
  });

  it('is unhealthy when the server is unreachable', async () => {
    const down = new S3BlobStore({ ...options, endpoint: 'http://127.0.0.1:1', connectionTimeoutMs: 1000 });
    try {
      expect(await down.isHealthy()).toBe(false);
    } finally {
      await down.close();
    }
  });
});
