import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { NestFactory } from '@nestjs/core';
import { loadPlatformConfig, type PlatformConfig } from '@pacs/config';
import { InstanceIndexedV1, InstanceStoredV1, StudyStableV1, type StudyStableEvent } from '@pacs/contracts';
import { generateUid } from '@pacs/dicom';
import { ctInstanceFile } from '@pacs/dicom/testing';
import { EVENT_BUS, type EventBus } from '@pacs/event-bus';
import { waitFor } from '@pacs/event-bus/testing';
import { createLogger, createMetricsRegistry } from '@pacs/observability';
import { PlatformModule } from '@pacs/platform';
import { freePort, startApp, stowBody, waitForStatus, type AppProcess } from '@pacs/testing';

const QUIET_SECONDS = 2;

/**
 * A second client of a process's embedded event log, composed as an app composes it (the platform
 * module binds the SQLite adapter to the log file); its blob store is in a folder of its own.
 * SQLite serialises the two processes' writes, and each consumer group keeps its own offsets.
 */
async function eventLogClient(dataDir: string, scratchDir: string): Promise<{ bus: EventBus; close(): Promise<void> }> {
  const config: PlatformConfig = {
    ...loadPlatformConfig('test-observer', { PACS_DATA_DIR: scratchDir }, 'embedded'),
    eventBus: { adapter: 'sqlite', file: join(dataDir, 'events.sqlite') },
  };
  const context = await NestFactory.createApplicationContext(
    PlatformModule.forRoot({
      config,
      logger: createLogger({ service: 'test-observer', level: 'silent' }),
      metrics: createMetricsRegistry('test-observer'),
      lock: null,
      topics: [InstanceStoredV1, StudyStableV1],
    }),
    { logger: false },
  );
  return { bus: context.get<EventBus>(EVENT_BUS), close: () => context.close() };
}

