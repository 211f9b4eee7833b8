import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readPart10 } from '@pacs/dicom';
import { transcodeToExplicitVrLittleEndian } from '@pacs/dicom-imaging';
import { ctInstanceFile, pydicomFolder, pydicomPath } from '@pacs/dicom/testing';
import { parseMultipartRelated, readMultipart } from '@pacs/multipart';
import type { DicomWebDestination } from '../destination';
import { isForwardError, type ForwardError } from './forward.errors';
import { StowRsForwardSender } from './stow-rs-forward-sender.adapter';
import { datasetBytes, instanceOf } from './testing/forward-peers';

const ELE = '1.2.840.10008.1.2.1';

/** What the HTTP peer received in one request. */
interface Received {
  readonly headers: IncomingMessage['headers'];
  readonly parts: { contentType: string | undefined; body: Buffer }[];
}

type Answer = (request: Received, response: ServerResponse) => void;

// A STOW-RS origin server reduced to the answers under test (C122 for compressed data, a timeout, a
// dropped connection), over real HTTP: the sender's request is parsed with @pacs/multipart's reader,
// an implementation of its own.
describe('StowRsForwardSender over HTTP: the request, and the answers Orthanc does not give', () => {
  let server: Server;
  let url: string;
  let answer: Answer;
  const received: Received[] = [];

  beforeAll(async () => {
    pydicomFolder('test_files'); // fails naming python3-pydicom when it is missing
    server = createServer((request, response) => {
      void (async () => {
        const parts: Received['parts'] = [];
        const contentType = parseMultipartRelated(request.headers['content-type'], { types: ['application/dicom'] });
        for await (const part of readMultipart(request, contentType)) {
          const chunks: Buffer[] = [];
          for await (const chunk of part.body) chunks.push(chunk as Buffer);
          parts.push({ contentType: part.contentType, body: Buffer.concat(chunks) });
        }
        const got = { headers: request.headers, parts };
        received.push(got);
        answer(got, response);
      })();
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/dicomweb/studies`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    server.close();
  });
  beforeEach(() => {
    received.length = 0;
  });

  const destination = (headers: Record<string, string> = {}): DicomWebDestination => ({
    id: 'web',
    kind: 'dicomweb',
    stowUrl: url,
    headers,
    maxConcurrency: 1,
  });

  const dicomJson = (response: ServerResponse, status: number, body: unknown) => {
    response.writeHead(status, { 'Content-Type': 'application/dicom+json' });
    response.end(JSON.stringify(body));
  };

  async function rejection(promise: Promise<unknown>): Promise<ForwardError> {
    try {
      await promise;
    } catch (error) {
      if (isForwardError(error)) return error;
      throw error;
    }
    throw new Error('expected a ForwardError');
  }

  it('POSTs one application/dicom part with the headers of the destination', async () => {
    answer = (_request, response) => dicomJson(response, 200, {});
    const file = ctInstanceFile({ rows: 8, columns: 8 });
    const session = await new StowRsForwardSender().open(
      destination({ Authorization: 'Bearer t0ken', 'X-Tenant': 'a' }),
      [],
    );
    expect(await session.send(instanceOf(file))).toEqual({ kind: 'confirmed', transferSyntaxUid: ELE });
    await session.close();
    const [request] = received;
    expect(request!.headers['content-type']).toMatch(/^multipart\/related; type="application\/dicom"; boundary=/);
    expect(request!.headers['accept']).toBe('application/dicom+json');
    expect(request!.headers['authorization']).toBe('Bearer t0ken');
    expect(request!.headers['x-tenant']).toBe('a');
    expect(request!.parts).toHaveLength(1);
    expect(request!.parts[0]!.contentType).toBe('application/dicom');
    expect(request!.parts[0]!.body.equals(file)).toBe(true);
  });

  it('sends a JPEG copy again decoded when the server answers C122 (transfer syntax not supported)', async () => {
    answer = (request, response) => {
      const part = request.parts[0]!.body;
      const read = readPart10(part);
      if (read.status !== 'complete') throw new Error('incomplete');
      const uid = read.dataset.string('SOPInstanceUID');
      if (read.header.transferSyntax.uid !== ELE) {
        const failed = { '00081155': { vr: 'UI', Value: [uid] }, '00081197': { vr: 'US', Value: [0xc122] } };
        dicomJson(response, 409, { '00081198': { vr: 'SQ', Value: [failed] } });
      } else {
        dicomJson(response, 200, { '00081199': { vr: 'SQ', Value: [{ '00081155': { vr: 'UI', Value: [uid] } }] } });
      }
    };
    const file = readFileSync(pydicomPath('test_files/SC_rgb_jpeg_dcmtk.dcm'));
    const session = await new StowRsForwardSender().open(destination(), [instanceOf(file)]);
    expect(await session.send(instanceOf(file))).toEqual({ kind: 'confirmed', transferSyntaxUid: ELE });
    await session.close();
    expect(received).toHaveLength(2);
    expect(received[0]!.parts[0]!.body.equals(file)).toBe(true);
    const decoded = await transcodeToExplicitVrLittleEndian(file);
    expect(datasetBytes(received[1]!.parts[0]!.body).equals(datasetBytes(decoded))).toBe(true);
  });

  it('a server that does not answer in time: retriable TIMEOUT', async () => {
    answer = () => undefined; // never answers
    const session = await new StowRsForwardSender({ timeoutMs: 300 }).open(destination(), []);
    const error = await rejection(session.send(instanceOf(ctInstanceFile({ rows: 4, columns: 4 }))));
    expect(error).toMatchObject({ code: 'TIMEOUT', retriable: true });
    await session.close();
  });

  it('a server that drops the connection: retriable CONNECTION_LOST', async () => {
    answer = (_request, response) => response.socket?.destroy();
    const session = await new StowRsForwardSender().open(destination(), []);
    const error = await rejection(session.send(instanceOf(ctInstanceFile({ rows: 4, columns: 4 }))));
    expect(error.retriable).toBe(true);
    expect(['CONNECTION_LOST', 'CONNECTION_FAILED']).toContain(error.code);
    await session.close();
  });

  it('503 with Retry-After: retriable BUSY with the delay', async () => {
    answer = (_request, response) => {
      response.writeHead(503, { 'Retry-After': '7', 'Content-Type': 'text/plain' });
      response.end('maintenance');
    };
    const session = await new StowRsForwardSender().open(destination(), []);
    const error = await rejection(session.send(instanceOf(ctInstanceFile({ rows: 4, columns: 4 }))));
    expect(error).toMatchObject({ code: 'BUSY', retriable: true, httpStatus: 503 });
    expect(error.details.retryAfterMs).toBe(7000);
    expect(error.message).toContain('maintenance');
    await session.close();
  });

  it('a redirect is not followed: retriable WRONG_ADDRESS naming the target', async () => {
    answer = (_request, response) => {
      response.writeHead(308, { Location: 'https://elsewhere.example/dicomweb/studies' });
      response.end();
    };
    const session = await new StowRsForwardSender().open(destination({ Authorization: 'Bearer t0ken' }), []);
    const error = await rejection(session.send(instanceOf(ctInstanceFile({ rows: 4, columns: 4 }))));
    expect(error).toMatchObject({ code: 'WRONG_ADDRESS', retriable: true, httpStatus: 308 });
    expect(error.message).toContain('https://elsewhere.example/dicomweb/studies');
    expect(received).toHaveLength(1);
    await session.close();
  });

  it('refuses sends after close()', async () => {
    const session = await new StowRsForwardSender().open(destination(), []);
    await session.close();
    const error = await rejection(session.send(instanceOf(ctInstanceFile({ rows: 4, columns: 4 }))));
    expect(error).toMatchObject({ code: 'MISUSE', retriable: false });
  });
});
