// Query/Retrieve against DCMTK, a DICOM implementation nobody here wrote: findscu, getscu and
// movescu as peers of our server, storescp as the C-MOVE destination, with in-test handlers.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { readPart10, type DicomDataset } from '@pacs/dicom';
import { ctInstanceFile, encodeDataset, type TestElement } from '@pacs/dicom/testing';
import type { AssociationRequest, CFindMatch, DimseRequestHandlers, RetrieveInstance } from './association.types';
import type { DimseCommand } from './command-set';
import { DicomUid } from './dicom-uids';
import { DimseClient } from './dimse-client';
import { DimseStatusError } from './dimse.errors';
import { DimseServer } from './dimse-server';
import { DimseStatus } from './dimse-status';
import { hasTool, runTool, startTool } from './testing/dcmtk';
import { readPart10 as splitPart10 } from './testing/part10-file';

const tools = ['findscu', 'getscu', 'movescu', 'storescp'];
const missing = tools.filter((tool) => !hasTool(tool));
if (missing.length > 0) {
  throw new Error(`DCMTK tools missing (${missing.join(', ')}): install the dcmtk package`);
}

const PATIENT_ROOT = {
  find: '1.2.840.10008.5.1.4.1.2.1.1',
  move: '1.2.840.10008.5.1.4.1.2.1.2',
  get: '1.2.840.10008.5.1.4.1.2.1.3',
};
const STUDY_ROOT = {
  find: DicomUid.StudyRootQueryRetrieveFind,
  move: DicomUid.StudyRootQueryRetrieveMove,
  get: DicomUid.StudyRootQueryRetrieveGet,
};
const QR_CLASSES = new Set([...Object.values(PATIENT_ROOT), ...Object.values(STUDY_ROOT)]);
const CT = DicomUid.CtImageStorage;

interface Seen {
  readonly command: DimseCommand;
  readonly identifier: DicomDataset;
  readonly callingAeTitle: string;
}

/**
 * Our server with the given Q/R handlers. It accepts Verification, the Q/R classes and CT storage
 * (first proposed transfer syntax), and grants every proposed role.
 */
async function startServer(handlers: DimseRequestHandlers) {
  const requests: AssociationRequest[] = [];
  const server = new DimseServer({
    port: 0,
    ...handlers,
    onAssociationRequest: async (request) => {
      requests.push(request);
      const contexts = new Map<number, { transferSyntax: string } | { reject: number }>();
      for (const pc of request.presentationContexts) {
        const known = pc.abstractSyntax === DicomUid.Verification || QR_CLASSES.has(pc.abstractSyntax);
        const storage = pc.abstractSyntax === CT;
        contexts.set(pc.id, known || storage ? { transferSyntax: pc.transferSyntaxes[0]! } : { reject: 3 });
      }
      return { accept: { contexts } };
    },
  });
  servers.push(server);
  const { port } = await server.listen();
  return { server, port: String(port), requests };
}

const servers: DimseServer[] = [];
let work: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'dimse-qr-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close({ timeoutMs: 200 })));
});

let dirCounter = 0;
function freshDir(name: string): string {
  const dir = join(work, `${name}-${++dirCounter}`);
  mkdirSync(dir);
  return dir;
}

/** The responses findscu -X wrote, parsed by our DICOM reader, in order. */
function extractedResponses(dir: string): DicomDataset[] {
  return readdirSync(dir)
    .filter((name) => /^rsp\d+\.dcm$/.test(name))
    .sort()
    .map((name) => {
      const read = readPart10(readFileSync(join(dir, name)));
      if (read.status !== 'complete') throw new Error(`${name} unreadable`);
      return read.dataset;
    });
}

/** A C-FIND response identifier: the given elements, in the request's transfer syntax. */
function match(elements: readonly TestElement[], transferSyntax: string, warn = false): CFindMatch {
  return { identifier: encodeDataset(elements, transferSyntax), ...(warn ? { optionalKeysNotSupported: true } : {}) };
}

