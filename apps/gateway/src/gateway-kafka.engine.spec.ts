import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  DeleteBucketCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  S3Client,
} from '@aws-sdk/client-s3';
import { InstanceStoredV1, type InstanceStoredEvent } from '@pacs/contracts';
import { generateUid, readPart10 } from '@pacs/dicom';
import { CT_IMAGE_STORAGE, ctInstanceFile } from '@pacs/dicom/testing';
import { withoutTrailingPadding } from '@pacs/dimse/testing';
import {
  engineEnv,
  freePort,
  startApp,
  uniqueName,
  waitForStatus,
  type AppProcess,
  filesUnder,
  datasetOf,
} from '@pacs/testing';
import { Kafka, logLevel } from 'kafkajs';

const run = promisify(execFile);
const dcmtk = { env: { ...process.env, TCP_NODELAY: '1' }, timeout: 60_000 };
const INSTANCES = 20;
const EXPLICIT_VR_LITTLE_ENDIAN = '1.2.840.10008.1.2.1';
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/** Where the gateway's hot tier is, read with a client of its own (not the product's adapters). */
interface HotTier {
  /** The object's bytes. */
  read(key: string): Promise<Buffer>;
  /** The keys under a prefix. */
  keys(prefix: string): Promise<string[]>;
  cleanup(): Promise<void>;
}

const s3 = () =>
  new S3Client({
    endpoint: engineEnv('PACS_S3_ENDPOINT'),
    region: engineEnv('PACS_S3_REGION'),
    forcePathStyle: true,
    credentials: {
      accessKeyId: engineEnv('PACS_S3_ACCESS_KEY_ID'),
      secretAccessKey: engineEnv('PACS_S3_SECRET_ACCESS_KEY'),
    },
  });

const stores: Record<string, (dataDir: string) => { env: Record<string, string>; tier: HotTier }> = {
  'the filesystem hot tier': (dataDir) => {
    const root = join(dataDir, 'blobs', 'hot');
    return {
      env: {},
      tier: {
        read: async (key) => readFileSync(join(root, key)),
        // A key prefix, as S3 lists it: the files under the prefix's folder whose key starts with it.
        keys: async (prefix) =>
          filesUnder(join(root, prefix.slice(0, prefix.lastIndexOf('/') + 1)))
            .map((file) => file.slice(root.length + 1).replaceAll('\\', '/'))
            .filter((key) => key.startsWith(prefix)),
        cleanup: async () => undefined,
      },
    };
  },
  'the S3 hot tier': () => {
    const bucket = uniqueName('pacs-gateway').toLowerCase().slice(0, 60);
    const client = s3();
    const list = async (prefix: string) =>
      ((await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }))).Contents ?? []).flatMap(
        (object) => (object.Key ? [object.Key] : []),
      );
    return {
      env: {
        PACS_BLOB_STORE: 's3',
        PACS_S3_ENDPOINT: engineEnv('PACS_S3_ENDPOINT'),
        PACS_S3_REGION: engineEnv('PACS_S3_REGION'),
        PACS_S3_ACCESS_KEY_ID: engineEnv('PACS_S3_ACCESS_KEY_ID'),
        PACS_S3_SECRET_ACCESS_KEY: engineEnv('PACS_S3_SECRET_ACCESS_KEY'),
        PACS_S3_FORCE_PATH_STYLE: 'true',
        PACS_S3_BUCKET: bucket,
      },
      tier: {
        read: async (key) => {
          const object = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
          return Buffer.from(await object.Body!.transformToByteArray());
        },
        keys: list,
        cleanup: async () => {
          try {
            for (let keys = await list(''); keys.length > 0; keys = await list('')) {
              await client.send(
                new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys.map((Key) => ({ Key })) } }),
              );
            }
            await client.send(new DeleteBucketCommand({ Bucket: bucket }));
          } finally {
            client.destroy();
          }
        },
      },
    };
  },
};

/**
 * Reads `pacs.instance.stored.v1` from the earliest offset in a fresh consumer group, as any other
 * consumer would (kafkajs, the schema of @pacs/contracts), until every wanted SOP Instance UID has
 * an event or the time is up. The topic is shared with other runs: events of other instances are
 * left aside.
 */
