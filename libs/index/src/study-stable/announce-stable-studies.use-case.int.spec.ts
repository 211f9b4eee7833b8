import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StudyStableV1, type StudyStableEvent } from '@pacs/contracts';
import { SqliteEventBus } from '@pacs/event-bus-sqlite';
import { waitFor } from '@pacs/event-bus/testing';
import { indexedInstance } from '@pacs/metadata-index/testing';
import { SqliteMetadataIndex } from '@pacs/metadata-index-sqlite';
import { AnnounceStableStudiesUseCase } from './announce-stable-studies.use-case';

// Two indexer replicas on one SQLite index file (two connections, as two processes would have):
// the index's compare-and-set lets exactly one mark each study; a study both announced carries
// one event id.
describe('AnnounceStableStudiesUseCase on the SQLite index', () => {
  let dir: string;
  let replicas: SqliteMetadataIndex[];
  let bus: SqliteEventBus;
  const T0 = Date.parse('2026-03-15T10:00:00.000Z');
  const at = (seconds: number) => new Date(T0 + seconds * 1000).toISOString();
  const logger = { error: () => undefined };

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pacs-stable-'));
    replicas = [0, 1].map(() => new SqliteMetadataIndex({ file: join(dir, 'index.sqlite') }));
    bus = new SqliteEventBus({ file: join(dir, 'events.sqlite'), pollIntervalMs: 50 });
    for (const replica of replicas) await replica.start();
    await bus.start([StudyStableV1]);
  });
  afterEach(async () => {
    await Promise.all([bus.close(), ...replicas.map((r) => r.close())]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('announces every quiet study, with one event id each, whichever replica marks it', async () => {
    const index = replicas[0]!;
    for (let s = 0; s < 6; s++) {
      for (let i = 0; i < 2; i++) {
        await index.upsertInstance({
          ...indexedInstance({
            tenantId: s % 2 === 0 ? 'radiology' : 'oncology',
            study: `1.2.${s}`,
            series: `1.2.${s}.${i}`,
            sop: `1.2.${s}.${i}.1`,
          }),
          indexedAt: at(s * 10 + i),
        });
      }
    }
    // Study 5 got its last instance at 51 s: not quiet for 60 s at 110 s.
    const now = () => new Date(T0 + 110_000);
    const sweeps = replicas.map(
      (replica) => new AnnounceStableStudiesUseCase(replica, bus, logger, { quietMs: 60_000, now, batchSize: 2 }),
    );
    const counts = await Promise.all(sweeps.map((sweep) => sweep.execute()));
    expect(counts[0]! + counts[1]!).toBe(5);
    expect(await Promise.all(sweeps.map((sweep) => sweep.execute()))).toEqual([0, 0]);

    const announced: StudyStableEvent[] = [];
    await bus.subscribe(StudyStableV1, async ({ value }) => void announced.push(value), { group: 'test' });
    await waitFor(() => new Set(announced.map((e) => e.eventId)).size === 5, 5000, 'five study.stable events');
    const distinct = [...new Map(announced.map((e) => [e.eventId, e])).values()];
    expect(distinct.map((e) => e.studyInstanceUid).sort()).toEqual(['1.2.0', '1.2.1', '1.2.2', '1.2.3', '1.2.4']);
    expect(announced.find((e) => e.studyInstanceUid === '1.2.3')).toMatchObject({
      tenantId: 'oncology',
      seriesCount: 2,
      instanceCount: 2,
      lastInstanceAt: at(31),
    });
  });
});
