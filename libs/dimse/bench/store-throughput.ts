// C-STORE throughput on one association: DCMTK storescu sending N files to our DimseServer
// (writing each data set to a file, with and without fsync) and to DCMTK storescp, run one after
// the other on the same files; then our DimseClient sending the same files to our server and to
// storescp.
//
//   node_modules/.bin/node -r ./tools/testing/register-ts.js libs/dimse/bench/store-throughput.ts <dir-of-dicom-files> [runs]
//
// Files: /usr/bin/python3 libs/dimse/bench/make-ct-files.py /tmp/dimse-bench/files 500 (0.5 MB CTs).
// The files should be of one SOP class in Implicit VR Little Endian: storescu is run with -xi so
// that no side converts anything. Not a test: it prints a table and asserts nothing.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, createWriteStream, fsyncSync, mkdirSync, openSync, readdirSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { DicomUid, DimseClient, DimseServer, DimseStatus } from '../src/index';
import { readPart10File } from '../src/testing/part10-file';

const env = { ...process.env, TCP_NODELAY: '1' };
const [, , filesDir = '/tmp/dimse-bench/files', runsArg = '3'] = process.argv;
const runs = Number(runsArg);
const outRoot = '/tmp/dimse-bench/out';
const files = readdirSync(filesDir)
  .filter((n) => n.endsWith('.dcm'))
  .map((n) => join(filesDir, n));

function freshDir(name: string): string {
  const dir = join(outRoot, name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  return dir;
}

function run(tool: string, args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(tool, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('close', (code) => resolve({ code, output }));
  });
}

async function timeStorescu(port: number): Promise<number> {
  const started = process.hrtime.bigint();
  const result = await run('storescu', ['-xi', '-aec', 'PACS', '127.0.0.1', String(port), '+sd', filesDir]);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (result.code !== 0) throw new Error(`storescu failed: ${result.output}`);
  return files.length / seconds;
}

async function timeOurClient(port: number, calledAeTitle: string, maxPduLength: number): Promise<number> {
  const first = readPart10File(files[0]!);
  const started = process.hrtime.bigint();
  const association = await DimseClient.connect({
    host: '127.0.0.1',
    port,
    callingAeTitle: 'BENCH',
    calledAeTitle,
    maxPduLength,
    presentationContexts: [{ abstractSyntax: first.sopClassUid, transferSyntaxes: [DicomUid.ImplicitVrLittleEndian] }],
  });
  for (const path of files) {
    // Read from disk each time, as storescu does.
    const file = readPart10File(path);
    const response = await association.store({
      sopClassUid: file.sopClassUid,
      sopInstanceUid: file.sopInstanceUid,
      dataset: file.dataset,
    });
    if (response.status !== 0) throw new Error(`status ${response.status}`);
  }
  await association.release();
  return files.length / (Number(process.hrtime.bigint() - started) / 1e9);
}

async function withOurServer<T>(
  options: { fsync: boolean; maxPduLength: number; writes?: 'stream' | 'sync' },
  body: (port: number) => Promise<T>,
): Promise<T> {
  const out = freshDir('ours');
  const server = new DimseServer({
    port: 0,
    maxPduLength: options.maxPduLength,
    onAssociationRequest: async (request) => ({
      accept: {
        contexts: new Map(
          request.presentationContexts.map((pc) => [
            pc.id,
            pc.transferSyntaxes.includes(DicomUid.ImplicitVrLittleEndian)
              ? { transferSyntax: DicomUid.ImplicitVrLittleEndian }
              : { reject: 4 },
          ]),
        ),
      },
    }),
    onCStore: async (_ctx, command, dataset) => {
      const path = join(out, `${command.affectedSopInstanceUid}.dcm`);
      if (options.writes === 'sync') {
        // Synchronous writes: no thread pool round trip between the last fragment and the
        // response, at the price of blocking the event loop for each write.
        const fd = openSync(path, 'w');
        try {
          for await (const chunk of dataset) writeSync(fd, chunk as Buffer);
          if (options.fsync) fsyncSync(fd);
        } finally {
          closeSync(fd);
        }
        return DimseStatus.Success;
      }
      // A 1 MiB high-water mark lets the file stream batch fragments into few writev calls
      // instead of pausing the data set stream every 16 KiB (a thread pool round trip each);
      // flush: fsync before close.
      await pipeline(dataset, createWriteStream(path, { highWaterMark: 1024 * 1024, flush: options.fsync }));
      return DimseStatus.Success;
    },
  });
  const { port } = await server.listen();
  try {
    return await body(port);
  } finally {
    await server.close({ timeoutMs: 1000 });
  }
}

async function withStorescp<T>(maxPdu: number, body: (port: number) => Promise<T>): Promise<T> {
  const out = freshDir('storescp');
  const port = 20000 + Math.floor(Math.random() * 20000);
  const child: ChildProcess = spawn('storescp', ['-pdu', String(maxPdu), '-od', out, '-aet', 'PACS', String(port)], {
    env,
    stdio: 'ignore',
  });
  try {
    for (let i = 0; i < 100; i++) {
      const echo = await run('echoscu', ['-aec', 'PACS', '127.0.0.1', String(port)]);
      if (echo.code === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return await body(port);
  } finally {
    child.kill();
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

async function main(): Promise<void> {
  const scenarios: Array<[string, () => Promise<number>]> = [
    ['storescu -> storescp (-pdu 16384, its default)', () => withStorescp(16384, timeStorescu)],
    ['storescu -> storescp (-pdu 131072)', () => withStorescp(131072, timeStorescu)],
  ];
  for (const maxPduLength of [256 * 1024, 1024 * 1024]) {
    const kib = `max PDU ${maxPduLength / 1024} KiB`;
    scenarios.push(
      [`storescu -> DimseServer, no fsync (${kib})`, () => withOurServer({ fsync: false, maxPduLength }, timeStorescu)],
      [
        `storescu -> DimseServer, fsync each file (${kib})`,
        () => withOurServer({ fsync: true, maxPduLength }, timeStorescu),
      ],
      [
        `DimseClient -> DimseServer, no fsync, one process (${kib})`,
        () => withOurServer({ fsync: false, maxPduLength }, (port) => timeOurClient(port, 'PACS', maxPduLength)),
      ],
    );
  }
  scenarios.push(
    [
      'storescu -> DimseServer, writeSync, no fsync (256 KiB)',
      () => withOurServer({ fsync: false, maxPduLength: 256 * 1024, writes: 'sync' }, timeStorescu),
    ],
    [
      'storescu -> DimseServer, writeSync + fsyncSync (256 KiB)',
      () => withOurServer({ fsync: true, maxPduLength: 256 * 1024, writes: 'sync' }, timeStorescu),
    ],
  );
  scenarios.push([
    'DimseClient -> storescp (-pdu 131072)',
    () => withStorescp(131072, (port) => timeOurClient(port, 'PACS', 256 * 1024)),
  ]);
  console.log(`${files.length} files from ${filesDir}; ${runs} rounds, scenarios interleaved; median instances/s`);
  // Rounds interleave the scenarios so that a noisy moment on the machine hits all of them.
  const rates = scenarios.map(() => [] as number[]);
  for (let round = 0; round < runs; round++) {
    for (const [i, [, once]] of scenarios.entries()) rates[i]!.push(await once());
  }
  for (const [i, [name]] of scenarios.entries()) {
    const r = rates[i]!;
    console.log(
      `${name.padEnd(62)} ${median(r).toFixed(0).padStart(5)}/s   (${r.map((x) => x.toFixed(0)).join(', ')})`,
    );
  }
  rmSync(outRoot, { recursive: true, force: true });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
