// Interoperability with DCMTK, a DICOM implementation nobody here wrote: DCMTK's tools as the
// peer of our server (echoscu, storescu) and as the peer of our client (storescp).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type { AssociationRequest } from './association.types';
import { DicomUid } from './dicom-uids';
import { DimseClient } from './dimse-client';
import { type AssociationEvent, DimseServer } from './dimse-server';
import { DimseStatus } from './dimse-status';
import { datasetSopInstanceUid, hasTool, runTool, startTool } from './testing/dcmtk';
import { pydicomTestFile, readPart10File, withoutTrailingPadding } from './testing/part10-file';

const tools = ['echoscu', 'storescu', 'storescp', 'dcmconv'];
const missing = tools.filter((tool) => !hasTool(tool));
if (missing.length > 0) {
  throw new Error(`DCMTK tools missing (${missing.join(', ')}): install the dcmtk package`);
}

async function collect(dataset: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of dataset) parts.push(chunk as Buffer);
  return Buffer.concat(parts);
}

interface Received {
  readonly sopInstanceUid: string | undefined;
  readonly transferSyntax: string;
  readonly bytes: Buffer;
}

/**
 * Our server, accepting for each proposed context the transfer syntax `choose` picks (the first
 * proposed one by default) and answering C-STORE with `status` after reading the whole data set.
 */
async function startServer(
  options: { choose?: (proposed: readonly string[]) => string | undefined; status?: number } = {},
) {
  const received: Received[] = [];
  const requests: AssociationRequest[] = [];
  const events: Array<{ name: string; event: AssociationEvent }> = [];
  const server = new DimseServer({
    port: 0,
    onAssociationRequest: async (request) => {
      requests.push(request);
      if (request.calledAeTitle !== 'PACS') return { reject: { result: 1, source: 1, reason: 7 } };
      const contexts = new Map<number, { transferSyntax: string } | { reject: number }>();
      for (const pc of request.presentationContexts) {
        const ts = (options.choose ?? ((proposed) => proposed[0]))(pc.transferSyntaxes);
        contexts.set(pc.id, ts ? { transferSyntax: ts } : { reject: 4 });
      }
      return { accept: { contexts } };
    },
    onCStore: async (ctx, command, dataset) => {
      received.push({
        sopInstanceUid: command.affectedSopInstanceUid,
        transferSyntax: ctx.presentationContext.transferSyntax,
        bytes: await collect(dataset),
      });
      return options.status ?? DimseStatus.Success;
    },
  });
  for (const name of [
    'associationEstablished',
    'associationReleased',
    'associationAborted',
    'associationRejected',
  ] as const) {
    server.on(name, (event) => events.push({ name, event }));
  }
  const { port } = await server.listen();
  return { server, port: String(port), received, requests, events };
}

let work: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'dimse-dcmtk-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

const servers: DimseServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close({ timeoutMs: 200 })));
});

async function server(options?: Parameters<typeof startServer>[0]) {
  const started = await startServer(options);
  servers.push(started.server);
  return started;
}

