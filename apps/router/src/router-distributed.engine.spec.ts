import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DeleteBucketCommand, DeleteObjectsCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { generateUid } from '@pacs/dicom';
import { ctInstanceFile } from '@pacs/dicom/testing';
import { startTool } from '@pacs/dimse/testing';
import {
  datasetOf,
  engineEnv,
  freePort,
  receivedDatasets,
  startApp,
  uniqueName,
  waitForStatus,
  type AppProcess,
} from '@pacs/testing';

const run = promisify(execFile);
const dcmtk = { env: { ...process.env, TCP_NODELAY: '1' }, timeout: 60_000 };
const INSTANCES = 30;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const received = (dir: string) => receivedDatasets(dir).bySop;

// The distributed shape: the gateway, the indexer and the router as three processes on Kafka,
// FerretDB (metadata index and routing store), S3 (the hot tier) and Redis. A modality sends a CT
// series to the gateway with storescu; the router, its own process, forwards each instance by a
// routing-file rule to DCMTK's storescp once the indexer announced it: every data set arrives as sent.
describe('router app on Kafka, FerretDB and S3, beside the gateway and the indexer', () => {
  let work: string;
  let apps: AppProcess[] = [];
  let storescp: ReturnType<typeof startTool>;
  let dicomPort: string;
  let storeDir: string;
  const bucket = uniqueName('pacs-router').toLowerCase().slice(0, 60);

  const logs = () => apps.map((app) => `${app.stdout()}\n${app.stderr()}`).join('\n---\n');

  beforeAll(async () => {
    for (const name of ['storescu', 'storescp']) {
      await run('which', [name]).catch(() => {
        throw new Error(`${name} is missing: install DCMTK (apt-get install dcmtk)`);
      });
    }
    work = mkdtempSync(join(tmpdir(), 'pacs-router-'));
    storeDir = join(work, 'archive');
    mkdirSync(storeDir);
    const storePort = await freePort();
    storescp = startTool('storescp', ['-od', storeDir, '-aet', 'ARCHIVE', String(storePort)]);
    const routingFile = join(work, 'routing.json');
    writeFileSync(
      routingFile,
      JSON.stringify({
        tenants: {
          default: {
            destinations: [{ id: 'archive', kind: 'dimse', aeTitle: 'ARCHIVE', host: '127.0.0.1', port: storePort }],
            rules: [
              {
                id: 'ct-to-archive',
                trigger: 'instance',
                condition: { attribute: 'Modality', equals: 'CT' },
                destinations: ['archive'],
              },
            ],
          },
        },
      }),
    );
    const name = uniqueName('router');
    const shared = {
      PACS_KAFKA_BROKERS: engineEnv('PACS_KAFKA_BROKERS'),
      PACS_KAFKA_PARTITIONS: '3',
      PACS_REDIS_URL: engineEnv('PACS_REDIS_URL'),
      PACS_REDIS_KEY_PREFIX: `${name}:`,
      PACS_MONGODB_URL: engineEnv('PACS_MONGODB_URL'),
      PACS_MONGODB_DATABASE: name.replace(/[^a-z0-9]/gi, '_'),
      PACS_BLOB_STORE: 's3',
      PACS_S3_ENDPOINT: engineEnv('PACS_S3_ENDPOINT'),
      PACS_S3_REGION: engineEnv('PACS_S3_REGION'),
      PACS_S3_ACCESS_KEY_ID: engineEnv('PACS_S3_ACCESS_KEY_ID'),
      PACS_S3_SECRET_ACCESS_KEY: engineEnv('PACS_S3_SECRET_ACCESS_KEY'),
      PACS_S3_FORCE_PATH_STYLE: 'true',
      PACS_S3_BUCKET: bucket,
    };
    dicomPort = String(await freePort());
    const gateway = startApp('gateway', {
      ...shared,
      PACS_DATA_DIR: join(work, 'gateway'),
      PACS_HTTP_PORT: String(await freePort()),
      PACS_DICOM_PORT: dicomPort,
    });
    const indexer = startApp('indexer', {
      ...shared,
      PACS_DATA_DIR: join(work, 'indexer'),
      PACS_HTTP_PORT: String(await freePort()),
    });
    const router = startApp('router', {
      ...shared,
      PACS_DATA_DIR: join(work, 'router'),
      PACS_HTTP_PORT: String(await freePort()),
      PACS_ROUTING_FILE: routingFile,
      PACS_FORWARD_POLL_MS: '200',
    });
    apps = [gateway, indexer, router];
    for (const app of apps) await waitForStatus(app, '/health/ready', 200, 90_000);
  }, 180_000);

  afterAll(async () => {
    storescp?.child.kill('SIGKILL');
    for (const app of apps) {
      if (app.child.exitCode === null && app.child.signalCode === null) {
        app.child.kill('SIGTERM');
        await app.exited();
      }
    }
    const client = new S3Client({
      endpoint: engineEnv('PACS_S3_ENDPOINT'),
      region: engineEnv('PACS_S3_REGION'),
      forcePathStyle: true,
      credentials: {
        accessKeyId: engineEnv('PACS_S3_ACCESS_KEY_ID'),
        secretAccessKey: engineEnv('PACS_S3_SECRET_ACCESS_KEY'),
      },
    });
    try {
      for (;;) {
        const keys = ((await client.send(new ListObjectsV2Command({ Bucket: bucket }))).Contents ?? []).flatMap((o) =>
          o.Key ? [{ Key: o.Key }] : [],
        );
        if (keys.length === 0) break;
        await client.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys } }));
      }
      await client.send(new DeleteBucketCommand({ Bucket: bucket }));
    } catch {
      // The bucket was never created (the gateway did not start): nothing to clean.
    } finally {
      client.destroy();
    }
    if (work) rmSync(work, { recursive: true, force: true });
  }, 60_000);

  it('forwards every CT instance the gateway received, data sets byte for byte, and counts them on /metrics', async () => {
    const outbox = join(work, 'outbox');
    mkdirSync(outbox);
    const study = { studyInstanceUid: generateUid(), seriesInstanceUid: generateUid() };
    const sent = new Map<string, Buffer>();
    for (let i = 0; i < INSTANCES; i++) {
      const sop = generateUid();
      const file = ctInstanceFile({
        ...study,
        sopInstanceUid: sop,
        instanceNumber: i + 1,
        rows: 32,
        columns: 32,
        pixelData: Buffer.alloc(32 * 32 * 2, i + 1),
      });
      writeFileSync(join(outbox, `${i}.dcm`), file);
      sent.set(sop, datasetOf(file));
    }
    await run('storescu', ['-aet', 'CT1', '-aec', 'PACS', '127.0.0.1', dicomPort, '+sd', outbox], dcmtk);
    const deadline = Date.now() + 120_000;
    while (received(storeDir).size < INSTANCES) {
      if (Date.now() > deadline) {
        throw new Error(`${received(storeDir).size} of ${INSTANCES} forwarded\n${logs()}\n${storescp.output()}`);
      }
      await sleep(200);
    }
    const arrived = received(storeDir);
    expect([...arrived.keys()].sort()).toEqual([...sent.keys()].sort());
    for (const [sop, dataset] of sent) expect(arrived.get(sop)?.equals(dataset)).toBe(true);
    const metrics = await (await fetch(`${apps[2]!.baseUrl}/metrics`)).text();
    expect(metrics).toMatch(
      new RegExp(
        `pacs_forward_instances_total\\{[^}]*destination="archive"[^}]*outcome="confirmed"[^}]*\\} ${INSTANCES}\\b`,
      ),
    );
  }, 180_000);
});
