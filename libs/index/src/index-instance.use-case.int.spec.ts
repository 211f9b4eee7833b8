import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { BlobStoreError } from '@pacs/blob-store';
import { FsBlobStore } from '@pacs/blob-store-fs';
import {
  InstanceIndexedV1,
  InstanceStoredV1,
  type InstanceIndexedEvent,
  type InstanceStoredEvent,
} from '@pacs/contracts';
import {
  extractIndexAttributes,
  formatTag,
  readPart10,
  tagOf,
  type DicomDataset,
  type DicomJsonDataset,
} from '@pacs/dicom';
import { ctInstanceFile } from '@pacs/dicom/testing';
import { SqliteEventBus } from '@pacs/event-bus-sqlite';
import { waitFor } from '@pacs/event-bus/testing';
import { indexedInstance } from '@pacs/metadata-index/testing';
import { SqliteMetadataIndex } from '@pacs/metadata-index-sqlite';
import { IndexInstanceUseCase } from './index-instance.use-case';
import { InstanceMetadataReader } from './metadata/instance-metadata.reader';

const key = (keyword: string) => formatTag(tagOf(keyword));

function readComplete(bytes: Buffer): DicomDataset {
  const read = readPart10(bytes);
  if (read.status !== 'complete') throw new Error('incomplete test file');
  return read.dataset;
}