describe('findscu against our C-FIND SCP', () => {
  it.each([
    ['-P', PATIENT_ROOT.find, 'PATIENT'],
    ['-P', PATIENT_ROOT.find, 'STUDY'],
    ['-P', PATIENT_ROOT.find, 'SERIES'],
    ['-P', PATIENT_ROOT.find, 'IMAGE'],
    ['-S', STUDY_ROOT.find, 'STUDY'],
    ['-S', STUDY_ROOT.find, 'SERIES'],
    ['-S', STUDY_ROOT.find, 'IMAGE'],
  ])(
    'findscu %s at level %s... %s: the handler gets the identifier, findscu every match',
    async (model, sop, level) => {
      const seen: Seen[] = [];
      const s = await startServer({
        async *onCFind(ctx, command, identifier) {
          seen.push({ command, identifier, callingAeTitle: ctx.association.info.callingAeTitle });
          const ts = ctx.presentationContext.transferSyntax;
          for (const name of ['Doe^Jane', 'Roe^Richard']) {
            yield match(
              [
                { tag: 'QueryRetrieveLevel', value: identifier.string('QueryRetrieveLevel') ?? '' },
                { tag: 'PatientName', value: name },
                { tag: 'PatientID', value: `ID-${name.slice(0, 3)}` },
              ],
              ts,
            );
          }
        },
      });
      const out = freshDir('find');
      const run = await runTool('findscu', [
        '-v',
        model,
        '-aet',
        'VIEWER',
        '-aec',
        'PACS',
        '-k',
        `QueryRetrieveLevel=${level}`,
        '-k',
        'PatientName=D*',
        '-k',
        'PatientID',
        '-X',
        '-od',
        out,
        '127.0.0.1',
        s.port,
      ]);
      expect(run.output).toContain('Received Final Find Response (Success)');
      expect(run.code).toBe(0);
      expect(seen).toHaveLength(1);
      expect(seen[0]!.command.affectedSopClassUid).toBe(sop);
      expect(seen[0]!.callingAeTitle).toBe('VIEWER');
      expect(seen[0]!.identifier.string('QueryRetrieveLevel')).toBe(level);
      expect(seen[0]!.identifier.string('PatientName')).toBe('D*');
      // A return key: present, zero length.
      expect(seen[0]!.identifier.has('PatientID')).toBe(true);
      expect(seen[0]!.identifier.string('PatientID')).toBeUndefined();
      const responses = extractedResponses(out);
      expect(responses.map((r) => r.string('PatientName'))).toEqual(['Doe^Jane', 'Roe^Richard']);
      expect(responses.map((r) => r.string('QueryRetrieveLevel'))).toEqual([level, level]);
    },
  );

  it('sends FF01 for a match whose optional keys were not all supported', async () => {
    const s = await startServer({
      async *onCFind(ctx) {
        yield match([{ tag: 'PatientID', value: 'P1' }], ctx.presentationContext.transferSyntax, true);
      },
    });
    const run = await runTool('findscu', [
      '-d',
      '-S',
      '-aec',
      'PACS',
      '-k',
      'QueryRetrieveLevel=STUDY',
      '-k',
      'PatientID',
      '127.0.0.1',
      s.port,
    ]);
    expect(run.code).toBe(0);
    expect(run.output).toMatch(/DIMSE Status\s+: 0xff01/i);
    expect(run.output).toMatch(/DIMSE Status\s+: 0x0000/i);
  });

  it('stops at C-CANCEL (findscu --cancel): the handler is returned and the final status is FE00', async () => {
    let produced = 0;
    let returned = false;
    const s = await startServer({
      async *onCFind(ctx) {
        try {
          for (let i = 0; i < 20; i++) {
            await new Promise((resolve) => setTimeout(resolve, 50));
            produced++;
            yield match([{ tag: 'PatientID', value: `P${i}` }], ctx.presentationContext.transferSyntax);
          }
        } finally {
          returned = true;
        }
      },
    });
    const run = await runTool('findscu', [
      '-v',
      '-S',
      '-aec',
      'PACS',
      '--cancel',
      '2',
      '-k',
      'QueryRetrieveLevel=STUDY',
      '-k',
      'PatientID',
      '127.0.0.1',
      s.port,
    ]);
    expect(run.output).toContain('Sending Cancel Request');
    expect(run.output).toMatch(/Received Final Find Response \(Cancel/);
    // The generator is returned once the match it was preparing when the cancel came is done.
    for (let i = 0; i < 100 && !returned; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(returned).toBe(true);
    expect(produced).toBeLessThan(20);
  });

  it('answers the handler failure status with its Error Comment and Offending Element', async () => {
    const s = await startServer({
      // eslint-disable-next-line require-yield -- fails before the first match
      async *onCFind() {
        throw new DimseStatusError(
          DimseStatus.IdentifierDoesNotMatchSopClass,
          'Query/Retrieve Level (0008,0052) is missing',
          { offendingElement: [0x00080052] },
        );
      },
    });
    const run = await runTool('findscu', ['-d', '-S', '-aec', 'PACS', '-k', 'PatientID', '127.0.0.1', s.port]);
    expect(run.output).toMatch(/DIMSE Status\s+: 0xa900/i);
    expect(run.output).toContain('Query/Retrieve Level (0008,0052) is missing');
    expect(run.output).toMatch(/\(0000,0901\) AT \(0008,0052\)/);
  });

  it('answers C001 to a handler that throws anything else, keeping the message out of the response', async () => {
    const s = await startServer({
      // eslint-disable-next-line require-yield -- fails before the first match
      async *onCFind() {
        throw new Error('database password is hunter2');
      },
    });
    const run = await runTool('findscu', [
      '-d',
      '-S',
      '-aec',
      'PACS',
      '-k',
      'QueryRetrieveLevel=STUDY',
      '127.0.0.1',
      s.port,
    ]);
    expect(run.output).toMatch(/DIMSE Status\s+: 0xc001/i);
    expect(run.output).not.toContain('hunter2');
  });
});

interface Instance extends RetrieveInstance {
  readonly dataset: Buffer;
}

/** CT instances as stored Part 10 files would give them: data set bytes and their transfer syntax. */
function instances(count: number, transferSyntaxUid: string = DicomUid.ExplicitVrLittleEndian): Instance[] {
  const study = { studyInstanceUid: '1.2.826.0.1.3680043.10.1.1', seriesInstanceUid: '1.2.826.0.1.3680043.10.1.2' };
  return Array.from({ length: count }, (_, i) => {
    const file = splitPart10(
      ctInstanceFile({ ...study, instanceNumber: i + 1, rows: 64, columns: 64, transferSyntaxUid }),
    );
    return {
      sopClassUid: file.sopClassUid,
      sopInstanceUid: file.sopInstanceUid,
      transferSyntaxUid: file.transferSyntaxUid,
      dataset: file.dataset,
      open: async () => Readable.from([file.dataset.subarray(0, 1000), file.dataset.subarray(1000)]),
    };
  });
}

/** The data set of each Part 10 file in the folder, by SOP Instance UID. */
function receivedFiles(dir: string): Map<string, { transferSyntaxUid: string; dataset: Buffer }> {
  const files = new Map<string, { transferSyntaxUid: string; dataset: Buffer }>();
  for (const name of readdirSync(dir)) {
    const file = splitPart10(readFileSync(join(dir, name)));
    files.set(file.sopInstanceUid, file);
  }
  return files;
}

describe('getscu against our C-GET SCP', () => {
  it('receives every instance over the same association, byte for byte, with pending counts', async () => {
    const sent = instances(3);
    const seen: Seen[] = [];
    const s = await startServer({
      onCGet: async (ctx, command, identifier) => {
        seen.push({ command, identifier, callingAeTitle: ctx.association.info.callingAeTitle });
        return { instances: sent };
      },
    });
    const out = freshDir('get');
    const run = await runTool('getscu', [
      '-v',
      '-S',
      '-aec',
      'PACS',
      '-k',
      'QueryRetrieveLevel=STUDY',
      '-k',
      'StudyInstanceUID=1.2.826.0.1.3680043.10.1.1',
      '+B',
      '-od',
      out,
      '127.0.0.1',
      s.port,
    ]);
    expect(run.output).toContain('Received C-GET Response (Success)');
    expect(run.code).toBe(0);
    expect(seen[0]!.command.affectedSopClassUid).toBe(STUDY_ROOT.get);
    expect(seen[0]!.identifier.string('StudyInstanceUID')).toBe('1.2.826.0.1.3680043.10.1.1');
    // getscu proposes storage classes with the SCP role (PS3.7 D.3.3.4).
    expect(s.requests[0]!.roleSelections.some((r) => r.sopClassUid === CT && r.scpRole)).toBe(true);
    const received = receivedFiles(out);
    expect(received.size).toBe(3);
    for (const instance of sent) {
      expect(received.get(instance.sopInstanceUid)?.dataset.equals(instance.dataset)).toBe(true);
    }
    // A pending response after each sub-operation but the last.
    expect(run.output.match(/Received C-GET Response \(Pending\)/g)).toHaveLength(2);
  });

  it('answers B000, counting as failed an instance stored in a syntax getscu did not propose', async () => {
    // getscu proposes each storage class in Explicit VR Little Endian only: the Implicit VR
    // instance cannot be sent without transcoding.
    const explicit = instances(2, DicomUid.ExplicitVrLittleEndian);
    const implicit = instances(1, DicomUid.ImplicitVrLittleEndian);
    const s = await startServer({ onCGet: async () => ({ instances: [explicit[0]!, ...implicit, explicit[1]!] }) });
    const out = freshDir('get');
    const run = await runTool('getscu', [
      '-d',
      '-S',
      '-aec',
      'PACS',
      '-k',
      'QueryRetrieveLevel=STUDY',
      '-k',
      'StudyInstanceUID=1.2.826.0.1.3680043.10.1.1',
      '+B',
      '-od',
      out,
      '127.0.0.1',
      s.port,
    ]);
    expect(run.output).toMatch(/DIMSE Status\s+: 0xb000/i);
    expect(run.output).toMatch(/Completed Suboperations\s+: 2/);
    expect(run.output).toMatch(/Failed Suboperations\s+: 1/);
    expect([...receivedFiles(out).keys()].sort()).toEqual(explicit.map((i) => i.sopInstanceUid).sort());
  });
});

describe('movescu against our C-MOVE SCP, storescp as the destination', () => {
  let storescp: ReturnType<typeof startTool>;
  let storePort: number;
  let storeDir: string;

  beforeAll(async () => {
    storeDir = join(work, 'storescp');
    mkdirSync(storeDir);
    const probe = new DimseServer({ port: 0, onAssociationRequest: async () => ({ accept: { contexts: new Map() } }) });
    storePort = (await probe.listen()).port;
    await probe.close();
    storescp = startTool('storescp', ['-v', '+B', '+xa', '-od', storeDir, '-aet', 'STORESCP', String(storePort)]);
    for (let i = 0; i < 100; i++) {
      const up = await DimseClient.connect({
        host: '127.0.0.1',
        port: storePort,
        callingAeTitle: 'PROBE',
        calledAeTitle: 'STORESCP',
        presentationContexts: [
          { abstractSyntax: DicomUid.Verification, transferSyntaxes: [DicomUid.ImplicitVrLittleEndian] },
        ],
      }).then(
        async (a) => (await a.release(), true),
        () => false,
      );
      if (up) return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`storescp did not start: ${storescp.output()}`);
  });

  afterAll(() => {
    storescp.child.kill();
  });

  it('sends each instance to the destination over a new association, in its stored transfer syntax', async () => {
    const sent = [...instances(2), ...instances(1, DicomUid.ImplicitVrLittleEndian)];
    const seen: Seen[] = [];
    const s = await startServer({
      onCMove: async (ctx, command, identifier) => {
        seen.push({ command, identifier, callingAeTitle: ctx.association.info.callingAeTitle });
        if (command.moveDestination !== 'STORESCP') {
          throw new DimseStatusError(DimseStatus.MoveDestinationUnknown, `unknown ${command.moveDestination}`);
        }
        return { destination: { aeTitle: 'STORESCP', host: '127.0.0.1', port: storePort }, instances: sent };
      },
    });
    const run = await runTool('movescu', [
      '-v',
      '-S',
      '-aet',
      'VIEWER',
      '-aec',
      'PACS',
      '-aem',
      'STORESCP',
      '-k',
      'QueryRetrieveLevel=STUDY',
      '-k',
      'StudyInstanceUID=1.2.826.0.1.3680043.10.1.1',
      '127.0.0.1',
      s.port,
    ]);
    expect(run.output).toContain('Received Final Move Response (Success)');
    expect(run.code).toBe(0);
    expect(seen[0]!.command).toMatchObject({ affectedSopClassUid: STUDY_ROOT.move, moveDestination: 'STORESCP' });
    const received = receivedFiles(storeDir);
    for (const instance of sent) {
      const file = received.get(instance.sopInstanceUid);
      expect(file?.transferSyntaxUid).toBe(instance.transferSyntaxUid);
      expect(file?.dataset.equals(instance.dataset)).toBe(true);
    }
    // The sub-association called from our AE title (the one the C-MOVE was sent to): storescp
    // records it as Source Application Entity Title (0002,0016).
    const name = readdirSync(storeDir).find((n) => n.endsWith(sent[0]!.sopInstanceUid))!;
    const stored = readPart10(readFileSync(join(storeDir, name)));
    expect(stored.status === 'complete' && stored.header.meta?.sourceApplicationEntityTitle).toBe('PACS');
  });

  it('answers A801 to an unknown move destination', async () => {
    const s = await startServer({
      onCMove: async (_ctx, command) => {
        throw new DimseStatusError(
          DimseStatus.MoveDestinationUnknown,
          `move destination "${command.moveDestination}" unknown`,
        );
      },
    });
    const run = await runTool('movescu', [
      '-d',
      '-S',
      '-aec',
      'PACS',
      '-aem',
      'NOWHERE',
      '-k',
      'QueryRetrieveLevel=STUDY',
      '-k',
      'StudyInstanceUID=1.2.3',
      '127.0.0.1',
      s.port,
    ]);
    expect(run.output).toMatch(/DIMSE Status\s+: 0xa801/i);
    expect(run.output).toContain('move destination "NOWHERE" unknown');
  });
});
