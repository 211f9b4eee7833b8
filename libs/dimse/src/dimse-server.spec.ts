import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { AssociationRequest, DimseAssociation, DimseRequestHandlers } from './association.types';
import { CommandField, type DimseCommand, encodeCommand, NO_DATA_SET } from './command-set';
import { DicomUid, IMPLEMENTATION_VERSION_NAME } from './dicom-uids';
import { AssociationRejectedError, DimseError } from './dimse.errors';
import { DimseClient, type DimseClientOptions } from './dimse-client';
import { type AssociationEvent, DimseServer, type DimseServerOptions } from './dimse-server';
import { DimseStatus } from './dimse-status';
import { encodeAbort, encodeAssociateRq, encodePDataTf, encodeReleaseRq } from './pdu-writer';
import { AbortReason, PduType, PdvControl, UserIdentityType } from './pdu.types';
import { RawPeer } from './testing/raw-peer';
import { selfSignedCertificate } from './testing/self-signed-certificate';

const CT = DicomUid.CtImageStorage;
const TS = DicomUid.ExplicitVrLittleEndian;

/** Accepts every context with its first proposed transfer syntax. */
const acceptAll = async (request: AssociationRequest) => ({
  accept: {
    contexts: new Map(request.presentationContexts.map((pc) => [pc.id, { transferSyntax: pc.transferSyntaxes[0]! }])),
  },
});

interface Harness {
  server: DimseServer;
  port: number;
  events: Array<{ name: string; event: AssociationEvent }>;
  requests: AssociationRequest[];
  client(options?: Partial<DimseClientOptions>): Promise<DimseAssociation>;
}

const servers: DimseServer[] = [];

async function startServer(options: Partial<DimseServerOptions> = {}): Promise<Harness> {
  const requests: AssociationRequest[] = [];
  const onAssociationRequest = options.onAssociationRequest ?? acceptAll;
  const server = new DimseServer({
    port: 0,
    ...options,
    onAssociationRequest: (request) => {
      requests.push(request);
      return onAssociationRequest(request);
    },
  });
  servers.push(server);
  const events: Harness['events'] = [];
  for (const name of [
    'associationEstablished',
    'associationReleased',
    'associationAborted',
    'associationRejected',
  ] as const) {
    server.on(name, (event) => events.push({ name, event }));
  }
  const { port } = await server.listen();
  return {
    server,
    port,
    events,
    requests,
    client: (overrides = {}) =>
      DimseClient.connect({
        host: '127.0.0.1',
        port,
        callingAeTitle: 'SCU',
        calledAeTitle: 'PACS',
        presentationContexts: [
          { abstractSyntax: DicomUid.Verification, transferSyntaxes: [DicomUid.ImplicitVrLittleEndian] },
          { abstractSyntax: CT, transferSyntaxes: [TS] },
        ],
        ...overrides,
      }),
  };
}

afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close({ timeoutMs: 100 })));
});

function until(predicate: () => boolean, timeoutMs = 5000): Promise<void> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const tick = (): void => {
      if (predicate()) return resolve();
      if (Date.now() - started > timeoutMs) return reject(new Error('condition not met in time'));
      setTimeout(tick, 5);
    };
    tick();
  });
}

/** A handler that collects the data set bytes. */
async function collect(dataset: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of dataset) parts.push(chunk as Buffer);
  return Buffer.concat(parts);
}

const bigDataset = Buffer.from(Array.from({ length: 3 * 1024 * 1024 + 2 }, (_, i) => (i * 31) & 0xff));

