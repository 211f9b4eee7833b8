import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readPart10 } from '@pacs/dicom';
import { transcodeToExplicitVrLittleEndian } from '@pacs/dicom-imaging';
import { ctInstanceElements, ctInstanceFile, encodePart10File, pydicomFolder, pydicomPath } from '@pacs/dicom/testing';
import { DimseServer, DimseStatus, type DimseHandlerResult } from '@pacs/dimse';
import { selfSignedCertificate } from '@pacs/dimse/testing';
import { freePort } from '@pacs/testing';
import type { DimseDestination } from '../destination';
import { applyModification } from '../modify/apply-modification';
import { DimseForwardSender } from './dimse-forward-sender.adapter';
import { isForwardError, type ForwardError } from './forward.errors';
import type { ForwardSession, SendOutcome } from './forward-sender.port';
import { toImplicitVrLittleEndian } from './implicit-vr';
import { datasetBytes, eventually, instanceOf, startStorescp, type Storescp } from './testing/forward-peers';

const ILE = '1.2.840.10008.1.2';
const ELE = '1.2.840.10008.1.2.1';
const BE = '1.2.840.10008.1.2.2';
const JPEG_BASELINE = '1.2.840.10008.1.2.4.50';
const RLE = '1.2.840.10008.1.2.5';
const CT = '1.2.840.10008.5.1.4.1.1.2';

function destinationOf(
  port: number,
  aeTitle = 'STORESCP',
  overrides: Partial<DimseDestination> = {},
): DimseDestination {
  return { id: 'peer', kind: 'dimse', aeTitle, host: '127.0.0.1', port, tls: false, maxConcurrency: 1, ...overrides };
}

const small = (options: Parameters<typeof ctInstanceFile>[0] = {}) =>
  ctInstanceFile({ rows: 32, columns: 32, pixelData: Buffer.alloc(2048, 3), ...options });

async function rejection(promise: Promise<unknown>): Promise<ForwardError> {
  try {
    await promise;
  } catch (error) {
    if (isForwardError(error)) return error;
    throw error;
  }
  throw new Error('expected a ForwardError');
}

function expectRejected(outcome: SendOutcome): Extract<SendOutcome, { kind: 'rejected' }> {
  if (outcome.kind !== 'rejected') throw new Error(`expected a rejection, got ${JSON.stringify(outcome)}`);
  return outcome;
}

const sender = new DimseForwardSender({ callingAeTitle: 'ROUTER', timeouts: { connectMs: 5000 } });

