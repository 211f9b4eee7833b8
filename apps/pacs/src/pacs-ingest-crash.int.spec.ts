import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  watch,
  writeFileSync,
  type FSWatcher,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { DatabaseSync } from 'node:sqlite';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { InstanceStoredV1, type InstanceStoredEvent } from '@pacs/contracts';
import { generateUid, readPart10 } from '@pacs/dicom';
import { ctInstanceFile } from '@pacs/dicom/testing';
import { withoutTrailingPadding } from '@pacs/dimse/testing';
import { freePort, startApp, waitForStatus, type AppProcess, filesUnder, datasetOf } from '@pacs/testing';

const run = promisify(execFile);
const dcmtkEnv = { ...process.env, TCP_NODELAY: '1' };
const INSTANCES = 150;
const SIZE = 512;
const SUCCESS = 'Received Store Response (Success)';

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/**
 * Runs storescu -v and calls `onSuccess` with the count of success responses as they arrive
 * (storescu flushes each log line). Resolves with the exit code and the whole output once it ends;
 * a run that outlives `timeoutMs` is killed.
 */
function storescu(
  args: readonly string[],
  onSuccess: (count: number) => void = () => undefined,
  timeoutMs = 120_000,
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('storescu', ['-v', ...args], { env: dcmtkEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    let successes = 0;
    const onData = (data: string) => {
      output += data;
      const count = output.split(SUCCESS).length - 1;
      if (count !== successes) {
        successes = count;
        onSuccess(count);
      }
    };
    child.stdout.setEncoding('utf8').on('data', onData);
    child.stderr.setEncoding('utf8').on('data', onData);
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

/**
 * The files that got a success C-STORE response, from storescu -v's log: each "Sending file: <path>"
 * line is followed by "Received Store Response (<status>)" when a response came back.
 */
function acknowledgedFiles(output: string): Set<string> {
  const acknowledged = new Set<string>();
  let current: string | undefined;
  for (const line of output.split('\n')) {
    const sending = /Sending file: (.+)$/.exec(line);
    if (sending) current = sending[1]!.trim();
    else if (line.includes(SUCCESS) && current !== undefined) {
      acknowledged.add(current);
      current = undefined;
    }
  }
  return acknowledged;
}

// The durability rule (ARCHITECTURE.md) as a user checks it: the all-in-one process is SIGKILLed
// while a modality sends a series; after a restart, every instance that was acknowledged is on
// disk, intact, exactly once, and announced in the event log; sending the series again completes it.
describe('pacs process: SIGKILL during a C-STORE run', () => {
  let work: string;
  let dataDir: string;
  let outbox: string;
  let app: AppProcess | undefined;
  /** SOP Instance UID → what storescu sends: the data set of the dcmconv'd file, hashed. */
  const reference = new Map<string, { study: string; series: string; file: string; sha256: string }>();
  const sopOfFile = new Map<string, string>();

  const appEnv = async () => ({
    PACS_DATA_DIR: dataDir,
    PACS_HTTP_PORT: String(await freePort()),
    PACS_DICOM_PORT: String(await freePort()),
  });
  const portOf = new Map<AppProcess, string>();
  async function start(): Promise<AppProcess> {
    const env = await appEnv();
    const started = startApp('pacs', env);
    app = started;
    portOf.set(started, env.PACS_DICOM_PORT);
    await waitForStatus(started, '/health/ready', 200, 30_000);
    return started;
  }

  /** The stored copies of one instance in the default tenant's hot tier. */
  const copiesOf = (sop: string) => {
    const { study, series } = reference.get(sop)!;
    return filesUnder(join(dataDir, 'blobs', 'hot', 'default', study, series, sop));
  };

  beforeAll(async () => {
    for (const tool of ['storescu', 'dcmconv']) {
      await run('which', [tool]).catch(() => {
        throw new Error(`${tool} is missing: install DCMTK (apt-get install dcmtk, or npm test's pretest does it)`);
      });
    }
    work = mkdtempSync(join(tmpdir(), 'pacs-crash-'));
    dataDir = join(work, 'data');
    const generated = join(work, 'generated');
    outbox = join(work, 'outbox');
    mkdirSync(generated);
    mkdirSync(outbox);
    // One CT series of distinct images (each its own pixel values).
    const study = { studyInstanceUid: generateUid(), seriesInstanceUid: generateUid() };
    for (let i = 0; i < INSTANCES; i += 1) {
      const pixelData = Buffer.alloc(SIZE * SIZE * 2, i % 251);
      pixelData.writeUInt32LE(i, 0);
      writeFileSync(
        join(generated, `${i}.dcm`),
        ctInstanceFile({ ...study, instanceNumber: i + 1, rows: SIZE, columns: SIZE, pixelData }),
      );
    }
    // DCMTK re-encodes what it sends (sequence lengths, no trailing padding): the reference is
    // dcmconv's encoding of each file, which storescu -xe then sends as it is.
    const names = readdirSync(generated);
    for (let i = 0; i < names.length; i += 16) {
      await Promise.all(
        names
          .slice(i, i + 16)
          .map((name) => run('dcmconv', ['+te', join(generated, name), join(outbox, name)], { env: dcmtkEnv })),
      );
    }
    for (const name of names) {
      const file = join(outbox, name);
      const bytes = readFileSync(file);
      const read = readPart10(bytes);
      if (read.status !== 'complete') throw new Error(`dcmconv wrote an unreadable ${file}`);
      const sop = read.dataset.string('SOPInstanceUID')!;
      sopOfFile.set(file, sop);
      reference.set(sop, {
        study: read.dataset.string('StudyInstanceUID')!,
        series: read.dataset.string('SeriesInstanceUID')!,
        file,
        sha256: sha256(withoutTrailingPadding(datasetOf(bytes), true)),
      });
    }
  }, 120_000);

  afterAll(async () => {
    if (app && app.child.exitCode === null && app.child.signalCode === null) {
      app.child.kill('SIGKILL');
      await app.exited();
    }
    if (work) rmSync(work, { recursive: true, force: true });
  }, 30_000);

  const files = () => [...reference.values()].map((r) => r.file).sort();
  const storescuArgs = (port: string) => ['-xe', '-aet', 'CT1', '-aec', 'PACS', '127.0.0.1', port, ...files()];

  it('keeps every acknowledged instance intact across a SIGKILL, and a second run completes the series', async () => {
    // 1. Send the series; once about half of it has been acknowledged, kill the process while it
    // writes the next instance (a write in progress shows as a file in the hot tier's temp folder).
    const first = await start();
    const hot = join(dataDir, 'blobs', 'hot');
    const half = Math.floor(INSTANCES / 2);
    let watcher: FSWatcher | undefined;
    let fallback: NodeJS.Timeout | undefined;
    const kill = () => {
      watcher?.close();
      clearTimeout(fallback);
      if (first.child.exitCode === null && first.child.signalCode === null) first.child.kill('SIGKILL');
    };
    const interrupted = await storescu(storescuArgs(portOf.get(first)!), (count) => {
      if (count < half || watcher) return;
      watcher = watch(join(hot, '.tmp'), kill);
      if (readdirSync(join(hot, '.tmp')).length > 0) kill();
      fallback = setTimeout(kill, 2_000);
    });
    kill();
    expect(await first.exited()).toEqual({ code: null, signal: 'SIGKILL' });
    expect(interrupted.code).not.toBe(0);
    const acknowledged = [...acknowledgedFiles(interrupted.output)].map((file) => sopOfFile.get(file)!);
    expect(acknowledged.length).toBeGreaterThanOrEqual(half);
    expect(acknowledged.length).toBeLessThan(INSTANCES);

    // 2. Restart on the same data folder.
    const second = await start();

    // 3. Every acknowledged instance: exactly one stored copy, whose data set is what was sent.
    for (const sop of acknowledged) {
      const copies = copiesOf(sop);
      expect({ sop, copies: copies.length }).toEqual({ sop, copies: 1 });
      expect({ sop, sha256: sha256(datasetOf(readFileSync(copies[0]!))) }).toEqual({
        sop,
        sha256: reference.get(sop)!.sha256,
      });
    }
    // Nothing half-written is visible: every file of the tenant is a complete instance in its own
    // folder (an instance in flight at the kill is either there whole or absent); the temp files
    // of writes the kill interrupted are gone after the restart.
    for (const file of filesUnder(join(hot, 'default'))) {
      const [study, series, sop, name, ...rest] = relative(join(hot, 'default'), file).split('/');
      expect(rest).toEqual([]);
      expect(name).toMatch(/^[^.].*\.dcm$/);
      expect(reference.get(sop!)).toMatchObject({ study, series });
      expect(sha256(datasetOf(readFileSync(file)))).toBe(reference.get(sop!)!.sha256);
    }
    expect(filesUnder(join(hot, '.tmp'))).toEqual([]);

    // 4. The modality sends the whole series again: the acknowledged ones are identical duplicates
    // (success, nothing changes), the rest are stored.
    const resent = await storescu(storescuArgs(portOf.get(second)!));
    expect({ code: resent.code, successes: resent.output.split(SUCCESS).length - 1 }).toEqual({
      code: 0,
      successes: INSTANCES,
    });
    for (const [sop, { sha256: expected }] of reference) {
      const copies = copiesOf(sop);
      expect({ sop, copies: copies.length }).toEqual({ sop, copies: 1 });
      expect({ sop, sha256: sha256(datasetOf(readFileSync(copies[0]!))) }).toEqual({ sop, sha256: expected });
    }
    expect(filesUnder(join(hot, 'default'))).toHaveLength(INSTANCES);

    // 5. Each instance is announced: the embedded event log (a SQLite file, read here as an operator
    // would, once the process has stopped) holds an instance.stored event for its stored copy.
    second.child.kill('SIGTERM');
    expect(await second.exited()).toEqual({ code: 0, signal: null });
    const log = new DatabaseSync(join(dataDir, 'events.sqlite'), { readOnly: true });
    const announced = new Map<string, InstanceStoredEvent>();
    try {
      const rows = log.prepare('SELECT value FROM messages WHERE topic = ?').all(InstanceStoredV1.name);
      for (const row of rows) {
        const event = InstanceStoredV1.schema.parse(JSON.parse(String(row.value)));
        announced.set(event.sopInstanceUid, event);
      }
    } finally {
      log.close();
    }
    // Every instance stored is announced, also one whose first copy the kill left written but
    // unannounced: the second run's duplicate announces the copy already there.
    const missing = [...reference.keys()].filter((sop) => !announced.has(sop));
    expect({ missing }).toEqual({ missing: [] });
    for (const [sop, event] of announced) {
      const [copy] = copiesOf(sop);
      expect(event).toMatchObject({
        tenantId: 'default',
        blob: { key: relative(hot, copy!), sha256: sha256(readFileSync(copy!)) },
      });
    }
  }, 240_000);
});
