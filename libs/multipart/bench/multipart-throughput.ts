// multipart/related reading throughput: a body of N MB in 0.5 MB parts (a STOW-RS request of CT
// instances), parsed (1) from an in-memory source in 64 KiB and 16 KiB chunks, and (2) through a
// loopback HTTP request into a node:http server, the client being Node's fetch in a worker thread
// (its own core) and curl. Part bodies are read to their end and dropped, so this measures the
// parser and the streams, not a store. Not a test: it prints a table and asserts nothing.
//
//   node_modules/.bin/node -r ./tools/testing/register-ts.js libs/multipart/bench/multipart-throughput.ts [MB] [runs]
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Worker } from 'node:worker_threads';
import { parseMultipartRelated, readMultipart, MultipartWriter } from '../src/index';

const [, , mbArg = '500', runsArg = '3'] = process.argv;
const totalMb = Number(mbArg);
const runs = Number(runsArg);
const PART = 512 * 1024;
const parts = Math.round((totalMb * 1024 * 1024) / PART);

const discard = (): Writable => new Writable({ write: (_chunk, _encoding, callback) => callback() });

async function encodeBody(): Promise<{ body: Buffer; contentType: string }> {
  const payload = randomBytes(PART);
  const writer = new MultipartWriter({ type: 'application/dicom' });
  const chunks: Buffer[] = [];
  writer.on('data', (chunk: Buffer) => chunks.push(chunk));
  for (let i = 0; i < parts; i++) {
    await writer.addPart({ 'Content-Type': 'application/dicom', 'Content-Location': `/instances/${i}` }, payload);
  }
  await writer.end();
  return { body: Buffer.concat(chunks), contentType: writer.contentType };
}

async function consume(source: Readable, boundary: string): Promise<number> {
  let count = 0;
  for await (const part of readMultipart(source, boundary)) {
    await pipeline(part.body, discard());
    count += 1;
  }
  return count;
}

function chunked(body: Buffer, size: number): Readable {
  let at = 0;
  return new Readable({
    read() {
      const end = Math.min(at + size, body.length);
      this.push(at === end ? null : body.subarray(at, end));
      at = end;
    },
  });
}

const mbps = (bytes: number, ms: number): string => (bytes / 1e6 / (ms / 1000)).toFixed(0);

async function inMemory(body: Buffer, boundary: string, chunk: number): Promise<number> {
  const start = performance.now();
  const count = await consume(chunked(body, chunk), boundary);
  if (count !== parts) throw new Error(`read ${count} parts, expected ${parts}`);
  return performance.now() - start;
}

// The client runs in a worker thread, so that it does not share the server's event loop.
const FETCH_CLIENT = `
const { workerData, parentPort } = require('node:worker_threads');
const { body, url, contentType } = workerData;
const bytes = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
let at = 0;
const stream = new ReadableStream({
  type: 'bytes',
  pull(controller) {
    if (at >= bytes.length) { controller.close(); return; }
    controller.enqueue(new Uint8Array(bytes.subarray(at, at + 65536)));
    at += 65536;
  },
});
const start = performance.now();
fetch(url, { method: 'POST', headers: { 'content-type': contentType }, body: stream, duplex: 'half' })
  .then(async (response) => {
    const text = await response.text();
    parentPort.postMessage({ status: response.status, text, ms: performance.now() - start });
  })
  .catch((error) => parentPort.postMessage({ error: String(error) }));
`;

async function main(): Promise<void> {
  const { body, contentType } = await encodeBody();
  const { boundary } = parseMultipartRelated(contentType);
  console.log(`body: ${(body.length / 1e6).toFixed(0)} MB, ${parts} parts of ${PART} bytes, node ${process.version}`);

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const ct = parseMultipartRelated(req.headers['content-type']);
    consume(req, ct.boundary).then(
      (count) => res.end(String(count)),
      (error: unknown) => res.writeHead(500).end(String(error)),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/studies`;
  const shared = new Uint8Array(new SharedArrayBuffer(body.length));
  shared.set(body);
  const file = '/tmp/multipart-bench-body.bin';
  writeFileSync(file, body);

  const results: Record<string, number[]> = {
    'in-memory, 64 KiB chunks': [],
    'in-memory, 16 KiB chunks': [],
    'HTTP loopback, fetch client (worker)': [],
  };
  for (let run = 0; run < runs; run++) {
    results['in-memory, 64 KiB chunks']!.push(await inMemory(body, boundary, 64 * 1024));
    results['in-memory, 16 KiB chunks']!.push(await inMemory(body, boundary, 16 * 1024));
    const reply = await new Promise<{ status?: number; text?: string; ms?: number; error?: string }>((resolve) => {
      const worker = new Worker(FETCH_CLIENT, { eval: true, workerData: { body: shared, url, contentType } });
      worker.once('message', (message) => {
        resolve(message as { status?: number; text?: string; ms?: number; error?: string });
        void worker.terminate();
      });
    });
    if (reply.status !== 200 || reply.text !== String(parts))
      throw new Error(`fetch run failed: ${JSON.stringify(reply)}`);
    results['HTTP loopback, fetch client (worker)']!.push(reply.ms!);
  }
  const curl = await curlRuns(url, file, contentType);
  if (curl.length > 0) results['HTTP loopback, curl client'] = curl;

  console.log('\n| path | MB/s per run | best |\n|---|---|---|');
  for (const [name, times] of Object.entries(results)) {
    const rates = times.map((ms) => mbps(body.length, ms));
    console.log(`| ${name} | ${rates.join(', ')} | ${mbps(body.length, Math.min(...times))} |`);
  }
  server.close();
  rmSync(file, { force: true });
}

// curl as the client, in its own process (started asynchronously: this process serves the request).
async function curlRuns(url: string, file: string, contentType: string): Promise<number[]> {
  if (spawnSync('curl', ['--version']).status !== 0) return [];
  const times: number[] = [];
  for (let run = 0; run < runs; run++) {
    const ms = await new Promise<number>((resolve, reject) => {
      const start = performance.now();
      const child = spawn(
        'curl',
        [
          '-sS',
          '-o',
          '/dev/null',
          '-w',
          '%{http_code}',
          '-X',
          'POST',
          '-H',
          `content-type: ${contentType}`,
          '-T',
          file,
          url,
        ],
        { stdio: ['ignore', 'pipe', 'inherit'] },
      );
      let out = '';
      child.stdout.on('data', (data: Buffer) => (out += data.toString()));
      child.on('exit', () => (out === '200' ? resolve(performance.now() - start) : reject(new Error(`curl: ${out}`))));
    });
    times.push(ms);
  }
  return times;
}

void main();