describe('DCMTK SCUs against our server', () => {
  it('echoscu gets a successful C-ECHO', async () => {
    const s = await server();
    const run = await runTool('echoscu', ['-v', '-aet', 'ECHOSCU', '-aec', 'PACS', '127.0.0.1', s.port]);
    expect(run.output).toContain('Received Echo Response (Success)');
    expect(run.code).toBe(0);
    expect(s.events.map((e) => e.name)).toEqual(['associationEstablished', 'associationReleased']);
    expect(s.events[1]!.event.association).toMatchObject({ callingAeTitle: 'ECHOSCU', calledAeTitle: 'PACS' });
    expect(s.requests[0]!.implementationClassUid).toMatch(/^1\.2\.276\.0\.7230010\.3/); // OFFIS
  });

  it('echoscu to an unknown called AE title is rejected with reason 7', async () => {
    const s = await server();
    const run = await runTool('echoscu', ['-aet', 'ECHOSCU', '-aec', 'NOBODY', '127.0.0.1', s.port]);
    expect(run.code).not.toBe(0);
    expect(run.output).toContain('Called AE Title Not Recognized');
    expect(s.events).toHaveLength(1);
    expect(s.events[0]).toMatchObject({
      name: 'associationRejected',
      event: { end: { rejection: { result: 1, source: 1, reason: 7 } }, association: { calledAeTitle: 'NOBODY' } },
    });
  });

  // storescu does not send the file's bytes verbatim: DCMTK re-encodes every data set it sends
  // (sequences with explicit lengths, no trailing padding element) and converts it when we
  // accept another transfer syntax than the file's. The reference is therefore DCMTK's own
  // encoding of the file in the accepted transfer syntax, from dcmconv (which keeps the trailing
  // padding, so that is cut). We compare bytes rather than parsed attributes so that any loss,
  // duplication or reordering of fragments on our side shows. For CT_small, MR_small_implicit,
  // MR_small_bigendian and rtplan the reference is the file's data set itself (minus padding).
  it.each([
    ['CT_small.dcm', [], DicomUid.ExplicitVrLittleEndian, '+t='],
    ['MR_small_implicit.dcm', [], DicomUid.ImplicitVrLittleEndian, '+t='],
    ['MR_small_bigendian.dcm', ['-xb'], DicomUid.ExplicitVrBigEndian, '+t='],
    ['JPEG2000.dcm', ['-xw'], DicomUid.Jpeg2000, '+t='],
    ['rtplan.dcm', ['-R'], DicomUid.ImplicitVrLittleEndian, '+t='],
    ['CT_small.dcm', ['-xs'], DicomUid.ExplicitVrLittleEndian, '+t='],
    ['MR_small_implicit.dcm', ['-xe'], DicomUid.ExplicitVrLittleEndian, '+te'],
    ['MR_small_bigendian.dcm', ['-xi'], DicomUid.ImplicitVrLittleEndian, '+ti'],
  ])('storescu %s %j: the handler streams the data set bytes DCMTK sent', async (name, args, ts, dcmconvArg) => {
    const converted = join(work, `${name}.${args.join('')}.dcm`);
    execFileSync('dcmconv', [dcmconvArg, pydicomTestFile(name), converted]);
    const reference = readPart10File(converted);
    expect(reference.transferSyntaxUid).toBe(ts);
    const expected =
      ts === DicomUid.ExplicitVrBigEndian
        ? reference.dataset
        : withoutTrailingPadding(reference.dataset, ts !== DicomUid.ImplicitVrLittleEndian);
    const s = await server({ choose: (proposed) => (proposed.includes(ts) ? ts : undefined) });
    const run = await runTool('storescu', [
      '-v',
      ...args,
      '-aet',
      'STORESCU',
      '-aec',
      'PACS',
      '127.0.0.1',
      s.port,
      pydicomTestFile(name),
    ]);
    expect(run.output).toContain('Received Store Response (Success)');
    expect(run.code).toBe(0);
    expect(s.received).toHaveLength(1);
    expect(s.received[0]!.sopInstanceUid).toBe(datasetSopInstanceUid(pydicomTestFile(name)));
    expect(s.received[0]!.transferSyntax).toBe(ts);
    expect(s.received[0]!.bytes.length).toBe(expected.length);
    expect(s.received[0]!.bytes.equals(expected)).toBe(true);
    if (args.includes('-xs')) {
      const ct = s.requests[0]!.presentationContexts.find((pc) => pc.abstractSyntax === DicomUid.CtImageStorage)!;
      expect(ct.transferSyntaxes[0]).toBe(DicomUid.JpegLosslessSv1);
    }
  });

  it('storescu sends several files on one association', async () => {
    const s = await server();
    const names = ['CT_small.dcm', 'MR_small.dcm', 'rtplan.dcm', 'JPEG2000.dcm'];
    const run = await runTool('storescu', ['-xw', '-aec', 'PACS', '127.0.0.1', s.port, ...names.map(pydicomTestFile)]);
    expect(run.code).toBe(0);
    expect(s.received.map((r) => r.sopInstanceUid)).toEqual(
      names.map((n) => datasetSopInstanceUid(pydicomTestFile(n))),
    );
    expect(s.events.map((e) => e.name)).toEqual(['associationEstablished', 'associationReleased']);
    expect(s.events[1]!.event.stats.requestsReceived).toBe(4);
  });

  it('storescu sees the failure status our handler returns', async () => {
    const s = await server({ status: DimseStatus.OutOfResources });
    const run = await runTool('storescu', ['-v', '-aec', 'PACS', '127.0.0.1', s.port, pydicomTestFile('rtplan.dcm')]);
    expect(run.output).toContain('Received Store Response (Refused: OutOfResources)');
    expect(run.code).not.toBe(0);
  });

  it('storescu sees a warning status (B000) as such', async () => {
    const s = await server({ status: DimseStatus.CoercionOfDataElements });
    const run = await runTool('storescu', ['-v', '-aec', 'PACS', '127.0.0.1', s.port, pydicomTestFile('rtplan.dcm')]);
    expect(run.output).toMatch(/Received Store Response \(Warning/);
  });
});

describe('our client against DCMTK storescp', () => {
  let storescp: ReturnType<typeof startTool>;
  let port: number;
  let outDir: string;

  beforeAll(async () => {
    outDir = join(work, 'storescp');
    execFileSync('mkdir', ['-p', outDir]);
    const probe = new DimseServer({ port: 0, onAssociationRequest: async () => ({ accept: { contexts: new Map() } }) });
    port = (await probe.listen()).port;
    await probe.close();
    // +xa: accept every transfer syntax DCMTK knows; +B: write the data set exactly as received
    // (otherwise storescp re-encodes it, see above).
    storescp = startTool('storescp', ['+B', '+xa', '-od', outDir, '-aet', 'STORESCP', String(port)]);
    // Wait until storescp listens.
    for (let i = 0; i < 100; i++) {
      const ok = await DimseClient.connect({
        host: '127.0.0.1',
        port,
        callingAeTitle: 'PROBE',
        calledAeTitle: 'STORESCP',
        presentationContexts: [
          { abstractSyntax: DicomUid.Verification, transferSyntaxes: [DicomUid.ImplicitVrLittleEndian] },
        ],
      }).then(
        async (a) => (await a.release(), true),
        () => false,
      );
      if (ok) return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`storescp did not start: ${storescp.output()}`);
  });

  afterAll(() => {
    storescp.child.kill();
  });

  it('C-ECHO succeeds', async () => {
    const association = await DimseClient.connect({
      host: '127.0.0.1',
      port,
      callingAeTitle: 'PACS',
      calledAeTitle: 'STORESCP',
      presentationContexts: [
        { abstractSyntax: DicomUid.Verification, transferSyntaxes: [DicomUid.ImplicitVrLittleEndian] },
      ],
    });
    expect(association.info.peerImplementationClassUid).toMatch(/^1\.2\.276\.0\.7230010\.3/);
    await expect(association.echo()).resolves.toMatchObject({ status: 0 });
    await association.release();
  });

  it('files written by storescp hold the data sets we sent, in the transfer syntax we used', async () => {
    const names = ['CT_small.dcm', 'MR_small_implicit.dcm', 'JPEG2000.dcm'];
    const files = names.map((name) => readPart10File(pydicomTestFile(name)));
    const association = await DimseClient.connect({
      host: '127.0.0.1',
      port,
      callingAeTitle: 'PACS',
      calledAeTitle: 'STORESCP',
      // A small maximum PDU on our side and storescp's 16 KiB: data sets span many PDUs.
      maxPduLength: 16384,
      presentationContexts: files.map((f) => ({
        abstractSyntax: f.sopClassUid,
        transferSyntaxes: [f.transferSyntaxUid],
      })),
    });
    for (const file of files) {
      const response = await association.store({
        sopClassUid: file.sopClassUid,
        sopInstanceUid: file.sopInstanceUid,
        transferSyntaxUid: file.transferSyntaxUid,
        dataset: file.dataset,
      });
      expect(response.status).toBe(0);
    }
    await association.release();
    const written = readdirSync(outDir);
    for (const file of files) {
      const name = written.find((n) => n.endsWith(file.sopInstanceUid));
      expect(name).toBeDefined();
      const stored = readPart10File(join(outDir, name!));
      expect(stored.transferSyntaxUid).toBe(file.transferSyntaxUid);
      expect(stored.sopInstanceUid).toBe(file.sopInstanceUid);
      expect(stored.dataset.equals(file.dataset)).toBe(true);
    }
  });
});