describe('DimseForwardSender against DCMTK storescp', () => {
  // pydicom's corpus (Debian's python3-pydicom): fails naming the package when it is missing.
  beforeAll(() => pydicomFolder('test_files'));
  describe('a peer that takes the uncompressed syntaxes (storescp defaults)', () => {
    let storescp: Storescp;
    let session: ForwardSession | undefined;

    beforeAll(async () => {
      storescp = await startStorescp();
    });
    afterEach(async () => {
      await session?.close();
      session = undefined;
    });
    afterAll(() => storescp?.stop());

    it('sends several instances on one association, data sets byte for byte as stored', async () => {
      const files = [
        small({ transferSyntaxUid: ELE }),
        small({ transferSyntaxUid: ILE }),
        small({ transferSyntaxUid: BE }),
      ];
      const before = storescp.associations();
      session = await sender.open(destinationOf(storescp.port), [
        { sopClassUid: CT, transferSyntaxUid: ELE },
        { sopClassUid: CT, transferSyntaxUid: ILE },
        { sopClassUid: CT, transferSyntaxUid: BE },
      ]);
      const outcomes = [];
      for (const file of files) outcomes.push(await session.send(instanceOf(file)));
      expect(outcomes).toEqual([
        { kind: 'confirmed', transferSyntaxUid: ELE },
        { kind: 'confirmed', transferSyntaxUid: ILE },
        { kind: 'confirmed', transferSyntaxUid: BE },
      ]);
      const received = storescp.received();
      for (const file of files) {
        const copy = received.get(instanceOf(file).sopInstanceUid)!;
        expect(copy).toBeDefined();
        expect(datasetBytes(copy).equals(datasetBytes(file))).toBe(true);
      }
      expect(storescp.associations() - before).toBe(1);
    });

    it('applies the rule changes to the copy it sends', async () => {
      const file = small();
      const modify = { set: { InstitutionName: ['Teaching File'] }, remove: ['PatientBirthDate'] };
      session = await sender.open(destinationOf(storescp.port), [{ sopClassUid: CT, transferSyntaxUid: ELE }]);
      expect(await session.send(instanceOf(file), modify)).toEqual({ kind: 'confirmed', transferSyntaxUid: ELE });
      const copy = storescp.received().get(instanceOf(file).sopInstanceUid)!;
      expect(datasetBytes(copy).equals(datasetBytes(applyModification(file, modify)))).toBe(true);
      const read = readPart10(copy);
      if (read.status !== 'complete') throw new Error('incomplete');
      expect(read.dataset.string('InstitutionName')).toBe('Teaching File');
      expect(read.dataset.has('PatientBirthDate')).toBe(false);
    });

    it.each([
      ['JPEG Baseline', 'test_files/SC_rgb_jpeg_dcmtk.dcm', JPEG_BASELINE],
      ['RLE Lossless', 'test_files/MR_small_RLE.dcm', RLE],
    ])('decodes %s, which the peer refuses, to Explicit VR Little Endian', async (_name, path, syntax) => {
      const file = readFileSync(pydicomPath(path));
      const instance = instanceOf(file);
      expect(instance.transferSyntaxUid).toBe(syntax);
      session = await sender.open(destinationOf(storescp.port), [instance]);
      expect(await session.send(instance)).toEqual({ kind: 'confirmed', transferSyntaxUid: ELE });
      const copy = storescp.received().get(instance.sopInstanceUid)!;
      const expected = datasetBytes(await transcodeToExplicitVrLittleEndian(file));
      expect(datasetBytes(copy).equals(expected)).toBe(true);
    });

    it('renegotiates for an instance outside the hint', async () => {
      const before = storescp.associations();
      session = await sender.open(destinationOf(storescp.port), [{ sopClassUid: CT, transferSyntaxUid: ELE }]);
      const mr = readFileSync(pydicomPath('test_files/MR_small.dcm'));
      expect(await session.send(instanceOf(small()))).toMatchObject({ kind: 'confirmed' });
      expect(await session.send(instanceOf(mr))).toMatchObject({ kind: 'confirmed' });
      expect(await session.send(instanceOf(small()))).toMatchObject({ kind: 'confirmed' }); // no third association
      expect(datasetBytes(storescp.received().get(instanceOf(mr).sopInstanceUid)!).equals(datasetBytes(mr))).toBe(true);
      expect(storescp.associations() - before).toBe(2);
    });

    it('rejects an instance nothing fits, and the next one still goes', async () => {
      // A SOP class the peer does not know (storescp without -pm) ...
      const unknownClass = encodePart10File({
        elements: [
          ...ctInstanceElements({ rows: 4, columns: 4 }).filter((e) => e.tag !== 'SOPClassUID'),
          { tag: 'SOPClassUID', value: '1.2.826.0.1.3680043.2.1143.999.1' },
        ],
        transferSyntaxUid: ELE,
      });
      // ... and a syntax the peer refuses that cannot be decoded here (MPEG-2 video).
      const mpeg = encodePart10File({
        elements: [
          ...ctInstanceElements({ rows: 4, columns: 4 }).filter((e) => e.tag !== 'PixelData'),
          { tag: 'PixelData', vr: 'OB', fragments: [Buffer.alloc(0), Buffer.from([0, 0, 1, 0xb3, 1, 2])] },
        ],
        transferSyntaxUid: '1.2.840.10008.1.2.4.100',
      });
      session = await sender.open(destinationOf(storescp.port), [instanceOf(unknownClass), instanceOf(mpeg)]);
      const first = expectRejected(await session.send(instanceOf(unknownClass)));
      expect(first.code).toBe('NO_ACCEPTED_CONTEXT');
      expect(first.message).toMatch(
        /STORESCP@127\.0\.0\.1:\d+ accepted no presentation context for SOP class 1\.2\.826\.0\.1\.3680043\.2\.1143\.999\.1/,
      );
      const second = expectRejected(await session.send(instanceOf(mpeg)));
      expect(second.code).toBe('NO_ACCEPTED_CONTEXT');
      expect(second.message).toMatch(
        /only in Explicit VR Little Endian, Implicit VR Little Endian.*MPEG2.*cannot be converted/,
      );
      const next = small();
      expect(await session.send(instanceOf(next))).toEqual({ kind: 'confirmed', transferSyntaxUid: ELE });
      expect(storescp.received().has(instanceOf(unknownClass).sopInstanceUid)).toBe(false);
      expect(storescp.received().has(instanceOf(next).sopInstanceUid)).toBe(true);
    });

    it('rejects a modification the character set cannot hold, naming the attribute', async () => {
      session = await sender.open(destinationOf(storescp.port), []);
      const outcome = expectRejected(
        await session.send(instanceOf(small()), { set: { InstitutionName: ['山田病院'] } }),
      );
      expect(outcome.code).toBe('MODIFICATION_FAILED');
      expect(outcome.message).toMatch(/InstitutionName/);
    });
  });

  describe('a peer that takes Implicit VR Little Endian only (storescp +xi)', () => {
    let storescp: Storescp;
    let session: ForwardSession | undefined;

    beforeAll(async () => {
      storescp = await startStorescp(['+xi']);
    });
    afterEach(async () => {
      await session?.close();
      session = undefined;
    });
    afterAll(() => storescp?.stop());

    it('re-encodes an Explicit VR instance in Implicit VR, values unchanged', async () => {
      const file = small();
      session = await sender.open(destinationOf(storescp.port), [instanceOf(file)]);
      expect(await session.send(instanceOf(file))).toEqual({ kind: 'confirmed', transferSyntaxUid: ILE });
      const copy = storescp.received().get(instanceOf(file).sopInstanceUid)!;
      const sent = readPart10(file);
      const got = readPart10(copy);
      if (sent.status !== 'complete' || got.status !== 'complete') throw new Error('incomplete');
      expect(got.header.transferSyntax.uid).toBe(ILE);
      expect(datasetBytes(copy).equals(toImplicitVrLittleEndian(sent.dataset))).toBe(true);
      for (const element of sent.dataset) {
        const other = got.dataset.get(element.tag)!;
        expect(other).toBeDefined();
        if (!element.items) expect(got.dataset.bytesOf(element.tag)).toEqual(sent.dataset.bytesOf(element.tag));
      }
      expect(got.dataset.items('ProcedureCodeSequence')[0]!.string('CodeValue')).toBe('CTTA');
    });

    it('decodes a JPEG instance and sends it in Implicit VR', async () => {
      const file = readFileSync(pydicomPath('test_files/SC_rgb_jpeg_dcmtk.dcm'));
      session = await sender.open(destinationOf(storescp.port), [instanceOf(file)]);
      expect(await session.send(instanceOf(file))).toEqual({ kind: 'confirmed', transferSyntaxUid: ILE });
      const explicit = readPart10(await transcodeToExplicitVrLittleEndian(file));
      if (explicit.status !== 'complete') throw new Error('incomplete');
      const copy = storescp.received().get(instanceOf(file).sopInstanceUid)!;
      expect(datasetBytes(copy).equals(toImplicitVrLittleEndian(explicit.dataset))).toBe(true);
    });
  });

  it('speaks TLS to a destination with tls: true (storescp +tls)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'routing-tls-'));
    const { certFile, keyFile } = selfSignedCertificate(dir);
    const storescp = await startStorescp(['+tls', keyFile, certFile, '-ic']);
    try {
      const tlsSender = new DimseForwardSender({ tls: { ca: readFileSync(certFile) } });
      const file = small();
      const session = await tlsSender.open(destinationOf(storescp.port, 'STORESCP', { tls: true }), [instanceOf(file)]);
      expect(await session.send(instanceOf(file))).toEqual({ kind: 'confirmed', transferSyntaxUid: ELE });
      await session.close();
      expect(datasetBytes(storescp.received().get(instanceOf(file).sopInstanceUid)!).equals(datasetBytes(file))).toBe(
        true,
      );
      // Plain TCP to the same peer fails (storescp drops the connection), as a retriable error.
      const error = await rejection(sender.open(destinationOf(storescp.port), [instanceOf(file)]));
      expect(error.retriable).toBe(true);
    } finally {
      await storescp.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  describe('a peer that is down or refuses', () => {
    it('a destination where nothing listens: a retriable CONNECTION_FAILED naming the peer', async () => {
      const port = await freePort();
      const error = await rejection(
        sender.open(destinationOf(port, 'NOBODY'), [{ sopClassUid: CT, transferSyntaxUid: ELE }]),
      );
      expect(error.code).toBe('CONNECTION_FAILED');
      expect(error.retriable).toBe(true);
      expect(error.message).toContain(`NOBODY@127.0.0.1:${port}`);
      // A session opened without a hint connects on its first send, and fails the same way.
      const session = await sender.open(destinationOf(port, 'NOBODY'), []);
      const late = await rejection(session.send(instanceOf(small())));
      expect(late.code).toBe('CONNECTION_FAILED');
      await session.close();
    });

    it('a peer that refuses the association (storescp --refuse): retriable ASSOCIATION_REJECTED', async () => {
      const storescp = await startStorescp(['--refuse']);
      try {
        const error = await rejection(
          sender.open(destinationOf(storescp.port), [{ sopClassUid: CT, transferSyntaxUid: ELE }]),
        );
        expect(error.code).toBe('ASSOCIATION_REJECTED');
        expect(error.retriable).toBe(true);
        expect(error.message).toMatch(/STORESCP@127\.0\.0\.1:\d+ .*rejected the association/);
      } finally {
        await storescp.stop();
      }
    });

    it('a peer that aborts during the C-STORE (storescp --abort-after): retriable, and the session recovers', async () => {
      const storescp = await startStorescp(['--abort-after']);
      try {
        const session = await sender.open(destinationOf(storescp.port), [{ sopClassUid: CT, transferSyntaxUid: ELE }]);
        const error = await rejection(session.send(instanceOf(small())));
        expect(error.code).toBe('CONNECTION_LOST');
        expect(error.retriable).toBe(true);
        // The next send negotiates a new association (which this peer aborts again).
        const again = await rejection(session.send(instanceOf(small())));
        expect(again.code).toBe('CONNECTION_LOST');
        await eventually(() => expect(storescp.associations()).toBe(2));
        await session.close();
      } finally {
        await storescp.stop();
      }
    });
  });
});

describe('DimseForwardSender: the C-STORE-RSP status decides (a @pacs/dimse Storage SCP answering them)', () => {
  const statuses = new Map<string, DimseHandlerResult>();
  let server: DimseServer;
  let port: number;

  beforeAll(async () => {
    server = new DimseServer({
      port: 0,
      onAssociationRequest: async (request) => ({
        accept: {
          contexts: new Map(
            request.presentationContexts.map((pc) => [pc.id, { transferSyntax: pc.transferSyntaxes[0]! }]),
          ),
        },
      }),
      onCStore: async (_ctx, command, dataset) => {
        for await (const chunk of dataset) void chunk;
        return statuses.get(command.affectedSopInstanceUid ?? '') ?? DimseStatus.Success;
      },
    });
    port = (await server.listen()).port;
  });
  afterAll(() => server?.close());

  async function sendAnswered(result: DimseHandlerResult): Promise<SendOutcome> {
    const file = small();
    statuses.set(instanceOf(file).sopInstanceUid, result);
    const session = await sender.open(destinationOf(port, 'SCP'), [instanceOf(file)]);
    try {
      return await session.send(instanceOf(file));
    } finally {
      await session.close();
    }
  }

  it.each([
    ['A900', 'DATA_SET_DOES_NOT_MATCH_SOP_CLASS', 0xa900, 'Patient module missing'],
    ['0122', 'SOP_CLASS_NOT_SUPPORTED', 0x0122, 'not here'],
    ['C000', 'CANNOT_UNDERSTAND', 0xc000, 'garbled'],
    ['C123', 'CANNOT_UNDERSTAND', 0xc123, ''],
    ['A801', 'REFUSED', 0xa801, 'whatever this is'],
  ])('%s: rejected %s with the status and the Error Comment', async (hex, code, status, errorComment) => {
    const outcome = expectRejected(await sendAnswered(errorComment ? { status, errorComment } : status));
    expect(outcome).toMatchObject({ code, remoteStatus: status });
    expect(outcome.message).toContain(hex);
    expect(outcome.message).toContain(`SCP@127.0.0.1:${port}`);
    if (errorComment) expect(outcome.message).toContain(errorComment);
  });

  it.each([
    ['A700', 'OUT_OF_RESOURCES', 0xa700],
    ['A7FF', 'OUT_OF_RESOURCES', 0xa7ff],
    ['0110', 'PROCESSING_FAILURE', 0x0110],
    ['0213', 'BUSY', 0x0213],
    ['0124', 'NOT_AUTHORIZED', 0x0124],
  ])('%s: a retriable ForwardError %s', async (_hex, code, status) => {
    const error = await rejection(sendAnswered({ status, errorComment: 'disk full' }));
    expect(error).toMatchObject({ code, retriable: true, remoteStatus: status });
    expect(error.message).toContain('disk full');
  });

  it.each([
    ['B000', 'COERCION_OF_DATA_ELEMENTS', 0xb000],
    ['B007', 'DATA_SET_DOES_NOT_MATCH_SOP_CLASS', 0xb007],
    ['0111', 'DUPLICATE_SOP_INSTANCE', 0x0111],
  ])('%s: confirmed with a %s warning', async (_hex, code, status) => {
    expect(await sendAnswered({ status, errorComment: 'noted' })).toEqual({
      kind: 'confirmed',
      transferSyntaxUid: ELE,
      warning: { code, message: expect.stringContaining('noted'), remoteStatus: status },
    });
  });

  it('refuses a destination of the other kind', async () => {
    const error = await rejection(
      sender.open({ id: 'web', kind: 'dicomweb', stowUrl: 'http://x/studies', headers: {}, maxConcurrency: 1 }, []),
    );
    expect(error).toMatchObject({ code: 'MISUSE', retriable: false });
  });

  it('keeps the calling AE title of the destination', async () => {
    const seen: string[] = [];
    server.once('associationEstablished', (event) => seen.push(event.association.callingAeTitle));
    const session = await sender.open(destinationOf(port, 'SCP', { callingAeTitle: 'ARCHIVE1' }), [
      { sopClassUid: CT, transferSyntaxUid: ELE },
    ]);
    await session.close();
    expect(seen).toEqual(['ARCHIVE1']);
  });
});
