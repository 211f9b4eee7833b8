// The servers under test, each started fresh on loopback with its own temporary storage, stopped
// and deleted after each measurement.
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { removeTempDir, ROOT, spawnChild, stopChild, tempDir, type Child } from './children';
import { processUsage } from './measure';

/** `pacs-unaudited`: this PACS with PACS_AUDIT_ENABLED=false, to measure what auditing costs. */
export type TargetName = 'pacs' | 'pacs-unaudited' | 'orthanc' | 'storescp';

export interface Target {
  readonly name: TargetName;
  readonly pid: number;
  readonly dicom: { readonly port: number; readonly aeTitle: string };
  /** STOW-RS URL (POST), when the target has one. */
  readonly stowUrl?: string;
  /** DICOMweb root (no trailing slash), when the target has one: QIDO-RS and WADO-RS below it. */
  readonly dicomWebBase?: string;
  /** Instances stored so far. */
  count(): Promise<number>;
  /** Files the target stored (pacs and storescp: its storage folder). */
  storedFiles(): string[];
  /**
   * This PACS: rows of the table audit_records in `<data>/audit.sqlite` (opened read-only), 0 when
   * the file or table does not exist. Call before stop(), which deletes the data folder.
   */
  auditRecords?(): number;
  /** Peak resident set size (VmHWM) in bytes, and CPU seconds used, of the server process. */
  usage(): { peakRssBytes: number; cpuSeconds: number };
  /** Stops the process (SIGTERM, then SIGKILL) and deletes its storage. */
  stop(): Promise<void>;
}

const START_TIMEOUT_MS = 60_000;

// --- helpers -----------------------------------------------------------------------------------

/** A TCP port free on loopback at the time of the call. */
export async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** Polls until `ready` resolves true, or fails with the child's output after the timeout. */
async function waitUntil(child: Child, what: string, ready: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.process.exitCode !== null || child.process.signalCode !== null) break;
    if (await ready().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} was not ready within ${START_TIMEOUT_MS / 1000} s\n${child.output()}`);
}

const httpOk = (url: string) => async () => (await fetch(url, { signal: AbortSignal.timeout(2000) })).status === 200;

/** Every file under a folder, recursively, whose name ends with `suffix`. */
export function filesUnder(dir: string, suffix = ''): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names.flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path, suffix) : name.endsWith(suffix) ? [path] : [];
  });
}

// --- this PACS, embedded shape -----------------------------------------------------------------

export interface PacsBuild {
  /** The built entry point, dist/apps/pacs/src/main.js. */
  readonly main: string;
  /** What was built: a commit, with "+ uncommitted changes" for a dirty working tree. */
  readonly revision: string;
}

const git = (args: string[], cwd = ROOT) => execFileSync('git', args, { cwd, encoding: 'utf8' }).trim();

/**
 * `npm run build`: of the working tree as it is, or (with `ref`) of a committed revision exported
 * with `git archive` into the cache, so that edits in progress in the working tree do not matter.
 */
export function buildPacs(ref: string | undefined, cacheRoot: string): PacsBuild {
  if (ref === undefined) {
    execFileSync('npm', ['run', 'build', '--silent'], { cwd: ROOT, stdio: 'inherit' });
    const dirty = git(['status', '--porcelain', '--', 'apps', 'libs']) !== '';
    const revision = `${git(['rev-parse', '--short', 'HEAD'])}${dirty ? ' + uncommitted changes in apps/ or libs/' : ''}`;
    return { main: join(ROOT, 'dist/apps/pacs/src/main.js'), revision };
  }
  const sha = git(['rev-parse', '--verify', `${ref}^{commit}`]);
  const dir = join(cacheRoot, `build-${sha.slice(0, 12)}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  execFileSync('sh', ['-c', `git archive "${sha}" | tar -x -C "${dir}"`], { cwd: ROOT, stdio: 'inherit' });
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  execFileSync('npm', ['run', 'build', '--silent'], { cwd: dir, stdio: 'inherit' });
  return { main: join(dir, 'dist/apps/pacs/src/main.js'), revision: `${sha.slice(0, 7)} (${ref})` };
}

/**
 * `node dist/apps/pacs/src/main.js` (built by buildPacs), as `npm start` runs it; on empty storage
 * in a temporary folder, or on `dataDir` (the caller's: not deleted by stop()). `audit: false`
 * starts it with PACS_AUDIT_ENABLED=false (every audit event dropped): the target `pacs-unaudited`.
 */
export async function startPacs(
  main: string,
  options: { cpuProfileDir?: string; dataDir?: string; audit?: boolean } = {},
): Promise<Target> {
  const audit = options.audit ?? true;
  const dir = tempDir('pacs');
  const dataDir = options.dataDir ?? join(dir, 'data');
  const httpPort = await freePort();
  const dicomPort = await freePort();
  const args = [
    '--disable-warning=ExperimentalWarning',
    ...(options.cpuProfileDir ? ['--cpu-prof', `--cpu-prof-dir=${options.cpuProfileDir}`] : []),
    main,
  ];
  const child = spawnChild(process.execPath, args, {
    PACS_DATA_DIR: dataDir,
    PACS_HTTP_PORT: String(httpPort),
    PACS_DICOM_PORT: String(dicomPort),
    PACS_LOG_LEVEL: 'warn',
    // Set either way, so that a PACS_AUDIT_ENABLED of the calling shell does not decide.
    PACS_AUDIT_ENABLED: String(audit),
  });
  const base = `http://127.0.0.1:${httpPort}`;
  await waitUntil(child, 'pacs /health/ready', httpOk(`${base}/health/ready`));
  const blobs = join(dataDir, 'blobs', 'hot', 'default');
  return {
    name: audit ? 'pacs' : 'pacs-unaudited',
    pid: child.process.pid!,
    dicom: { port: dicomPort, aeTitle: 'PACS' },
    stowUrl: `${base}/dicomweb/studies`,
    dicomWebBase: `${base}/dicomweb`,
    count: async () => filesUnder(blobs, '.dcm').length,
    storedFiles: () => filesUnder(blobs, '.dcm'),
    auditRecords: () => countAuditRecords(join(dataDir, 'audit.sqlite')),
    usage: () => processUsage(child.process.pid!),
    stop: async () => {
      await stopChild(child);
      removeTempDir(dir);
    },
  };
}