describe('DimseServer with DimseClient', () => {
  it('answers C-ECHO and reports the association lifecycle with AE titles and counts', async () => {
    const h = await startServer();
    const association = await h.client();
    expect(association.info.presentationContexts.get(1)?.transferSyntax).toBe(DicomUid.ImplicitVrLittleEndian);
    expect(association.info.peerMaxPduLength).toBe(256 * 1024);
    const response = await association.echo();
    expect(response.status).toBe(DimseStatus.Success);
    expect(response.command.commandField).toBe(CommandField.CEchoRsp);
    await association.release();
    await expect(association.closed).resolves.toEqual({ kind: 'released', by: 'local' });
    await until(() => h.events.length === 2);
    expect(h.events.map((e) => e.name)).toEqual(['associationEstablished', 'associationReleased']);
    const released = h.events[1]!.event;
    expect(released.association).toMatchObject({
      callingAeTitle: 'SCU',
      calledAeTitle: 'PACS',
      remoteAddress: '127.0.0.1',
    });
    expect(released.stats).toMatchObject({ requestsReceived: 1, responsesSent: 1 });
    expect(released.end).toEqual({ kind: 'released', by: 'peer' });
    expect(h.requests[0]).toMatchObject({
      callingAeTitle: 'SCU',
      calledAeTitle: 'PACS',
      maxPduLength: 256 * 1024,
      implementationVersionName: IMPLEMENTATION_VERSION_NAME,
    });
  });

  it('rejects with the hook reason; the client gets AssociationRejectedError', async () => {
    const h = await startServer({
      onAssociationRequest: async () => ({ reject: { result: 1, source: 1, reason: 7 } }),
    });
    const failure = await h.client().catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(AssociationRejectedError);
    expect(failure).toMatchObject({ result: 1, source: 1, reason: 7, retriable: false });
    await until(() => h.events.length === 1);
    expect(h.events[0]).toMatchObject({
      name: 'associationRejected',
      event: { end: { kind: 'rejected', by: 'local', rejection: { result: 1, source: 1, reason: 7 } } },
    });
  });

  it('rejects transiently when the hook throws', async () => {
    const h = await startServer({
      onAssociationRequest: async () => {
        throw new Error('database down');
      },
    });
    await expect(h.client()).rejects.toMatchObject({ result: 2, source: 1, reason: 1, retriable: true });
  });

  it('rejects transiently, without crashing, when the decision cannot be encoded', async () => {
    const h = await startServer({
      onAssociationRequest: async (request) => ({
        accept: {
          contexts: new Map(
            request.presentationContexts.map((pc) => [pc.id, { transferSyntax: pc.transferSyntaxes[0]! }]),
          ),
          userIdentityServerResponse: Buffer.alloc(70_000), // over the 65535 bytes of a sub-item
        },
      }),
    });
    const identity = {
      type: 1,
      positiveResponseRequested: true,
      primaryField: Buffer.from('a'),
      secondaryField: Buffer.alloc(0),
    };
    await expect(h.client({ userIdentity: identity })).rejects.toMatchObject({ result: 2, source: 1, reason: 1 });
  });

  it('passes the user identity to the hook', async () => {
    const h = await startServer();
    const association = await h.client({
      userIdentity: {
        type: UserIdentityType.UsernamePasscode,
        positiveResponseRequested: false,
        primaryField: Buffer.from('alice'),
        secondaryField: Buffer.from('secret'),
      },
    });
    expect(h.requests[0]!.userIdentity).toMatchObject({ type: 2, primaryField: Buffer.from('alice') });
    expect(association.info.userIdentity).toBeUndefined();
    association.abort();
  });

  it('streams a multi-PDU data set to onCStore, byte for byte, and returns its status', async () => {
    const received: Array<{ command: DimseCommand; bytes: Buffer; ts: string }> = [];
    const h = await startServer({
      onCStore: async (ctx, command, dataset) => {
        received.push({ command, bytes: await collect(dataset), ts: ctx.presentationContext.transferSyntax });
        return DimseStatus.Success;
      },
    });
    const association = await h.client({ maxSendPduLength: 16384 });
    const response = await association.store({
      sopClassUid: CT,
      sopInstanceUid: '1.2.3.4',
      transferSyntaxUid: TS,
      dataset: bigDataset,
    });
    expect(response.status).toBe(0);
    expect(response.command).toMatchObject({ commandField: CommandField.CStoreRsp, affectedSopInstanceUid: '1.2.3.4' });
    const fromStream = await association.store({
      sopClassUid: CT,
      sopInstanceUid: '1.2.3.5',
      dataset: Readable.from([bigDataset.subarray(0, 1001), bigDataset.subarray(1001)]),
    });
    expect(fromStream.status).toBe(0);
    await association.release();
    expect(received.map((r) => r.command.affectedSopInstanceUid)).toEqual(['1.2.3.4', '1.2.3.5']);
    expect(received.every((r) => r.bytes.equals(bigDataset) && r.ts === TS)).toBe(true);
    expect(received[0]!.command).toMatchObject({
      commandField: CommandField.CStoreRq,
      affectedSopClassUid: CT,
      priority: 0,
    });
  });

  it('serves several associations at once', async () => {
    const received = new Map<string, Buffer>();
    const h = await startServer({
      onCStore: async (_ctx, command, dataset) => {
        received.set(command.affectedSopInstanceUid!, await collect(dataset));
        return DimseStatus.Success;
      },
    });
    const clients = await Promise.all(Array.from({ length: 6 }, () => h.client()));
    expect(h.server.openAssociations).toBe(6);
    await Promise.all(
      clients.map(async (association, i) => {
        for (let n = 0; n < 3; n++) {
          const dataset = Buffer.alloc(300_000 + i * 1000 + n * 2, i * 16 + n);
          await expect(
            association.store({ sopClassUid: CT, sopInstanceUid: `1.${i}.${n}`, dataset }),
          ).resolves.toMatchObject({ status: 0 });
        }
        await association.release();
      }),
    );
    expect(received.size).toBe(18);
    expect(received.get('1.4.2')).toEqual(Buffer.alloc(304_004, 66));
  });

  it('sends the handler failure status with its comment; a throwing handler answers 0110', async () => {
    let calls = 0;
    const h = await startServer({
      onCStore: async (_ctx, _command, dataset) => {
        calls++;
        if (calls === 1) return { status: DimseStatus.OutOfResources, errorComment: 'disk full' };
        await collect(dataset);
        throw new Error('index unavailable');
      },
    });
    const association = await h.client();
    const store = () => association.store({ sopClassUid: CT, sopInstanceUid: '1.2', dataset: bigDataset });
    // The first handler never read its stream: the rest is discarded, the next request still works.
    await expect(store()).resolves.toMatchObject({ status: 0xa700, command: { errorComment: 'disk full' } });
    // The peer gets a generic comment, never our internal error message.
    await expect(store()).resolves.toMatchObject({ status: 0x0110, command: { errorComment: 'processing failure' } });
    await expect(association.echo()).resolves.toMatchObject({ status: 0 });
    await association.release();
  });

  it('answers 0211 to a request no handler takes, and refuses a context that was not accepted', async () => {
    const h = await startServer();
    const association = await h.client({
      presentationContexts: [{ abstractSyntax: DicomUid.StudyRootQueryRetrieveFind, transferSyntaxes: [TS] }],
    });
    const response = await association.request({
      abstractSyntax: DicomUid.StudyRootQueryRetrieveFind,
      command: { commandField: CommandField.CFindRq, priority: 0 },
      dataset: Buffer.alloc(8),
    });
    expect(response.status).toBe(DimseStatus.UnrecognizedOperation);
    await expect(association.echo()).rejects.toMatchObject({ code: 'NO_PRESENTATION_CONTEXT' });
    await association.release();
  });

  it('stops reading the socket while the handler is slow, keeping memory bounded', async () => {
    const highWaterMark = 256 * 1024;
    let maxBuffered = 0;
    const dataset = Buffer.alloc(24 * 1024 * 1024, 1);
    const h = await startServer({
      datasetHighWaterMark: highWaterMark,
      onCStore: async (_ctx, _command, stream) => {
        const sample = setInterval(() => (maxBuffered = Math.max(maxBuffered, stream.readableLength)), 1);
        await new Promise((resolve) => setTimeout(resolve, 300));
        let total = 0;
        await pipeline(
          stream,
          new Writable({
            write(chunk: Buffer, _encoding, callback) {
              maxBuffered = Math.max(maxBuffered, stream.readableLength);
              total += chunk.length;
              setImmediate(callback);
            },
          }),
        );
        clearInterval(sample);
        return total === dataset.length ? DimseStatus.Success : DimseStatus.ProcessingFailure;
      },
    });
    const association = await h.client();
    await expect(association.store({ sopClassUid: CT, sopInstanceUid: '1', dataset })).resolves.toMatchObject({
      status: 0,
    });
    await association.release();
    // At most the high-water mark plus what was left of the socket chunk being processed.
    expect(maxBuffered).toBeGreaterThan(0);
    expect(maxBuffered).toBeLessThan(highWaterMark + 512 * 1024);
  });

  it('errors the handler stream when the peer aborts mid-transfer, and keeps serving', async () => {
    let streamError: unknown;
    let resolveHandled!: () => void;
    const handled = new Promise<void>((resolve) => (resolveHandled = resolve));
    const h = await startServer({
      onCStore: async (ctx, _command, dataset) => {
        try {
          await collect(dataset);
        } catch (error) {
          streamError = error;
        }
        expect(ctx.signal.aborted).toBe(true);
        resolveHandled();
        return DimseStatus.Success;
      },
    });
    const association = await h.client();
    const half = Readable.from(
      (async function* () {
        yield bigDataset.subarray(0, 1024 * 1024);
        await new Promise(() => undefined); // the rest never comes
      })(),
    );
    const storing = association.store({ sopClassUid: CT, sopInstanceUid: '9', dataset: half });
    await until(() => h.events.length === 1);
    await new Promise((resolve) => setTimeout(resolve, 50));
    association.abort();
    await expect(storing).rejects.toMatchObject({ code: 'ASSOCIATION_ABORTED' });
    await handled;
    expect(streamError).toBeInstanceOf(DimseError);
    expect(streamError).toMatchObject({ code: 'ASSOCIATION_ABORTED' });
    await until(() => h.events.length === 2);
    expect(h.events[1]).toMatchObject({
      name: 'associationAborted',
      event: { end: { kind: 'aborted', by: 'peer', source: 0 } },
    });
    const next = await h.client();
    await expect(next.echo()).resolves.toMatchObject({ status: 0 });
    await next.release();
  });

  it('survives an abort mid-transfer after the handler returned without reading', async () => {
    let answered!: () => void;
    const returned = new Promise<void>((resolve) => (answered = resolve));
    const h = await startServer({
      onCStore: async () => {
        answered();
        return DimseStatus.OutOfResources;
      },
    });
    const peer = await RawPeer.connect(h.port);
    await peer.associate([CT], TS);
    peer.sendCommand(1, {
      commandField: CommandField.CStoreRq,
      messageId: 1,
      affectedSopClassUid: CT,
      affectedSopInstanceUid: '1.2',
      priority: 0,
      commandDataSetType: 1,
    });
    peer.sendData(1, Buffer.alloc(10_000), false);
    await returned;
    peer.send(encodeAbort({ source: 0, reason: 0 }));
    await until(() => h.events.some((e) => e.name === 'associationAborted'));
    const next = await h.client();
    await expect(next.echo()).resolves.toMatchObject({ status: 0 });
    await next.release();
  });

  it('errors the handler stream when the connection drops mid-transfer', async () => {
    const errors: unknown[] = [];
    const h = await startServer({
      onCStore: async (_ctx, _command, dataset) => {
        await collect(dataset).catch((error: unknown) => errors.push(error));
        return DimseStatus.Success;
      },
    });
    const peer = await RawPeer.connect(h.port);
    expect((await peer.associate([CT], TS)).type).toBe(PduType.AssociateAc);
    peer.sendCommand(1, {
      commandField: CommandField.CStoreRq,
      messageId: 1,
      affectedSopClassUid: CT,
      affectedSopInstanceUid: '1.2',
      priority: 0,
      commandDataSetType: 1,
    });
    peer.sendData(1, Buffer.alloc(10_000), false);
    await new Promise((resolve) => setTimeout(resolve, 50));
    peer.socket.destroy();
    await until(() => errors.length === 1);
    expect(errors[0]).toMatchObject({ code: 'ASSOCIATION_ABORTED' });
    await until(() => h.events.some((e) => e.name === 'associationAborted'));
    expect(h.events.find((e) => e.name === 'associationAborted')!.event.end).toMatchObject({
      kind: 'aborted',
      by: 'transport',
    });
  });

  it('on A-RELEASE-RQ during an operation, answers the operation first, then A-RELEASE-RP', async () => {
    const h = await startServer({
      onCEcho: async () => {
        await new Promise((resolve) => setTimeout(resolve, 100));
        return DimseStatus.Success;
      },
    });
    const peer = await RawPeer.connect(h.port);
    await peer.associate();
    peer.sendCommand(1, {
      commandField: CommandField.CEchoRq,
      messageId: 5,
      affectedSopClassUid: DicomUid.Verification,
      commandDataSetType: NO_DATA_SET,
    });
    peer.send(encodeReleaseRq());
    const first = await peer.next();
    expect(first).toMatchObject({
      kind: 'command',
      command: { commandField: CommandField.CEchoRsp, messageIdBeingRespondedTo: 5 },
    });
    expect(await peer.next()).toMatchObject({ kind: 'pdu', pdu: { type: PduType.ReleaseRp } });
    peer.socket.end();
    await until(() => h.events.some((e) => e.name === 'associationReleased'));
  });

  it('streams pending responses and dispatches C-CANCEL to the handler signal', async () => {
    const identifier = Buffer.from('identifier-bytes');
    const h = await startServer({
      onRequest: async (ctx, command, dataset) => {
        expect(command.commandField).toBe(CommandField.CFindRq);
        const query = await collect(dataset!);
        while (!ctx.signal.aborted) {
          await ctx.sendPending({ status: DimseStatus.Pending, dataset: Buffer.concat([query, identifier]) });
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
        expect(ctx.signal.reason).toMatchObject({ code: 'CANCELLED' });
        return DimseStatus.Cancel;
      },
    });
    const association = await h.client({
      presentationContexts: [{ abstractSyntax: DicomUid.StudyRootQueryRetrieveFind, transferSyntaxes: [TS] }],
    });
    const controller = new AbortController();
    const pending: Buffer[] = [];
    const response = await association.request({
      abstractSyntax: DicomUid.StudyRootQueryRetrieveFind,
      command: { commandField: CommandField.CFindRq, priority: 0 },
      dataset: Buffer.from('query:'),
      signal: controller.signal,
      onPending: (r) => {
        pending.push(r.dataset!);
        if (pending.length === 3) controller.abort();
      },
    });
    expect(response.status).toBe(DimseStatus.Cancel);
    expect(pending.length).toBeGreaterThanOrEqual(3);
    expect(pending[0]!.toString()).toBe('query:identifier-bytes');
    await association.release();
  });

  it('lets a handler send requests back over the same association (C-GET sub-operations)', async () => {
    const h = await startServer({
      onRequest: async (ctx, command) => {
        expect(command.commandField).toBe(CommandField.CGetRq);
        const sub = await ctx.association.store({
          sopClassUid: CT,
          sopInstanceUid: '7.7',
          dataset: Buffer.alloc(70_000, 7),
        });
        return {
          status: sub.status === 0 ? DimseStatus.Success : DimseStatus.CoercionOfDataElements,
          command: { numberOfCompletedSuboperations: sub.status === 0 ? 1 : 0, numberOfFailedSuboperations: 0 },
        };
      },
    });
    const stored: Buffer[] = [];
    const handlers: DimseRequestHandlers = {
      onCStore: async (_ctx, _command, dataset) => {
        stored.push(await collect(dataset));
        return DimseStatus.Success;
      },
    };
    const association = await h.client({
      presentationContexts: [
        { abstractSyntax: DicomUid.StudyRootQueryRetrieveGet, transferSyntaxes: [TS] },
        { abstractSyntax: CT, transferSyntaxes: [TS] },
      ],
      roleSelections: [{ sopClassUid: CT, scuRole: false, scpRole: true }],
      handlers,
    });
    expect(h.requests[0]!.roleSelections).toEqual([{ sopClassUid: CT, scuRole: false, scpRole: true }]);
    expect(association.info.roleSelections).toEqual([{ sopClassUid: CT, scuRole: false, scpRole: true }]);
    const response = await association.request({
      abstractSyntax: DicomUid.StudyRootQueryRetrieveGet,
      command: { commandField: CommandField.CGetRq, priority: 0 },
      dataset: Buffer.alloc(10),
    });
    expect(response).toMatchObject({ status: 0, command: { numberOfCompletedSuboperations: 1 } });
    expect(stored).toEqual([Buffer.alloc(70_000, 7)]);
    await association.release();
  });

  it('aborts an association idle for longer than the idle timeout', async () => {
    const h = await startServer({ timeouts: { idleMs: 150 } });
    const association = await h.client();
    await expect(association.closed).resolves.toMatchObject({ kind: 'aborted', by: 'peer', source: 2 });
    await until(() => h.events.some((e) => e.name === 'associationAborted'));
    expect(h.events.find((e) => e.name === 'associationAborted')!.event.end).toMatchObject({ by: 'local' });
  });

  it('does not count a slow handler as idleness', async () => {
    const h = await startServer({
      timeouts: { idleMs: 100 },
      onCEcho: () => new Promise((resolve) => setTimeout(() => resolve(DimseStatus.Success), 350)),
    });
    const association = await h.client();
    await expect(association.echo()).resolves.toMatchObject({ status: 0 });
    await association.release();
  });

  it('closes a connection that sends no A-ASSOCIATE-RQ within ARTIM', async () => {
    const h = await startServer({ timeouts: { artimMs: 100 } });
    const peer = await RawPeer.connect(h.port);
    await peer.closed;
    await until(() => h.events.length === 1);
    expect(h.events[0]).toMatchObject({ name: 'associationAborted', event: { end: { by: 'local' } } });
  });

  it('fails a request the peer does not answer in time and aborts the association', async () => {
    const h = await startServer({ onCEcho: () => new Promise(() => undefined) });
    const association = await h.client();
    await expect(association.echo({ timeoutMs: 100 })).rejects.toMatchObject({ code: 'TIMEOUT' });
    await expect(association.closed).resolves.toMatchObject({ kind: 'aborted', by: 'local' });
  });

  it('rejects an association over the limit as transient, local limit exceeded', async () => {
    const h = await startServer({ maxAssociations: 1 });
    const first = await h.client();
    await expect(h.client()).rejects.toMatchObject({ result: 2, source: 3, reason: 2 });
    await first.release();
  });

  it('rejects a wrong application context name without asking the hook', async () => {
    const h = await startServer();
    const peer = await RawPeer.connect(h.port);
    const answer = await peer.associate([DicomUid.Verification], DicomUid.ImplicitVrLittleEndian, '1.2.3.4');
    expect(answer).toEqual({ type: PduType.AssociateRj, result: 1, source: 1, reason: 2 });
    expect(h.requests).toHaveLength(0);
  });
});

describe('DimseServer against malformed input', () => {
  it.each([
    [
      'a P-DATA-TF over our maximum length',
      encodePDataTf([{ contextId: 1, control: 2, data: Buffer.alloc(300 * 1024) }]),
    ],
    ['a PDV overrunning its PDU', Buffer.from([4, 0, 0, 0, 0, 6, 0, 0, 0, 200, 1, 3])],
    ['an unknown PDU type', Buffer.from([0x55, 0, 0, 0, 0, 4, 0, 0, 0, 0])],
    [
      'a P-DATA-TF on a context that was not accepted',
      encodePDataTf([{ contextId: 9, control: 3, data: Buffer.alloc(4) }]),
    ],
    [
      'a malformed command set',
      encodePDataTf([{ contextId: 1, control: 3, data: Buffer.from([0, 0, 0, 1, 200, 0, 0, 0]) }]),
    ],
    ['a data fragment without a command', encodePDataTf([{ contextId: 1, control: 2, data: Buffer.alloc(4) }])],
    [
      'a second A-ASSOCIATE-RQ',
      encodeAssociateRq({
        protocolVersion: 1,
        calledAeTitle: 'A',
        callingAeTitle: 'B',
        applicationContext: DicomUid.ApplicationContext,
        presentationContexts: [],
        userInformation: { maxLength: 0, implementationClassUid: '1', roleSelections: [], extendedNegotiations: [] },
      }),
    ],
  ])('answers %s with A-ABORT and keeps serving', async (_name, bytes) => {
    const h = await startServer();
    const peer = await RawPeer.connect(h.port);
    await peer.associate();
    peer.send(bytes);
    const event = await peer.next();
    expect(event).toMatchObject({ kind: 'pdu', pdu: { type: PduType.Abort, source: 2 } });
    await peer.closed;
    const association = await h.client();
    await expect(association.echo()).resolves.toMatchObject({ status: 0 });
    await association.release();
  });

  it('answers an oversized PDU with reason "invalid PDU parameter value"', async () => {
    const h = await startServer({ maxPduLength: 16384 });
    const peer = await RawPeer.connect(h.port);
    await peer.associate();
    peer.send(Buffer.from([4, 0, 0, 0, 0x40, 0x01]));
    expect(await peer.next()).toMatchObject({
      kind: 'pdu',
      pdu: { type: 7, source: 2, reason: AbortReason.InvalidPduParameterValue },
    });
  });

  it('survives 600 mutated PDU streams over real connections', async () => {
    const h = await startServer({ timeouts: { artimMs: 200 } });
    let seed = 42;
    const random = (): number => (seed = (seed * 1103515245 + 12345) >>> 0) / 0x100000000;
    const valid = [
      encodeAssociateRq({
        protocolVersion: 1,
        calledAeTitle: 'PACS',
        callingAeTitle: 'FUZZ',
        applicationContext: DicomUid.ApplicationContext,
        presentationContexts: [
          { id: 1, abstractSyntax: DicomUid.Verification, transferSyntaxes: [DicomUid.ImplicitVrLittleEndian] },
        ],
        userInformation: {
          maxLength: 0,
          implementationClassUid: '1.2',
          roleSelections: [{ sopClassUid: CT, scuRole: true, scpRole: true }],
          extendedNegotiations: [{ sopClassUid: CT, info: Buffer.from([1]) }],
          userIdentity: {
            type: 1,
            positiveResponseRequested: true,
            primaryField: Buffer.from('u'),
            secondaryField: Buffer.alloc(0),
          },
        },
      }),
      encodePDataTf([
        {
          contextId: 1,
          control: PdvControl.Command | PdvControl.Last,
          data: encodeCommand({
            commandField: CommandField.CEchoRq,
            messageId: 1,
            affectedSopClassUid: DicomUid.Verification,
            commandDataSetType: NO_DATA_SET,
          }),
        },
      ]),
      encodeReleaseRq(),
      encodeAbort({ source: 0, reason: 0 }),
    ];
    const sessions: Array<Promise<void>> = [];
    for (let i = 0; i < 600; i++) {
      const bytes = Buffer.from(Buffer.concat(valid.slice(0, 1 + Math.floor(random() * valid.length))));
      const mutations = 1 + Math.floor(random() * 6);
      for (let m = 0; m < mutations; m++) bytes[Math.floor(random() * bytes.length)] = Math.floor(random() * 256);
      sessions.push(
        new Promise<void>((resolve) => {
          const socket = connect({ host: '127.0.0.1', port: h.port }, () => {
            socket.end(bytes);
          });
          socket.on('error', () => resolve());
          socket.on('close', () => resolve());
          socket.resume();
        }),
      );
      if (sessions.length >= 50) await Promise.all(sessions.splice(0));
    }
    await Promise.all(sessions);
    const association = await h.client();
    await expect(association.echo()).resolves.toMatchObject({ status: 0 });
    await association.release();
    await until(() => h.server.openAssociations === 0);
  });
});

describe('DimseServer shutdown', () => {
  it('waits for open associations up to the timeout, then aborts them; refuses new connections', async () => {
    const h = await startServer();
    const association = await h.client();
    const closing = h.server.close({ timeoutMs: 150 });
    await expect(association.echo()).resolves.toMatchObject({ status: 0 });
    await closing;
    await expect(association.closed).resolves.toMatchObject({ kind: 'aborted', by: 'peer', source: 0 });
    await expect(h.client()).rejects.toMatchObject({ code: 'CONNECT_FAILED' });
  });

  it('finishes as soon as the associations are released', async () => {
    const h = await startServer();
    const association = await h.client();
    const started = Date.now();
    const closing = h.server.close({ timeoutMs: 5000 });
    await association.release();
    await closing;
    expect(Date.now() - started).toBeLessThan(2000);
    expect(h.events.map((e) => e.name)).toEqual(['associationEstablished', 'associationReleased']);
  });
});

describe('DimseServer over TLS (PS3.15 B.1)', () => {
  let dir: string;
  let key: Buffer;
  let cert: Buffer;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'dimse-tls-'));
    const { certFile, keyFile } = selfSignedCertificate(dir);
    key = readFileSync(keyFile);
    cert = readFileSync(certFile);
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('negotiates and stores over TLS with a client certificate', async () => {
    const h = await startServer({
      tls: { key, cert, ca: cert, requestCert: true },
      onCStore: async (_c, _m, d) => (await collect(d), 0),
    });
    const association = await h.client({ tls: { ca: cert, key, cert } });
    await expect(
      association.store({ sopClassUid: CT, sopInstanceUid: '1', dataset: bigDataset }),
    ).resolves.toMatchObject({ status: 0 });
    await association.release();
    expect(h.requests[0]).toMatchObject({ tlsAuthorized: true, tlsPeerCertificate: { subject: { CN: 'localhost' } } });
  });

  it('refuses a client without a certificate when one is required', async () => {
    const h = await startServer({ tls: { key, cert, ca: cert, requestCert: true } });
    await expect(h.client({ tls: { ca: cert }, timeouts: { artimMs: 2000 } })).rejects.toBeInstanceOf(DimseError);
    expect(h.requests).toHaveLength(0);
  });
});
