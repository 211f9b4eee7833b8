// Test support: Debian's Orthanc, a DICOM and DICOMweb peer nobody here wrote, started on free
// loopback ports with a generated configuration.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './app-process';

/** Polls `check` until it holds (a child started and answers), failing with its output if it exits or 30 s pass. */
export async function waitForChild(
  what: string,
  check: () => Promise<boolean>,
  output: () => string,
  child: ChildProcess,
): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${what} exited (${child.exitCode}):\n${output()}`);
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`${what} did not start within 30 s:\n${output()}`);
}

/** SIGTERM, then SIGKILL after 5 s; resolves once the child has exited. */
export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

/** A running DCMTK storescp. */
export const ORTHANC = '/usr/sbin/Orthanc';

/** An HTTP Basic Authorization header value (RFC 7617). */
export function basicAuthorization(name: string, password: string): string {
  return `Basic ${Buffer.from(`${name}:${password}`).toString('base64')}`;
}

/** The DICOMweb plugin, from the file list of Debian's orthanc-dicomweb package. */
function orthancDicomWebPlugin(): string {
  const listed = spawnSync('dpkg', ['-L', 'orthanc-dicomweb'], { encoding: 'utf8' });
  const plugin = (listed.stdout ?? '').split('\n').find((path) => /\/plugins\/libOrthancDicomWeb\.so$/.test(path));
  if (listed.status !== 0 || !plugin) {
    throw new Error(
      "Orthanc's DICOMweb plugin is missing: install Debian's orthanc-dicomweb (apt-get install orthanc-dicomweb)",
    );
  }
  return plugin;
}

/** A running Orthanc. */
export interface Orthanc {
  /** REST API root, e.g. http://127.0.0.1:8042. */
  readonly base: string;
  /** The STOW-RS URL of its DICOMweb plugin. */
  readonly stowUrl: string;
  readonly dicomPort: number;
  readonly aeTitle: string;
  output(): string;
  /** The Part 10 file Orthanc holds for a SOP Instance UID (REST /tools/find, /instances/{id}/file). */
  file(sopInstanceUid: string): Promise<Buffer | undefined>;
  stop(): Promise<void>;
}

/**
 * Debian's Orthanc with a generated configuration in a temporary folder: loopback only, its
 * DICOMweb plugin at /dicom-web/, AE title ORTHANC, on free ports; HTTP Basic authentication with
 * `user` when given (the helpers below use it), none otherwise.
 */
export async function startOrthanc(options: { user?: { name: string; password: string } } = {}): Promise<Orthanc> {
  if (!existsSync(ORTHANC))
    throw new Error(`${ORTHANC} is missing: install Debian's orthanc (apt-get install orthanc)`);
  const plugin = orthancDicomWebPlugin();
  const dir = mkdtempSync(join(tmpdir(), 'routing-orthanc-'));
  const storage = join(dir, 'storage');
  mkdirSync(storage);
  const httpPort = await freePort();
  const dicomPort = await freePort();
  const config = {
    Name: 'ROUTING-TEST',
    StorageDirectory: storage,
    IndexDirectory: storage,
    StorageCompression: false,
    DicomAet: 'ORTHANC',
    DicomPort: dicomPort,
    HttpPort: httpPort,
    RemoteAccessAllowed: false,
    AuthenticationEnabled: options.user !== undefined,
    ...(options.user ? { RegisteredUsers: { [options.user.name]: options.user.password } } : {}),
    DicomCheckCalledAet: false,
    Plugins: [plugin],
    DicomWeb: { Enable: true, Root: '/dicom-web/' },
  };
  const configPath = join(dir, 'orthanc.json');
  writeFileSync(configPath, JSON.stringify(config, null, 2));
  const child = spawn(ORTHANC, [configPath], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (output += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (output += d));
  const base = `http://127.0.0.1:${httpPort}`;
  const headers: Record<string, string> = options.user
    ? { Authorization: basicAuthorization(options.user.name, options.user.password) }
    : {};
  const up = () =>
    fetch(`${base}/system`, { headers }).then(
      (response) => response.ok,
      () => false,
    );
  await waitForChild('Orthanc', up, () => output, child);
  return {
    base,
    stowUrl: `${base}/dicom-web/studies`,
    dicomPort,
    aeTitle: 'ORTHANC',
    output: () => output,
    file: async (sopInstanceUid) => {
      const found = await fetch(`${base}/tools/find`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ Level: 'Instance', Query: { SOPInstanceUID: sopInstanceUid } }),
      });
      const ids = (await found.json()) as string[];
      if (ids.length === 0) return undefined;
      const response = await fetch(`${base}/instances/${ids[0]}/file`, { headers });
      return Buffer.from(await response.arrayBuffer());
    },
    stop: async () => {
      await stopChild(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
