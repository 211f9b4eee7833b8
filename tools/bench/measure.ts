// How each path is driven (DCMTK storescu for C-STORE, an HTTP client in this process for
// STOW-RS) and what the server used (peak RSS, CPU time, from /proc).
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createReadStream, readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { spawnChild } from './children';

/** Flags of every storescu run besides the AE titles, address and inputs. */
export const STORESCU_FLAGS = ['-R'];

export interface StorescuRun {
  readonly seconds: number;
  readonly exitCode: number | null;
  readonly output: string;
}

/**
 * One storescu process, one association, every input sent in turn; timed from spawn to exit.
 * `inputs` are files, or folders (scanned with +sd +r). TCP_NODELAY=1, or each C-STORE waits for
 * a delayed ACK.
 */
export async function runStorescu(
  target: { port: number; aeTitle: string },
  inputs: { files?: readonly string[]; dir?: string },
  timeoutMs: number,
): Promise<StorescuRun> {
  const args = [
    ...STORESCU_FLAGS,
    '-aet',
    'BENCH',
    '-aec',
    target.aeTitle,
    ...(inputs.dir ? ['+sd', '+r'] : []),
    '127.0.0.1',
    String(target.port),
    ...(inputs.dir ? [inputs.dir] : (inputs.files ?? [])),
  ];
  const started = process.hrtime.bigint();
  const child = spawnChild('storescu', args, { TCP_NODELAY: '1' });
  const timer = setTimeout(() => child.process.kill('SIGKILL'), timeoutMs);
  const { code } = await child.exited;
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  clearTimeout(timer);
  return { seconds, exitCode: code, output: child.output() };
}

/** One STOW-RS request body: multipart/related; type="application/dicom", one part per file. */
export interface StowBody {
  readonly contentType: string;
  readonly body: Buffer;
  readonly instances: number;
}

function boundary(): string {
  return `bench-${randomBytes(12).toString('hex')}`;
}

const partHeader = (b: string) => Buffer.from(`--${b}\r\nContent-Type: application/dicom\r\n\r\n`, 'latin1');
const contentType = (b: string) => `multipart/related; type="application/dicom"; boundary=${b}`;

/** The request bodies for `files`, `perRequest` instances each (built before timing). */
export function buildStowBodies(files: readonly string[], perRequest: number): StowBody[] {
  const bodies: StowBody[] = [];
  for (let i = 0; i < files.length; i += perRequest) {
    bodies.push(stowBodyOf(files.slice(i, i + perRequest).map((file) => readFileSync(file))));
  }
  return bodies;
}

/** One request body of these Part 10 files. */
export function stowBodyOf(files: readonly Buffer[]): StowBody {
  const b = boundary();
  const parts: Buffer[] = [];
  for (const file of files) parts.push(partHeader(b), file, Buffer.from('\r\n'));
  parts.push(Buffer.from(`--${b}--\r\n`, 'latin1'));
  return { contentType: contentType(b), body: Buffer.concat(parts), instances: files.length };
}

export interface StowRun {
  readonly seconds: number;
  /** Requests not answered 200, with the first few answers. */
  readonly failures: number;
  readonly firstFailure?: string;
}

/** Sends the bodies one after the other (one request in flight), each answer must be 200. */
export async function runStow(url: string, bodies: readonly StowBody[], timeoutMs: number): Promise<StowRun> {
  let failures = 0;
  let firstFailure: string | undefined;
  const started = process.hrtime.bigint();
  for (const { contentType, body } of bodies) {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'Content-Type': contentType, Accept: 'application/dicom+json' },
      body,
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await response.text();
    if (response.status !== 200) {
      failures++;
      firstFailure ??= `${response.status} ${text.slice(0, 500)}`;
    }
  }
  return { seconds: Number(process.hrtime.bigint() - started) / 1e9, failures, firstFailure };
}

/** One STOW-RS request of one file, the body streamed from disk (never whole in memory). */
export async function runStowStreamed(url: string, file: string, timeoutMs: number): Promise<StowRun> {
  const b = boundary();
  async function* body(): AsyncGenerator<Buffer> {
    yield partHeader(b);
    for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) yield chunk as Buffer;
    yield Buffer.from(`\r\n--${b}--\r\n`, 'latin1');
  }
  const started = process.hrtime.bigint();
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': contentType(b), Accept: 'application/dicom+json' },
    body: Readable.toWeb(Readable.from(body())) as ReadableStream<Uint8Array>,
    duplex: 'half',
    signal: AbortSignal.timeout(timeoutMs),
  } as RequestInit);
  const text = await response.text();
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return response.status === 200
    ? { seconds, failures: 0 }
    : { seconds, failures: 1, firstFailure: `${response.status} ${text.slice(0, 500)}` };
}

const CLOCK_TICKS = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

/** VmHWM and utime+stime of a live process, from /proc. */
export function processUsage(pid: number): { peakRssBytes: number; cpuSeconds: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const hwm = /^VmHWM:\s+(\d+) kB/m.exec(status);
  // Fields after the command name (which may hold spaces): utime and stime are fields 14 and 15.
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return { peakRssBytes: Number(hwm?.[1] ?? 0) * 1024, cpuSeconds: ticks / CLOCK_TICKS };
}