async function storedEvents(
  wanted: ReadonlySet<string>,
  timeoutMs: number,
): Promise<{ event: InstanceStoredEvent; key: string }[]> {
  const kafka = new Kafka({
    clientId: uniqueName('gateway-test'),
    brokers: engineEnv('PACS_KAFKA_BROKERS').split(','),
    logLevel: logLevel.NOTHING,
  });
  const consumer = kafka.consumer({
    groupId: uniqueName('gateway-test'),
    sessionTimeout: 6000,
    heartbeatInterval: 500,
    rebalanceTimeout: 6000,
    maxWaitTimeInMs: 500,
  });
  const found: { event: InstanceStoredEvent; key: string }[] = [];
  const seen = new Set<string>();
  await consumer.connect();
  try {
    await consumer.subscribe({ topic: InstanceStoredV1.name, fromBeginning: true });
    let done: () => void = () => undefined;
    const complete = new Promise<void>((resolve) => (done = resolve));
    await consumer.run({
      eachMessage: async ({ message }) => {
        const event = InstanceStoredV1.schema.parse(JSON.parse(message.value!.toString('utf8')));
        if (!wanted.has(event.sopInstanceUid)) return;
        found.push({ event, key: message.key!.toString('utf8') });
        seen.add(event.sopInstanceUid);
        if (seen.size === wanted.size) done();
      },
    });
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([complete, new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
    clearTimeout(timer);
  } finally {
    await consumer.disconnect();
  }
  return found;
}

// The gateway as its own process (distributed shape) on Kafka and Redis, with its hot tier on the
// filesystem or on S3: a modality sends a series with storescu; the instance.stored events on Kafka
// announce each instance once, pointing at the object that holds exactly the bytes sent.
describe.each(Object.keys(stores))('gateway app on Kafka, with %s', (storeName) => {
  let work: string;
  let app: AppProcess | undefined;
  let tier: HotTier;
  let dicomPort: string;

  beforeAll(async () => {
    await run('which', ['storescu']).catch(() => {
      throw new Error('storescu is missing: install DCMTK (apt-get install dcmtk)');
    });
    work = mkdtempSync(join(tmpdir(), 'pacs-gateway-'));
    const dataDir = join(work, 'data');
    const store = stores[storeName]!(dataDir);
    tier = store.tier;
    dicomPort = String(await freePort());
    app = startApp('gateway', {
      PACS_DATA_DIR: dataDir,
      PACS_HTTP_PORT: String(await freePort()),
      PACS_DICOM_PORT: dicomPort,
      PACS_KAFKA_BROKERS: engineEnv('PACS_KAFKA_BROKERS'),
      PACS_KAFKA_PARTITIONS: '3',
      PACS_REDIS_URL: engineEnv('PACS_REDIS_URL'),
      PACS_REDIS_KEY_PREFIX: `${uniqueName('gateway')}:`,
      PACS_MONGODB_URL: engineEnv('PACS_MONGODB_URL'),
      PACS_MONGODB_DATABASE: uniqueName('gateway').replace(/[^a-z0-9]/gi, '_'),
      ...store.env,
    });
    await waitForStatus(app, '/health/ready', 200, 60_000);
  }, 90_000);

  it('answers QIDO-RS from the shared metadata index (empty until an indexer has run)', async () => {
    const response = await fetch(`${app!.baseUrl}/dicomweb/studies?PatientID=nobody`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/dicom\+json/);
    expect(await response.json()).toEqual([]);
  });

  afterAll(async () => {
    if (app && app.child.exitCode === null && app.child.signalCode === null) {
      app.child.kill('SIGTERM');
      await app.exited();
    }
    await tier?.cleanup();
    if (work) rmSync(work, { recursive: true, force: true });
  }, 60_000);

  it('publishes one instance.stored event per instance received, naming the object that holds its bytes', async () => {
    const outbox = join(work, 'outbox');
    mkdirSync(outbox);
    const study = { studyInstanceUid: generateUid(), seriesInstanceUid: generateUid() };
    const patientId = `PAT-${Date.now().toString(36)}`;
    const sent = new Map<string, Buffer>();
    for (let i = 0; i < INSTANCES; i += 1) {
      const generated = join(work, `generated-${i}.dcm`);
      const pixelData = Buffer.alloc(256 * 256 * 2, i + 1);
      writeFileSync(
        generated,
        ctInstanceFile({ ...study, patientId, instanceNumber: i + 1, rows: 256, columns: 256, pixelData }),
      );
      // DCMTK re-encodes what it sends: the reference is dcmconv's encoding, which -xe sends as it is.
      const converted = join(outbox, `${i}.dcm`);
      await run('dcmconv', ['+te', generated, converted], dcmtk);
      const bytes = readFileSync(converted);
      const read = readPart10(bytes);
      if (read.status !== 'complete') throw new Error(`dcmconv wrote an unreadable ${converted}`);
      sent.set(read.dataset.string('SOPInstanceUID')!, withoutTrailingPadding(datasetOf(bytes), true));
    }
    await run('storescu', ['-xe', '-aet', 'MODALITY1', '-aec', 'PACS', '127.0.0.1', dicomPort, '+sd', outbox], dcmtk);

    const received = await storedEvents(new Set(sent.keys()), 60_000);
    // One event per instance, no more: the SOP Instance UIDs are those sent, each once.
    expect(received.map(({ event }) => event.sopInstanceUid).sort()).toEqual([...sent.keys()].sort());
    // One association: its events share a correlation id.
    expect(new Set(received.map(({ event }) => event.correlationId)).size).toBe(1);
    for (const { event, key } of received) {
      const sop = event.sopInstanceUid;
      expect(key).toBe(`default/${study.studyInstanceUid}`);
      expect(event).toMatchObject({
        tenantId: 'default',
        studyInstanceUid: study.studyInstanceUid,
        seriesInstanceUid: study.seriesInstanceUid,
        sopClassUid: CT_IMAGE_STORAGE,
        transferSyntaxUid: EXPLICIT_VR_LITTLE_ENDIAN,
        version: 1,
        source: { protocol: 'DIMSE', callingAeTitle: 'MODALITY1', calledAeTitle: 'PACS' },
        blob: { tier: 'hot' },
      });
      expect(event.attributes['00100020']).toEqual({ vr: 'LO', Value: [patientId] });
      expect(event.blob.key.startsWith(`default/${study.studyInstanceUid}/${study.seriesInstanceUid}/${sop}/`)).toBe(
        true,
      );
      // The object the event names: its size and digest are the event's, its data set is what was sent.
      const object = await tier.read(event.blob.key);
      expect({ sop, size: object.length, sha256: sha256(object) }).toEqual({
        sop,
        size: event.blob.size,
        sha256: event.blob.sha256,
      });
      expect(datasetOf(object).equals(sent.get(sop)!)).toBe(true);
      // And it is the only copy of the instance.
      expect(await tier.keys(`default/${study.studyInstanceUid}/${study.seriesInstanceUid}/${sop}/`)).toEqual([
        event.blob.key,
      ]);
    }
  }, 180_000);
});
