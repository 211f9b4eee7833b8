import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import type { BlobStore } from '@pacs/blob-store';
import { FsBlobStore } from '@pacs/blob-store-fs';
import type { DicomJsonDataset } from '@pacs/dicom';
import type { MetadataIndex } from '@pacs/metadata-index';
import { indexedInstance } from '@pacs/metadata-index/testing';
import { SqliteMetadataIndex } from '@pacs/metadata-index-sqlite';
import { parseMultipartRelated, readMultipart } from '@pacs/multipart';
import type { Logger } from '@pacs/observability';
import { InstanceCatalog } from './instance-catalog';
import { RetrieveInstancesUseCase } from './retrieve-instances.use-case';
import { RetrieveMetadataUseCase } from './retrieve-metadata.use-case';
import { MultipartBody } from './wado-response';
import type { WadoTarget } from './wado-target';

const logger = { warn: () => undefined } as unknown as Logger;
const STUDY = '1.2.826.0.1.3680043.10.1';
const SERIES = `${STUDY}.1`;

/** Reads the first chunk a body offers, without ending it. */
async function firstChunk(body: Readable): Promise<Buffer> {
  for (;;) {
    const chunk = body.read() as Buffer | null;
    if (chunk !== null) return chunk;
    await once(body, 'readable');
  }
}

async function rest(body: Readable, first: Buffer): Promise<Buffer> {
  const chunks = [first];
  for await (const chunk of body) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

// On the embedded adapters: the answers are produced as the client reads them, so that neither the
// metadata of a large study nor its instances are held in memory.
describe('WADO-RS streaming', () => {
  let dir: string;
  let index: SqliteMetadataIndex;
  let blobs: FsBlobStore;
  const target: WadoTarget = { tenantId: 'radiology', baseUrl: 'http://pacs/dicomweb', studyInstanceUid: STUDY };

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pacs-wado-stream-'));
    index = new SqliteMetadataIndex({ file: join(dir, 'index.sqlite') });
    blobs = new FsBlobStore({ root: join(dir, 'blobs') });
    await Promise.all([index.start(), blobs.start()]);
  });
  afterEach(async () => {
    await Promise.all([index.close(), blobs.close()]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes the metadata of a 2,000-instance study as it lists it', async () => {
    const count = 2000;
    for (let n = 1; n <= count; n++) {
      const sop = `${SERIES}.${n}`;
      const metadata: DicomJsonDataset = {
        '00080018': { vr: 'UI', Value: [sop] },
        '00200013': { vr: 'IS', Value: [n] },
        '00081030': { vr: 'LO', Value: ['x'.repeat(2000)] },
        '7FE00010': { vr: 'OW', BulkDataURI: 'bulkdata/7FE00010' },
      };
      await index.upsertInstance(indexedInstance({ study: STUDY, series: SERIES, sop, instanceNumber: n, metadata }));
    }
    let listed = 0;
    const counting: MetadataIndex = Object.assign(Object.create(index) as MetadataIndex, {
      listMetadata: async function* (...args: Parameters<MetadataIndex['listMetadata']>) {
        for await (const item of index.listMetadata(...args)) {
          listed += 1;
          yield item;
        }
      },
    });
    const answer = await new RetrieveMetadataUseCase(new InstanceCatalog(counting, blobs), logger).execute(
      target,
      'application/dicom+json',
      undefined,
    );
    const body = answer.body as Readable;
    const first = await firstChunk(body);
    expect(first.toString().startsWith('[{')).toBe(true);
    // Only what fills the stream's buffer (16 KiB) has been read from the index.
    expect(listed).toBeLessThan(20);
    const datasets = JSON.parse((await rest(body, first)).toString()) as DicomJsonDataset[];
    expect(datasets).toHaveLength(count);
    expect(listed).toBe(count);
    expect(datasets[count - 1]!['7FE00010']!.BulkDataURI).toBe(
      `http://pacs/dicomweb/studies/${STUDY}/series/${SERIES}/instances/${SERIES}.${count}/bulkdata/7FE00010`,
    );
  }, 60_000);

  it('reads the stored copies only a few buffers ahead of a slow client (back-pressure)', async () => {
    const copies: Buffer[] = [];
    for (let n = 1; n <= 24; n++) {
      const sop = `${SERIES}.${n}`;
      const bytes = randomBytes(512 * 1024);
      copies.push(bytes);
      const stored = await blobs.put(`radiology/${sop}.dcm`, Readable.from([bytes]));
      const instance = indexedInstance({ study: STUDY, series: SERIES, sop, instanceNumber: n });
      await index.upsertInstance({ ...instance, blob: { ...stored, tier: 'hot' } });
    }
    let opened = 0;
    const counting: BlobStore = Object.assign(Object.create(blobs) as BlobStore, {
      open: (key: string) => {
        opened += 1;
        return blobs.open(key);
      },
    });
    const answer = await new RetrieveInstancesUseCase(new InstanceCatalog(index, counting), logger).execute(
      target,
      'multipart/related; type="application/dicom"; transfer-syntax=*',
    );
    expect(answer.status).toBe(200);
    expect(answer.body).toBeInstanceOf(MultipartBody);
    // A client that takes nothing until told to: its writes stay unfinished, as a full socket's do.
    const client = new SlowClient();
    const sending = (answer.body as MultipartBody).writeTo(client);
    await new Promise((resolve) => setTimeout(resolve, 200));
    // The sender's 4 buffers: the copy being written and 3 read ahead, and the next one opened.
    expect(opened).toBeLessThanOrEqual(5);
    client.flow();
    await sending;
    expect(opened).toBe(24);
    const parts: Buffer[] = [];
    const contentType = parseMultipartRelated(answer.headers['Content-Type']);
    for await (const part of readMultipart(Readable.from([client.received()]), contentType)) {
      const chunks: Buffer[] = [];
      for await (const chunk of part.body) chunks.push(chunk as Buffer);
      parts.push(Buffer.concat(chunks));
    }
    // Buffer.equals: Jest's deep equality walks 12 MB byte by byte.
    expect(parts.map((part, i) => part.equals(copies[i]!))).toEqual(copies.map(() => true));
  }, 60_000);
});

/**
 * A destination that copies what it is given (the sender reuses its buffers once a write is called
 * back, as a socket allows) and calls back no write until `flow()`.
 */
class SlowClient extends Writable {
  private readonly chunks: Buffer[] = [];
  private held: (() => void)[] | undefined = [];

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: () => void): void {
    this.chunks.push(Buffer.from(chunk));
    if (this.held) this.held.push(callback);
    else callback();
  }

  flow(): void {
    const held = this.held ?? [];
    this.held = undefined;
    for (const callback of held) callback();
  }

  received(): Buffer {
    return Buffer.concat(this.chunks);
  }
}