/** Rows of audit_records in an audit file (read-only; the PACS may be writing it), 0 without one. */
function countAuditRecords(file: string): number {
  if (!existsSync(file)) return 0;
  // Required here: node:sqlite warns that it is experimental once loaded, and only this needs it.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { DatabaseSync } = require('node:sqlite') as typeof import('node:sqlite');
  const db = new DatabaseSync(file, { readOnly: true, timeout: 5000 });
  try {
    const hasTable = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'audit_records'").get();
    if (!hasTable) return 0;
    const row = db.prepare('SELECT COUNT(*) AS n FROM audit_records').get() as { n: number };
    return Number(row.n);
  } finally {
    db.close();
  }
}

// --- Orthanc (Debian package) ------------------------------------------------------------------

export const ORTHANC = '/usr/sbin/Orthanc';

/** The DICOMweb plugin's path, from the orthanc-dicomweb package's file list. */
export function orthancDicomWebPlugin(): string {
  const files = execFileSync('dpkg', ['-L', 'orthanc-dicomweb'], { encoding: 'utf8' }).split('\n');
  const plugin =
    files.find((f) => /\/plugins\/libOrthancDicomWeb\.so$/.test(f)) ??
    files.find((f) => /libOrthancDicomWeb\.so/.test(f));
  if (!plugin) throw new Error('orthanc-dicomweb installs no libOrthancDicomWeb.so');
  return plugin;
}

/**
 * Orthanc with a generated configuration: SQLite index, fsync'ed storage (its defaults), DICOMweb;
 * on empty storage in a temporary folder, or on `storageDir` (the caller's: not deleted by
 * stop()), with `config` merged over the generated configuration.
 */
export async function startOrthanc(
  plugin: string,
  options: { storageDir?: string; config?: Record<string, unknown> } = {},
): Promise<Target> {
  const dir = tempDir('orthanc');
  const httpPort = await freePort();
  const dicomPort = await freePort();
  const storage = options.storageDir ?? join(dir, 'storage');
  mkdirSync(storage, { recursive: true });
  const config = {
    Name: 'BENCH',
    StorageDirectory: storage,
    IndexDirectory: storage,
    StorageCompression: false,
    DicomAet: 'ORTHANC',
    DicomPort: dicomPort,
    HttpPort: httpPort,
    RemoteAccessAllowed: false,
    AuthenticationEnabled: false,
    DicomCheckCalledAet: false,
    Plugins: [plugin],
    DicomWeb: { Enable: true, Root: '/dicom-web/' },
    ...options.config,
  };
  const configPath = join(dir, 'orthanc.json');
  writeFileSync(configPath, JSON.stringify(config, null, 2));
  // TCP_NODELAY for its DCMTK network layer, as for storescu and storescp.
  const child = spawnChild(ORTHANC, [configPath], { TCP_NODELAY: '1' }, dir);
  const base = `http://127.0.0.1:${httpPort}`;
  await waitUntil(child, 'Orthanc /system', httpOk(`${base}/system`));
  return {
    name: 'orthanc',
    pid: child.process.pid!,
    dicom: { port: dicomPort, aeTitle: 'ORTHANC' },
    stowUrl: `${base}/dicom-web/studies`,
    dicomWebBase: `${base}/dicom-web`,
    count: async () => {
      const stats = (await (await fetch(`${base}/statistics`)).json()) as { CountInstances: number };
      return stats.CountInstances;
    },
    storedFiles: () => [],
    usage: () => processUsage(child.process.pid!),
    stop: async () => {
      await stopChild(child);
      removeTempDir(dir);
    },
  };
}

// --- DCMTK storescp: bytes to disk, no index ---------------------------------------------------

/** Flags given to storescp besides the output folder, AE title and port. */
export const STORESCP_FLAGS = ['+B'];

export async function startStorescp(): Promise<Target> {
  const dir = tempDir('storescp');
  const port = await freePort();
  const child = spawnChild('storescp', [...STORESCP_FLAGS, '-od', dir, '-aet', 'STORESCP', String(port)], {
    TCP_NODELAY: '1',
  });
  // Ready once it answers C-ECHO.
  await waitUntil(child, 'storescp', async () => {
    const echo = spawnChild('echoscu', ['-aet', 'BENCH', '-aec', 'STORESCP', '-to', '2', '127.0.0.1', String(port)]);
    return (await echo.exited).code === 0;
  });
  return {
    name: 'storescp',
    pid: child.process.pid!,
    dicom: { port, aeTitle: 'STORESCP' },
    count: async () => readdirSync(dir).length,
    storedFiles: () => readdirSync(dir).map((f) => join(dir, f)),
    usage: () => processUsage(child.process.pid!),
    stop: async () => {
      await stopChild(child);
      removeTempDir(dir);
    },
  };
}

/** Whether a command can be run (found on PATH or at its path). */
export function hasCommand(command: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v "${command}"`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