// The indexer in the all-in-one process: study.stable after the quiet time, once per study, and
// a replay of instance.stored that changes nothing. The test subscribes to and publishes on the
// process's event log.
describe('pacs process: indexer (study.stable, replayed events)', () => {
  let work: string;
  let dataDir: string;
  let app: AppProcess;
  let observer: { bus: EventBus; close(): Promise<void> };
  const stable: StudyStableEvent[] = [];
  const studyA = { study: generateUid(), series: [generateUid(), generateUid()] };
  const studyC = { study: generateUid(), series: generateUid() };

  async function stow(path: string, files: Buffer[]): Promise<void> {
    const { contentType, body } = await stowBody(files.map((file) => ({ body: file })));
    const response = await fetch(`${app.baseUrl}${path}`, {
      method: 'POST',
      headers: { 'Content-Type': contentType, Accept: 'application/dicom+json' },
      body,
    });
    await response.arrayBuffer();
    expect(response.status).toBe(200);
  }

  async function qido(path: string): Promise<unknown> {
    const response = await fetch(`${app.baseUrl}${path}`, { headers: { Accept: 'application/dicom+json' } });
    expect({ path, status: response.status }).toEqual({ path, status: 200 });
    return response.json();
  }

  /** Every QIDO-RS answer about the stored data, at every level and scope, in both tenants. */
  async function snapshot(): Promise<Record<string, unknown>> {
    const paths = [
      '/dicomweb/studies?includefield=all',
      '/dicomweb/series?includefield=all',
      '/dicomweb/instances?includefield=all',
      `/dicomweb/studies/${studyA.study}/series`,
      `/dicomweb/studies/${studyA.study}/instances`,
      ...studyA.series.map((series) => `/dicomweb/studies/${studyA.study}/series/${series}/instances?includefield=all`),
      '/tenants/oncology/dicomweb/studies',
      '/tenants/oncology/dicomweb/series',
      '/tenants/oncology/dicomweb/instances?includefield=all',
    ];
    return Object.fromEntries(await Promise.all(paths.map(async (path) => [path, await qido(path)] as const)));
  }

  /** The values of a topic's messages in the process's event log. */
  function logged(topic: string): unknown[] {
    const db = new DatabaseSync(join(dataDir, 'events.sqlite'), { readOnly: true });
    try {
      const rows = db.prepare('SELECT value FROM messages WHERE topic = ? ORDER BY partition, offset').all(topic);
      return rows.map((row) => JSON.parse(String(row.value)) as unknown);
    } finally {
      db.close();
    }
  }

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'pacs-indexer-app-'));
    dataDir = join(work, 'data');
    const tenantsFile = join(work, 'tenants.json');
    writeFileSync(tenantsFile, JSON.stringify({ tenants: [{ id: 'oncology', aeTitles: ['ONCO'] }] }));
    app = startApp('pacs', {
      PACS_DATA_DIR: dataDir,
      PACS_HTTP_PORT: String(await freePort()),
      PACS_DICOM_PORT: String(await freePort()),
      PACS_TENANTS_FILE: tenantsFile,
      PACS_STUDY_STABLE_SECONDS: String(QUIET_SECONDS),
    });
    await waitForStatus(app, '/health/ready', 200, 20_000);
    observer = await eventLogClient(dataDir, join(work, 'observer'));
    await observer.bus.subscribe(StudyStableV1, async ({ value }) => void stable.push(value), {
      group: 'test-observer',
    });
  }, 30_000);

  afterAll(async () => {
    await observer?.close();
    app?.child.kill('SIGTERM');
    await app?.exited();
    rmSync(work, { recursive: true, force: true });
  }, 30_000);

  it('announces study.stable once per study, the quiet time after its last instance', async () => {
    const file = (study: string, series: string, n: number) =>
      ctInstanceFile({ studyInstanceUid: study, seriesInstanceUid: series, instanceNumber: n, rows: 16, columns: 16 });
    await stow('/dicomweb/studies', [
      file(studyA.study, studyA.series[0]!, 1),
      file(studyA.study, studyA.series[0]!, 2),
    ]);
    const firstStoredAt = Date.now();
    // More of the study within the quiet time: it is not stable yet.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    await stow('/dicomweb/studies', [file(studyA.study, studyA.series[1]!, 1)]);
    const lastStoredAt = Date.now();
    await stow('/tenants/oncology/dicomweb/studies', [file(studyC.study, studyC.series, 1)]);

    await waitFor(() => stable.length >= 2, 15_000, 'two study.stable events', 50);
    const a = stable.find((e) => e.studyInstanceUid === studyA.study)!;
    expect(a).toMatchObject({ tenantId: 'default', seriesCount: 2, instanceCount: 3, causationId: null });
    expect(stable.find((e) => e.studyInstanceUid === studyC.study)).toMatchObject({
      tenantId: 'oncology',
      seriesCount: 1,
      instanceCount: 1,
    });
    // Announced after the quiet time following the last instance, not the first.
    expect(Date.parse(a.occurredAt) - Date.parse(a.lastInstanceAt)).toBeGreaterThanOrEqual(QUIET_SECONDS * 1000);
    expect(Date.parse(a.lastInstanceAt)).toBeGreaterThanOrEqual(firstStoredAt + 900);
    expect(Date.parse(a.lastInstanceAt)).toBeLessThanOrEqual(lastStoredAt + 5000);
    // Several more sweeps (every 500 ms) announce nothing again.
    await new Promise((resolve) => setTimeout(resolve, 2000));
    expect(stable.map((e) => e.studyInstanceUid).sort()).toEqual([studyA.study, studyC.study].sort());
    // Every copy was read for its metadata.
    expect(app.stdout()).not.toContain('stored copy unreadable');
  }, 30_000);

  it("records each copy's whole data set, its pixel data a BulkDataURI the gateway serves", async () => {
    const response = await fetch(`${app.baseUrl}/dicomweb/studies/${studyA.study}/metadata`, {
      headers: { Accept: 'application/dicom+json' },
    });
    expect(response.status).toBe(200);
    const metadata = (await response.json()) as Record<
      string,
      { vr: string; Value?: unknown[]; BulkDataURI?: string }
    >[];
    expect(metadata).toHaveLength(3);
    const first = metadata.find(
      (m) => m['00200013']?.Value?.[0] === 1 && m['0020000E']?.Value?.[0] === studyA.series[0],
    )!;
    // Not an index attribute: it comes from the stored copy.
    expect(first['00181210']).toEqual({ vr: 'SH', Value: ['STANDARD'] });
    const pixelData = first['7FE00010']!;
    expect(pixelData.vr).toBe('OW');
    expect(pixelData.BulkDataURI).toMatch(
      new RegExp(`/dicomweb/studies/${studyA.study}/series/${studyA.series[0]}/instances/[0-9.]+/bulkdata/7FE00010$`),
    );
    const bulk = await fetch(pixelData.BulkDataURI!, {
      headers: { Accept: 'multipart/related; type="application/octet-stream"' },
    });
    expect(bulk.status).toBe(200);
    // 16 x 16 samples of 16 bits, in a multipart body.
    expect((await bulk.arrayBuffer()).byteLength).toBeGreaterThanOrEqual(16 * 16 * 2);
  });

  it('answers every QIDO-RS search the same after every instance.stored event is delivered again', async () => {
    const before = await snapshot();
    const storedEvents = logged(InstanceStoredV1.name).map((value) => InstanceStoredV1.schema.parse(value));
    expect(storedEvents).toHaveLength(4);
    const indexedBefore = logged(InstanceIndexedV1.name).length;
    expect(indexedBefore).toBe(4);
    for (const event of storedEvents) await observer.bus.publish(InstanceStoredV1, event);
    // The indexer announces instance.indexed for each event it consumes, redelivered ones too.
    await waitFor(() => logged(InstanceIndexedV1.name).length === indexedBefore + 4, 15_000, 'the replay indexed', 100);
    expect(await snapshot()).toEqual(before);
    // The replay did not make any study active again: no second announcement.
    await new Promise((resolve) => setTimeout(resolve, (QUIET_SECONDS + 1) * 1000));
    expect(stable).toHaveLength(2);
  }, 40_000);

  it('exits non-zero at start when PACS_STUDY_STABLE_SECONDS is wrong, naming the variable', async () => {
    const bad = startApp('pacs', {
      PACS_DATA_DIR: join(work, 'bad-data'),
      PACS_HTTP_PORT: String(await freePort()),
      PACS_DICOM_PORT: String(await freePort()),
      PACS_STUDY_STABLE_SECONDS: 'soon',
    });
    const { code } = await bad.exited();
    expect(code).toBe(1);
    expect(bad.stderr()).toMatch(/PACS_STUDY_STABLE_SECONDS: expected a positive integer \(got "soon"\)/);
  }, 20_000);
});
