import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, startApp, waitForStatus, type AppProcess } from '@pacs/testing';
import { engineEnv, uniqueName } from '@pacs/testing';

// Each single-service app of the distributed shape, as its own process on the real engines:
// Kafka for events, Redis for the cache, S3 for the hot tier.
describe.each(['gateway', 'indexer', 'storage', 'reports', 'router', 'audit'])(
  '%s app (distributed shape)',
  (service) => {
    let dataDir: string;
    let app: AppProcess | undefined;

    beforeEach(() => {
      dataDir = mkdtempSync(join(tmpdir(), `pacs-${service}-`));
    });

    afterEach(async () => {
      if (app && app.child.exitCode === null && app.child.signalCode === null) {
        app.child.kill('SIGKILL');
        await app.exited();
      }
      rmSync(dataDir, { recursive: true, force: true });
    });

    it('is ready on Kafka, Redis and S3, and stops cleanly on SIGTERM', async () => {
      app = startApp(service, {
        PACS_DATA_DIR: dataDir,
        PACS_HTTP_PORT: String(await freePort()),
        PACS_DICOM_PORT: String(await freePort()),
        PACS_KAFKA_BROKERS: engineEnv('PACS_KAFKA_BROKERS'),
        PACS_KAFKA_PARTITIONS: '3',
        PACS_REDIS_URL: engineEnv('PACS_REDIS_URL'),
        PACS_REDIS_KEY_PREFIX: `${uniqueName(service)}:`,
        PACS_BLOB_STORE: 's3',
        PACS_S3_ENDPOINT: engineEnv('PACS_S3_ENDPOINT'),
        PACS_S3_REGION: engineEnv('PACS_S3_REGION'),
        PACS_S3_ACCESS_KEY_ID: engineEnv('PACS_S3_ACCESS_KEY_ID'),
        PACS_S3_SECRET_ACCESS_KEY: engineEnv('PACS_S3_SECRET_ACCESS_KEY'),
        PACS_S3_FORCE_PATH_STYLE: 'true',
        PACS_S3_BUCKET: uniqueName(`pacs-${service}`).toLowerCase().slice(0, 60),
        PACS_MONGODB_URL: engineEnv('PACS_MONGODB_URL'),
        PACS_MONGODB_DATABASE: uniqueName(service)
          .replace(/[^a-z0-9]/gi, '_')
          .slice(0, 60),
      });
      const ready = await waitForStatus(app, '/health/ready', 200, 30_000);
      expect(await ready.json()).toMatchObject({
        status: 'ready',
        checks: {
          eventBus: { ok: true },
          cache: { ok: true },
          blobStore: { ok: true },
          // The indexer keeps the metadata index, on the MongoDB wire-compatible server.
          ...(service === 'indexer' ? { metadataIndex: { ok: true } } : {}),
        },
      });
      expect((await fetch(`${app.baseUrl}/health/live`)).status).toBe(200);
      expect(await (await fetch(`${app.baseUrl}/metrics`)).text()).toContain(`service="${service}"`);
      app.child.kill('SIGTERM');
      expect(await app.exited()).toEqual({ code: 0, signal: null });
    }, 60_000);

    it('refuses to start without its engines configured, naming the variables', async () => {
      app = startApp(service, {
        PACS_DATA_DIR: dataDir,
        PACS_KAFKA_BROKERS: '',
        PACS_REDIS_URL: '',
        PACS_MONGODB_URL: '',
      });
      const { code } = await app.exited();
      expect(code).toBe(1);
      expect(app.stderr()).toContain('PACS_KAFKA_BROKERS: required when the event bus is Kafka');
      expect(app.stderr()).toContain('PACS_REDIS_URL: required when the cache is Redis');
      if (service === 'indexer') {
        expect(app.stderr()).toContain('PACS_MONGODB_URL: required when the metadata index is MongoDB');
      }
    }, 30_000);
  },
);