describe('IndexInstanceUseCase', () => {
  let dir: string;
  let index: SqliteMetadataIndex;
  let bus: SqliteEventBus;
  let blobs: FsBlobStore;
  let warnings: { context: Record<string, unknown>; message: string }[];
  let useCase: IndexInstanceUseCase;
  const now = new Date('2026-03-15T10:00:00.000Z');

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pacs-indexer-'));
    index = new SqliteMetadataIndex({ file: join(dir, 'index.sqlite') });
    bus = new SqliteEventBus({ file: join(dir, 'events.sqlite'), pollIntervalMs: 50 });
    blobs = new FsBlobStore({ root: join(dir, 'blobs') });
    await Promise.all([index.start(), bus.start([InstanceStoredV1, InstanceIndexedV1]), blobs.start()]);
    warnings = [];
    useCase = new IndexInstanceUseCase(index, bus, {
      metadata: new InstanceMetadataReader(blobs),
      logger: { warn: (context, message) => void warnings.push({ context, message }) },
      now: () => now,
    });
  });
  afterEach(async () => {
    await Promise.all([bus.close(), index.close(), blobs.close()]);
    rmSync(dir, { recursive: true, force: true });
  });

  /** Stores a copy in the blob store and returns the event the gateway would publish for it. */
  async function store(sop: string, file?: Buffer): Promise<InstanceStoredEvent> {
    const copy = indexedInstance({ study: '1.2.3', series: '1.2.3.1', sop, patientId: 'P9' });
    const bytes =
      file ??
      ctInstanceFile({
        studyInstanceUid: '1.2.3',
        seriesInstanceUid: '1.2.3.1',
        sopInstanceUid: sop,
        patientId: 'P9',
        rows: 16,
        columns: 16,
      });
    const blob = await blobs.put(`radiology/${sop}.dcm`, Readable.from([bytes]));
    return {
      eventId: `00000000-0000-4000-8000-${sop.replaceAll('.', '').padStart(12, '0')}`,
      tenantId: copy.tenantId,
      occurredAt: new Date(0).toISOString(),
      correlationId: 'c1',
      causationId: null,
      studyInstanceUid: copy.studyInstanceUid,
      seriesInstanceUid: copy.seriesInstanceUid,
      sopInstanceUid: copy.sopInstanceUid,
      sopClassUid: copy.sopClassUid,
      transferSyntaxUid: copy.transferSyntaxUid,
      version: 1,
      blob: { key: blob.key, size: blob.size, sha256: blob.sha256, tier: 'hot' },
      source: { protocol: 'STOW-RS' },
      attributes: file === undefined ? extractIndexAttributes(readComplete(bytes)) : copy.attributes,
    };
  }

  async function metadataOf(sop: string): Promise<DicomJsonDataset | undefined> {
    for await (const { instance, metadata } of index.listMetadata('radiology', { studyInstanceUid: '1.2.3' })) {
      if (instance.sopInstanceUid === sop) return metadata;
    }
    return undefined;
  }

  it('indexes each event once and announces instance.indexed, caused by the stored event, every time', async () => {
    const indexed: InstanceIndexedEvent[] = [];
    await bus.subscribe(InstanceIndexedV1, async ({ value }) => void indexed.push(value), { group: 'test' });
    const first = await store('1.2.3.1.1');
    expect(await useCase.execute(first)).toBe('created');
    expect(await useCase.execute(await store('1.2.3.1.2'))).toBe('created');
    expect(await useCase.execute(first)).toBe('unchanged');
    await waitFor(() => indexed.length === 3, 5000, 'three instance.indexed events');
    expect(indexed[0]).toMatchObject({
      tenantId: 'radiology',
      sopInstanceUid: '1.2.3.1.1',
      causationId: first.eventId,
      correlationId: 'c1',
      patientId: 'P9',
      modality: 'CT',
      source: { protocol: 'STOW-RS' },
    });
    const { results } = await index.searchStudies('radiology', []);
    expect(results).toHaveLength(1);
    expect(results[0]!['00201208']).toEqual({ vr: 'IS', Value: [2] });
    expect(warnings).toEqual([]);
  });

  it('records the whole data set read from the stored copy as its metadata, and when it was indexed', async () => {
    await useCase.execute(await store('1.2.3.1.1'));
    const metadata = await metadataOf('1.2.3.1.1');
    expect(metadata?.[key('ConvolutionKernel')]).toEqual({ vr: 'SH', Value: ['STANDARD'] });
    expect(metadata?.['7FE00010']).toEqual({ vr: 'OW', BulkDataURI: 'bulkdata/7FE00010' });
    expect(await index.findQuietStudies(now.toISOString(), 10)).toEqual([
      expect.objectContaining({ tenantId: 'radiology', studyInstanceUid: '1.2.3', lastActivityAt: now.toISOString() }),
    ]);
  });

  it('indexes a copy it cannot read without metadata, queryable by its index attributes, and warns', async () => {
    const event = await store('1.2.3.1.3', Buffer.from('not DICOM at all: a damaged copy'));
    expect(await useCase.execute(event)).toBe('created');
    const { results } = await index.searchStudies('radiology', []);
    expect(results.map((s) => s[key('StudyInstanceUID')]?.Value?.[0])).toEqual(['1.2.3']);
    expect(await metadataOf('1.2.3.1.3')).toEqual(event.attributes);
    expect(warnings).toEqual([
      {
        message: 'stored copy unreadable: indexed without metadata',
        context: expect.objectContaining({
          tenantId: 'radiology',
          sopInstanceUid: '1.2.3.1.3',
          blobKey: event.blob.key,
        }),
      },
    ]);
  });

  it('indexes a batch in the order given, with an unreadable copy among them, and announces each', async () => {
    const indexed: InstanceIndexedEvent[] = [];
    await bus.subscribe(InstanceIndexedV1, async ({ value }) => void indexed.push(value), { group: 'test' });
    const first = await store('1.2.3.1.1');
    const damaged = await store('1.2.3.1.2', Buffer.from('not DICOM'));
    const third = await store('1.2.3.1.3');
    expect(await useCase.executeBatch([first, damaged, third, first])).toEqual([
      'created',
      'created',
      'created',
      'unchanged',
    ]);
    await waitFor(() => indexed.length === 4, 5000, 'four instance.indexed events');
    expect(indexed.map((e) => e.sopInstanceUid).sort()).toEqual(['1.2.3.1.1', '1.2.3.1.1', '1.2.3.1.2', '1.2.3.1.3']);
    const { results } = await index.searchStudies('radiology', []);
    expect(results[0]!['00201208']).toEqual({ vr: 'IS', Value: [3] });
    expect((await metadataOf('1.2.3.1.3'))?.[key('ConvolutionKernel')]).toEqual({ vr: 'SH', Value: ['STANDARD'] });
    expect(warnings.map((w) => w.context['sopInstanceUid'])).toEqual(['1.2.3.1.2']);
  });

  it('refuses a batch holding an event the index cannot take: nothing of it is indexed nor announced', async () => {
    const indexed: InstanceIndexedEvent[] = [];
    await bus.subscribe(InstanceIndexedV1, async ({ value }) => void indexed.push(value), { group: 'test' });
    const good = await store('1.2.3.1.1');
    const broken = { ...(await store('1.2.3.1.2')), version: 0 };
    await expect(useCase.executeBatch([good, broken])).rejects.toMatchObject({ retriable: false });
    const { results } = await index.searchStudies('radiology', []);
    expect(results).toEqual([]);
    // The bus then hands each event over alone: the good one is indexed by itself.
    expect(await useCase.execute(good)).toBe('created');
    await waitFor(() => indexed.length === 1, 5000, 'one instance.indexed event');
    expect(indexed[0]!.sopInstanceUid).toBe('1.2.3.1.1');
  });

  it('retries a copy the store cannot read for now, and indexes it without metadata on the last attempt', async () => {
    const event = await store('1.2.3.1.4');
    const unavailable = new IndexInstanceUseCase(index, bus, {
      metadata: {
        read: async () => {
          throw new BlobStoreError('IO_ERROR', 'the volume is not mounted', true);
        },
      },
      logger: { warn: (context, message) => void warnings.push({ context, message }) },
      now: () => now,
    });
    await expect(unavailable.execute(event)).rejects.toThrow(/cannot be read for now: the volume is not mounted/);
    expect((await index.searchStudies('radiology', [])).results).toEqual([]);
    expect(warnings).toEqual([]);
    expect(await unavailable.execute(event, { lastAttempt: true })).toBe('created');
    expect(await metadataOf('1.2.3.1.4')).toEqual(event.attributes);
    expect(warnings.map((w) => w.message)).toEqual(['stored copy unreadable: indexed without metadata']);
  });
});
