import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { FsBlobStore } from '@pacs/blob-store-fs';
import { MemoryCache } from '@pacs/cache-memory';
import { InstanceStoredV1, type InstanceStoredEvent } from '@pacs/contracts';
import { encodePart10Header, generateUid, IMPLICIT_VR_LITTLE_ENDIAN, readPart10 } from '@pacs/dicom';
import { CT_IMAGE_STORAGE, ctInstanceElements, ctInstanceFile, encodeDataset } from '@pacs/dicom/testing';
import { waitFor } from '@pacs/event-bus/testing';
import { SqliteEventBus } from '@pacs/event-bus-sqlite';
import type { Tenant } from '../tenants/tenant';
import { StoreInstanceError } from './store-instance.errors';
import { StoreInstanceUseCase, type StoreInstanceCommand } from './store-instance.use-case';

// The store path on the real embedded adapters: filesystem hot tier, SQLite event log, memory cache.
describe('StoreInstanceUseCase', () => {
  let dir: string;
  let blobStore: FsBlobStore;
  let eventBus: SqliteEventBus;
  let cache: MemoryCache;
  let useCase: StoreInstanceUseCase;
  let events: InstanceStoredEvent[];
  const radiology: Tenant = { id: 'radiology', aeTitles: ['RAD'], duplicatePolicy: 'new-version' };
  const strict: Tenant = { id: 'cardiology', aeTitles: ['CARD'], duplicatePolicy: 'reject' };
  const source = { protocol: 'DIMSE' as const, callingAeTitle: 'CT1', calledAeTitle: 'RAD' };
  const pixels = Buffer.alloc(64 * 64 * 2, 7);

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pacs-ingest-'));
    blobStore = new FsBlobStore({ root: join(dir, 'blobs') });
    await blobStore.start();
    eventBus = new SqliteEventBus({ file: join(dir, 'events.sqlite'), pollIntervalMs: 50 });
    await eventBus.start([InstanceStoredV1]);
    cache = new MemoryCache();
    events = [];
    await eventBus.subscribe(InstanceStoredV1, async ({ value }) => void events.push(value), { group: 'test' });
    useCase = new StoreInstanceUseCase({ blobStore, eventBus, cache });
  });

  afterEach(async () => {
    await eventBus.close().catch(() => undefined);
    await cache.close();
    await blobStore.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const dimse = (
    dataset: Buffer,
    uids: { sopInstanceUid: string; sopClassUid?: string },
    tenant = radiology,
  ): StoreInstanceCommand => ({
    tenant,
    source,
    correlationId: 'assoc-1',
    body: {
      kind: 'dataset',
      transferSyntaxUid: IMPLICIT_VR_LITTLE_ENDIAN.uid,
      sopClassUid: uids.sopClassUid ?? CT_IMAGE_STORAGE,
      sopInstanceUid: uids.sopInstanceUid,
      stream: chunked(dataset, 1000),
    },
  });
  const study = { studyInstanceUid: generateUid(), seriesInstanceUid: generateUid() };
  const ctDataset = (sopInstanceUid: string, extra: { patientName?: string } = {}) =>
    encodeDataset(
      ctInstanceElements({ ...study, sopInstanceUid, rows: 64, columns: 64, pixelData: pixels, ...extra }),
      IMPLICIT_VR_LITTLE_ENDIAN.uid,
    );
  const keysUnder = async (prefix: string) => {
    const keys: string[] = [];
    for await (const key of blobStore.list(prefix)) keys.push(key);
    return keys;
  };
  const readBlob = async (key: string) => Buffer.concat(await (await blobStore.get(key)).toArray());

  it('stores a C-STORE data set behind a meta group it builds, and announces it', async () => {
    const sop = generateUid();
    const dataset = ctDataset(sop);
    const stored = await useCase.execute(dimse(dataset, { sopInstanceUid: sop }));

    expect(stored).toMatchObject({ outcome: 'stored', version: 1, sopInstanceUid: sop, sopClassUid: CT_IMAGE_STORAGE });
    expect(stored.blob.key).toMatch(
      new RegExp(
        `^radiology/${stored.studyInstanceUid}/${stored.seriesInstanceUid}/${sop}/\\d{8}T\\d{9}Z-[0-9a-f]{12}\\.dcm$`,
      ),
    );
    const bytes = await readBlob(stored.blob.key);
    const expectedHeader = encodePart10Header({
      sopClassUid: CT_IMAGE_STORAGE,
      sopInstanceUid: sop,
      transferSyntaxUid: IMPLICIT_VR_LITTLE_ENDIAN.uid,
    });
    expect(bytes.subarray(0, expectedHeader.length).equals(expectedHeader)).toBe(true);
    expect(bytes.subarray(expectedHeader.length).equals(dataset)).toBe(true);
    expect(stored.blob.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
    const file = readPart10(bytes);
    expect(file.status === 'complete' && file.dataset.string('SOPInstanceUID')).toBe(sop);

    await waitFor(() => events.length === 1, 5000, 'the instance.stored event');
    expect(events[0]).toMatchObject({
      tenantId: 'radiology',
      correlationId: 'assoc-1',
      sopInstanceUid: sop,
      version: 1,
      transferSyntaxUid: IMPLICIT_VR_LITTLE_ENDIAN.uid,
      blob: { key: stored.blob.key, tier: 'hot', size: bytes.length, sha256: stored.blob.sha256 },
      source,
    });
    expect(events[0]!.attributes['00100010']).toBeDefined();
    expect(events[0]!.attributes['7FE00010']).toBeUndefined();
  });

  it('stores a STOW-RS Part 10 file exactly as received', async () => {
    const sop = generateUid();
    const file = ctInstanceFile({ sopInstanceUid: sop, rows: 64, columns: 64, pixelData: pixels });
    const stored = await useCase.execute({
      tenant: radiology,
      source: { protocol: 'STOW-RS', clientId: 'viewer' },
      correlationId: 'req-1',
      body: { kind: 'part10', stream: chunked(file, 777) },
    });
    expect((await readBlob(stored.blob.key)).equals(file)).toBe(true);
  });

  it('answers identical bytes again as a success that stores nothing new and announces the copy already there', async () => {
    const sop = generateUid();
    const dataset = ctDataset(sop);
    const first = await useCase.execute(dimse(dataset, { sopInstanceUid: sop }));
    const again = await useCase.execute(dimse(dataset, { sopInstanceUid: sop }));
    expect(again).toMatchObject({
      outcome: 'duplicate',
      version: 1,
      blob: { key: first.blob.key, sha256: first.blob.sha256 },
    });
    expect(await keysUnder(first.blob.key.replace(/[^/]+$/, ''))).toEqual([first.blob.key]);
    // At least once: the repeat announces the same copy again (a crash may have lost the first event).
    await waitFor(() => events.length === 2, 5000, 'two events');
    expect(events.map((e) => [e.blob.key, e.version])).toEqual([
      [first.blob.key, 1],
      [first.blob.key, 1],
    ]);
  });

  it('announces a copy that a crash left stored but unannounced when the instance is sent again', async () => {
    const sop = generateUid();
    const dataset = ctDataset(sop);
    // The bytes of an earlier send are in place, its event never committed (the process died).
    const earlier = await useCase.execute(dimse(dataset, { sopInstanceUid: sop }));
    await waitFor(() => events.length === 1, 5000, 'the first event');
    events.length = 0;
    const again = await useCase.execute(dimse(dataset, { sopInstanceUid: sop }));
    expect(again.outcome).toBe('duplicate');
    await waitFor(() => events.length === 1, 5000, 'the event of the copy');
    expect(events[0]).toMatchObject({
      sopInstanceUid: sop,
      version: 1,
      blob: { key: earlier.blob.key, sha256: earlier.blob.sha256 },
    });
  });

  it('keeps other bytes under the same SOP Instance UID as a new version', async () => {
    const sop = generateUid();
    const first = await useCase.execute(dimse(ctDataset(sop), { sopInstanceUid: sop }));
    const second = await useCase.execute(
      dimse(ctDataset(sop, { patientName: 'Corrected^Name' }), { sopInstanceUid: sop }),
    );
    expect(second).toMatchObject({ outcome: 'stored', version: 2 });
    expect((await keysUnder(first.blob.key.replace(/[^/]+$/, ''))).sort()).toEqual(
      [first.blob.key, second.blob.key].sort(),
    );
    await waitFor(() => events.length === 2, 5000, 'two events');
    expect(events.map((e) => e.version)).toEqual([1, 2]);
  });

  it("refuses other bytes under the tenant's reject policy with 0111, keeping the original", async () => {
    const sop = generateUid();
    const first = await useCase.execute(dimse(ctDataset(sop), { sopInstanceUid: sop }, strict));
    const refused = useCase.execute(
      dimse(ctDataset(sop, { patientName: 'Other^Name' }), { sopInstanceUid: sop }, strict),
    );
    await expect(refused).rejects.toMatchObject({ code: 'DUPLICATE_REJECTED', dimseStatus: 0x0111 });
    expect(await keysUnder(first.blob.key.replace(/[^/]+$/, ''))).toEqual([first.blob.key]);
    expect((await readBlob(first.blob.key)).length).toBe(first.blob.size);
  });

  it('stores one copy when the same instance arrives on several associations at once', async () => {
    const sop = generateUid();
    const dataset = ctDataset(sop);
    const results = await Promise.all(
      Array.from({ length: 8 }, () => useCase.execute(dimse(dataset, { sopInstanceUid: sop }))),
    );
    expect(results.filter((r) => r.outcome === 'stored')).toHaveLength(1);
    const prefix = results[0]!.blob.key.replace(/[^/]+$/, '');
    const keys = await keysUnder(prefix);
    expect(keys).toHaveLength(1);
    await waitFor(() => events.length === 8, 5000, 'eight events');
    expect(new Set(events.map((e) => e.blob.key))).toEqual(new Set(keys));
  });

  describe('broken input: a failure status, and nothing stored', () => {
    const expectNothingStored = async () => {
      expect(await keysUnder('radiology/')).toEqual([]);
      await new Promise((r) => setTimeout(r, 100));
      expect(events).toEqual([]);
    };

    it('a truncated data set is C000 (cannot understand)', async () => {
      const sop = generateUid();
      const dataset = ctDataset(sop);
      const error = await useCase
        .execute(dimse(dataset.subarray(0, 300), { sopInstanceUid: sop }))
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(StoreInstanceError);
      expect(error).toMatchObject({ code: 'CANNOT_UNDERSTAND', dimseStatus: 0xc000 });
      expect((error as Error).message).toMatch(/cannot be parsed.*TRUNCATED|ends inside|cannot be parsed/);
      await expectNothingStored();
    });

    it('a data set that ends inside its pixel data is C000, naming how much arrived', async () => {
      const sop = generateUid();
      const dataset = ctDataset(sop);
      const error = await useCase
        .execute(dimse(dataset.subarray(0, dataset.length - 100), { sopInstanceUid: sop }))
        .catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'CANNOT_UNDERSTAND', dimseStatus: 0xc000 });
      expect((error as Error).message).toMatch(/ends inside Pixel Data: \d+ of at least \d+ bytes arrived/);
      await expectNothingStored();
    });

    it('encapsulated pixel data cut before its sequence delimiter is C000; complete fragments are stored', async () => {
      const JPEG_BASELINE = '1.2.840.10008.1.2.4.50';
      const encapsulated = (sop: string) =>
        encodeDataset(
          [
            ...ctInstanceElements({
              ...study,
              sopInstanceUid: sop,
              rows: 8,
              columns: 8,
              pixelData: Buffer.alloc(128),
            }).filter((e) => e.tag !== 'PixelData'),
            { tag: 'PixelData', fragments: [Buffer.alloc(0), Buffer.alloc(3000, 0xff), Buffer.alloc(2000, 0xd9)] },
          ],
          JPEG_BASELINE,
        );
      const command = (dataset: Buffer, sop: string): StoreInstanceCommand => ({
        tenant: radiology,
        source,
        correlationId: 'assoc-2',
        body: {
          kind: 'dataset',
          transferSyntaxUid: JPEG_BASELINE,
          sopClassUid: CT_IMAGE_STORAGE,
          sopInstanceUid: sop,
          stream: chunked(dataset, 500),
        },
      });
      const cutSop = generateUid();
      const cut = encapsulated(cutSop);
      const error = await useCase.execute(command(cut.subarray(0, cut.length - 8), cutSop)).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'CANNOT_UNDERSTAND', dimseStatus: 0xc000 });
      expect((error as Error).message).toMatch(/fragments end without a sequence delimiter/);
      expect(await keysUnder('radiology/')).toEqual([]);

      const wholeSop = generateUid();
      const whole = encapsulated(wholeSop);
      const stored = await useCase.execute(command(whole, wholeSop));
      expect((await readBlob(stored.blob.key)).subarray(-whole.length).equals(whole)).toBe(true);
    });

    it('a STOW part cut inside its pixel data is C000', async () => {
      const file = ctInstanceFile({
        ...study,
        sopInstanceUid: generateUid(),
        rows: 64,
        columns: 64,
        pixelData: pixels,
      });
      const error = await useCase
        .execute({
          tenant: radiology,
          source,
          correlationId: 'r',
          body: { kind: 'part10', stream: chunked(file.subarray(0, file.length - 1), 500) },
        })
        .catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'CANNOT_UNDERSTAND' });
      await expectNothingStored();
    });

    it('garbage bytes in a STOW part are C000', async () => {
      const error = await useCase
        .execute({
          tenant: radiology,
          source,
          correlationId: 'r',
          body: { kind: 'part10', stream: chunked(Buffer.from('not dicom at all'), 4) },
        })
        .catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'CANNOT_UNDERSTAND', dimseStatus: 0xc000 });
      await expectNothingStored();
    });

    it('a data set without SOPInstanceUID is A900, naming the attribute', async () => {
      const elements = ctInstanceElements({ rows: 8, columns: 8, pixelData: Buffer.alloc(128) }).filter(
        (e) => e.tag !== 'SOPInstanceUID',
      );
      const error = await useCase
        .execute(dimse(encodeDataset(elements, IMPLICIT_VR_LITTLE_ENDIAN.uid), { sopInstanceUid: '1.2.3' }))
        .catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'DATASET_MISMATCH', dimseStatus: 0xa900 });
      expect((error as Error).message).toContain('SOPInstanceUID');
      await expectNothingStored();
    });

    it("a data set whose SOP Instance UID differs from the request's is A900", async () => {
      const error = await useCase
        .execute(dimse(ctDataset(generateUid()), { sopInstanceUid: '1.2.3.4' }))
        .catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'DATASET_MISMATCH', dimseStatus: 0xa900 });
      expect((error as Error).message).toMatch(/differs from the request's AffectedSOPInstanceUID 1\.2\.3\.4/);
      await expectNothingStored();
    });

    it('a sender that fails mid-stream leaves nothing', async () => {
      const sop = generateUid();
      const dataset = ctDataset(sop);
      const failing = Readable.from(
        (async function* () {
          yield dataset.subarray(0, 5000);
          throw new Error('association aborted');
        })(),
      );
      const command = dimse(dataset, { sopInstanceUid: sop });
      const error = await useCase
        .execute({ ...command, body: { ...command.body, stream: failing } as StoreInstanceCommand['body'] })
        .catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'PROCESSING_FAILURE', dimseStatus: 0x0110 });
      await expectNothingStored();
    });

    it('an event log that cannot be written fails the store (0110) and removes the written copy', async () => {
      const sop = generateUid();
      await eventBus.close();
      const error = await useCase.execute(dimse(ctDataset(sop), { sopInstanceUid: sop })).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'PROCESSING_FAILURE', dimseStatus: 0x0110, retriable: true });
      expect(await keysUnder('radiology/')).toEqual([]);
    });
  });
});

/** The bytes as a stream of fixed-size chunks, as a network delivers them. */
function chunked(bytes: Buffer, size: number): Readable {
  const chunks: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += size) chunks.push(bytes.subarray(i, i + size));
  return Readable.from(chunks);
}
