import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  InstanceIndexedV1,
  InstanceStoredV1,
  type InstanceIndexedEvent,
  type InstanceStoredEvent,
} from '@pacs/contracts';
import { SqliteEventBus } from '@pacs/event-bus-sqlite';
import { indexedInstance } from '@pacs/metadata-index/testing';
import { SqliteMetadataIndex } from '@pacs/metadata-index-sqlite';
import { waitFor } from '@pacs/event-bus/testing';
import { IndexInstanceUseCase } from './index-instance.use-case';

describe('IndexInstanceUseCase', () => {
  let dir: string;
  let index: SqliteMetadataIndex;
  let bus: SqliteEventBus;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pacs-indexer-'));
    index = new SqliteMetadataIndex({ file: join(dir, 'index.sqlite') });
    bus = new SqliteEventBus({ file: join(dir, 'events.sqlite'), pollIntervalMs: 50 });
    await Promise.all([index.start(), bus.start([InstanceStoredV1, InstanceIndexedV1])]);
  });
  afterEach(async () => {
    await Promise.all([bus.close(), index.close()]);
    rmSync(dir, { recursive: true, force: true });
  });

  const stored = (sop: string): InstanceStoredEvent => {
    const copy = indexedInstance({ study: '1.2.3', series: '1.2.3.1', sop, patientId: 'P9' });
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
      blob: { key: copy.blob.key, size: copy.blob.size, sha256: copy.blob.sha256, tier: 'hot' },
      source: { protocol: 'STOW-RS' },
      attributes: copy.attributes,
    };
  };

  it('indexes each event once and announces instance.indexed, caused by the stored event, every time', async () => {
    const indexed: InstanceIndexedEvent[] = [];
    await bus.subscribe(InstanceIndexedV1, async ({ value }) => void indexed.push(value), { group: 'test' });
    const useCase = new IndexInstanceUseCase(index, bus);
    const first = stored('1.2.3.1.1');
    expect(await useCase.execute(first)).toBe('created');
    expect(await useCase.execute(stored('1.2.3.1.2'))).toBe('created');
    expect(await useCase.execute(first)).toBe('unchanged');
    await waitFor(() => indexed.length === 3, 5000, 'three instance.indexed events');
    expect(indexed[0]).toMatchObject({
      tenantId: 'radiology',
      sopInstanceUid: '1.2.3.1.1',
      causationId: first.eventId,
      correlationId: 'c1',
      patientId: 'P9',
      modality: 'CT',
    });
    const { results } = await index.searchStudies('radiology', []);
    expect(results).toHaveLength(1);
    expect(results[0]!['00201208']).toEqual({ vr: 'IS', Value: [2] });
  });
});
