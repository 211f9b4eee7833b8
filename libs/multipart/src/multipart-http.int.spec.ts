// The reader and writer over a real HTTP exchange on loopback: a node:http server piping the
// request into the reader, a client sending with Node's fetch (a stream body, duplex 'half') or
// with node:http when it must misbehave.
import { createHash } from 'node:crypto';
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { parseMultipartRelated } from './content-type';
import { isMultipartError } from './multipart.errors';
import { readMultipart, type MultipartLimits } from './multipart-reader';
import { MultipartWriter } from './multipart-writer';
import { seededBytes } from './testing/multipart-test-streams';

interface PartSummary {
  readonly contentType: string | undefined;
  readonly contentLocation: string | undefined;
  readonly size: number;
  readonly sha256: string;
}

const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

// A STOW-RS-like endpoint: reads every part (hashing it, as a store would write it) and answers
// with what it read, or with the status of the MultipartError.
function stowServer(limits: Partial<MultipartLimits> = {}): { server: Server; failures: unknown[] } {
  const failures: unknown[] = [];
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    try {
      const contentType = parseMultipartRelated(req.headers['content-type'], { types: ['application/dicom'] });
      const parts: PartSummary[] = [];
      for await (const part of readMultipart(req, contentType, { limits })) {
        const hash = createHash('sha256');
        let size = 0;
        for await (const chunk of part.body) {
          hash.update(chunk as Buffer);
          size += (chunk as Buffer).length;
        }
        parts.push({
          contentType: part.contentType,
          contentLocation: part.contentLocation,
          size,
          sha256: hash.digest('hex'),
        });
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(parts));
    } catch (error) {
      failures.push(error);
      const status = isMultipartError(error) ? error.httpStatus : 500;
      const code = isMultipartError(error) ? error.code : 'ERROR';
      if (!res.headersSent && !res.destroyed) {
        res
          .writeHead(status, { 'content-type': 'application/json', connection: 'close' })
          .end(JSON.stringify({ code }));
      }
    }
  };
  const server = createServer((req, res) => void handle(req, res));
  return { server, failures };
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/studies`;
}

async function close(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
}

describe('multipart over HTTP (node:http server, fetch client)', () => {
  it('receives every part of a streamed STOW-RS-like request byte for byte', async () => {
    const { server } = stowServer();
    const url = await listen(server);
    try {
      const bodies = [
        ...Array.from({ length: 20 }, (_, i) => seededBytes(i, 512 * 1024)),
        seededBytes(99, 8 * 1024 * 1024),
      ];
      const writer = new MultipartWriter({ type: 'application/dicom' });
      const sending = (async () => {
        for (const [i, body] of bodies.entries()) {
          // The last part leaves Content-Type out: it inherits the root type.
          const headers = i === bodies.length - 1 ? {} : { 'Content-Type': 'application/dicom' };
          await writer.addPart(
            { ...headers, 'Content-Location': `/instances/${i}` },
            Readable.from([body.subarray(0, 1000), body.subarray(1000)]),
          );
        }
        await writer.end();
      })();
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': writer.contentType },
        body: Readable.toWeb(writer) as ReadableStream<Uint8Array>,
        duplex: 'half',
      });
      await sending;
      expect(response.status).toBe(200);
      const parts = (await response.json()) as PartSummary[];
      expect(parts).toEqual(
        bodies.map((body, i) => ({
          contentType: 'application/dicom',
          contentLocation: `/instances/${i}`,
          size: body.length,
          sha256: sha256(body),
        })),
      );
    } finally {
      await close(server);
    }
  }, 60_000);

  it('answers 415 to another media type and 400 to a missing boundary', async () => {
    const { server } = stowServer();
    const url = await listen(server);
    try {
      const wrong = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/dicom' }, body: 'x' });
      expect(wrong.status).toBe(415);
      expect(await wrong.json()).toEqual({ code: 'UNSUPPORTED_MEDIA_TYPE' });
      const noBoundary = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'multipart/related; type="application/dicom"' },
        body: 'x',
      });
      expect(noBoundary.status).toBe(400);
      expect(await noBoundary.json()).toEqual({ code: 'MISSING_BOUNDARY' });
    } finally {
      await close(server);
    }
  });

  it('fails the read when the client goes away in the middle of a part', async () => {
    const { server, failures } = stowServer();
    const url = new URL(await listen(server));
    try {
      const boundary = 'pacs-abort';
      const client = request({
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: 'POST',
        headers: {
          'content-type': `multipart/related; type="application/dicom"; boundary=${boundary}`,
          'transfer-encoding': 'chunked',
        },
      });
      client.on('error', () => undefined);
      client.write(`--${boundary}\r\nContent-Type: application/dicom\r\n\r\n`);
      client.write(seededBytes(1, 256 * 1024));
      await new Promise((resolve) => setTimeout(resolve, 100));
      client.destroy();
      for (let i = 0; i < 100 && failures.length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 20));
      expect(failures).toHaveLength(1);
      // Node reports the aborted request as an error ("aborted"); either way, never a success.
      expect(isMultipartError(failures[0], 'UNEXPECTED_END') || (failures[0] as Error).message === 'aborted').toBe(
        true,
      );
    } finally {
      await close(server);
    }
  });

  it('answers 413 as soon as the body passes the limit, without reading it all', async () => {
    const limit = 1024 * 1024;
    const { server, failures } = stowServer({ maxTotalBytes: limit });
    const url = new URL(await listen(server));
    try {
      const boundary = 'pacs-too-large';
      const status = await new Promise<number | undefined>((resolve) => {
        const client = request({
          host: url.hostname,
          port: url.port,
          path: url.pathname,
          method: 'POST',
          headers: {
            'content-type': `multipart/related; type="application/dicom"; boundary=${boundary}`,
            'transfer-encoding': 'chunked',
          },
        });
        client.on('response', (response) => {
          response.resume();
          resolve(response.statusCode);
          client.destroy();
        });
        client.on('error', () => resolve(undefined));
        client.write(`--${boundary}\r\nContent-Type: application/dicom\r\n\r\n`);
        // Up to 64 MiB, as long as the server lets it through; it stops reading after 1 MiB.
        let sent = 0;
        const more = (): void => {
          while (sent < 64 * 1024 * 1024 && !client.destroyed) {
            sent += 64 * 1024;
            if (!client.write(seededBytes(sent, 64 * 1024))) {
              client.once('drain', more);
              return;
            }
          }
        };
        more();
      });
      expect(failures).toHaveLength(1);
      expect(isMultipartError(failures[0], 'BODY_TOO_LARGE')).toBe(true);
      // The 413 reaches the client unless the connection was reset first; either way it was refused.
      expect([413, undefined]).toContain(status);
    } finally {
      await close(server);
    }
  }, 60_000);
});
