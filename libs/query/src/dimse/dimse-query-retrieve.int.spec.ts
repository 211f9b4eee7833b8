// The Query/Retrieve SCP behind the gateway's DIMSE service, over DICOM, against DCMTK's findscu,
// getscu and movescu (storescp as the C-MOVE destination): the real DimseGatewayService, the real
// filesystem blob store holding Part 10 files, and the port's reference search semantics over an
// in-memory list of index records (the adapters pass the same contract suite).
import { execFileSync } from 'node:child_process';
import { connect, createServer, type AddressInfo } from 'node:net';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { DicomConfig } from '@pacs/config';
import { extractIndexAttributes, formatTag, generateUid, readPart10, tagOf, type DicomDataset } from '@pacs/dicom';
import { ctInstanceFile, encodeDataset } from '@pacs/dicom/testing';
import { CommandField, DicomUid, DimseClient, DimseServer, DimseStatus, Priority } from '@pacs/dimse';
import { hasTool, readPart10 as splitPart10, runTool, selfSignedCertificate, startTool } from '@pacs/dimse/testing';
import { FsBlobStore } from '@pacs/blob-store-fs';
import { DimseGatewayService, loadTenantRegistry, type StoreInstanceUseCase } from '@pacs/ingest';
import type { IndexedInstance } from '@pacs/metadata-index';
import type { EventBus } from '@pacs/event-bus';
import { AuditTrail } from '@pacs/audit-records';
import pino from 'pino';
import { QueryRetrieveService } from './query-retrieve.service';
import { InMemoryMetadataIndex } from './testing/in-memory-metadata-index';

const tools = ['findscu', 'getscu', 'movescu', 'storescp', 'dcmconv'];
const missing = tools.filter((tool) => !hasTool(tool));
if (missing.length > 0) throw new Error(`DCMTK tools missing (${missing.join(', ')}): install the dcmtk package`);

/** A free TCP port on loopback. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Resolves once something accepts TCP connections on the port. */
async function listening(port: number): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const up = await new Promise<boolean>((resolve) => {
      const socket = connect({ host: '127.0.0.1', port }, () => (socket.destroy(), resolve(true)));
      socket.on('error', () => resolve(false));
    });
    if (up) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`nothing listens on port ${port}`);
}

interface Stored {
  readonly instance: IndexedInstance;
  /** The data set as stored (the blob minus its File Meta Information). */
  readonly dataset: Buffer;
}

describe('DIMSE Query/Retrieve SCP with DCMTK', () => {
  let work: string;
  let gateway: DimseGatewayService;
  let scp: QueryRetrieveService;
  const logger = pino({ level: 'silent' });
  const gateways: DimseGatewayService[] = [];

  /** The gateway's DIMSE service for the tenants radiology (RAD_PACS) and cardiology (CARD_PACS). */
  async function startGateway(moveDestinations: unknown[], tls?: DicomConfig['tls']): Promise<DimseGatewayService> {
    const tenants = loadTenantRegistry(
      {
        aeTitle: 'PACS',
        defaultTenantId: 'default',
        defaultDuplicatePolicy: 'new-version',
        tenantsFile: 'tenants.json',
      },
      () =>
        JSON.stringify({
          tenants: [
            { id: 'radiology', aeTitles: ['RAD_PACS'], moveDestinations },
            { id: 'cardiology', aeTitles: ['CARD_PACS'] },
          ],
        }),
    );
    const config = {
      host: '127.0.0.1',
      port: 0,
      aeTitle: 'PACS',
      acceptUnknownSopClasses: false,
      ...(tls ? { tls } : {}),
    } as DicomConfig;
    const auditTrail = new AuditTrail({ publish: async () => undefined } as unknown as EventBus, logger);
    const started = new DimseGatewayService(config, tenants, {} as StoreInstanceUseCase, auditTrail, logger, scp);
    await started.onApplicationBootstrap();
    gateways.push(started);
    return started;
  }
  let port: string;
  let storescp: ReturnType<typeof startTool>;
  let storePort: number;
  let storeDir: string;
  const stored: Stored[] = [];
  const studyA = generateUid();
  const studyB = generateUid();
  const studyJ = generateUid();
  const seriesA1 = generateUid();
  const seriesA2 = generateUid();

  async function store(
    blobStore: FsBlobStore,
    tenantId: string,
    options: Parameters<typeof ctInstanceFile>[0],
    overrides: Record<string, unknown> = {},
  ): Promise<void> {
    const file = ctInstanceFile({ rows: 16, columns: 16, ...options });
    const read = readPart10(file);
    if (read.status !== 'complete') throw new Error('unreadable');
    const part10 = splitPart10(file);
    const key = `${tenantId}/${part10.sopInstanceUid}.dcm`;
    const blob = await blobStore.put(key, Readable.from([file]));
    const attributes = { ...extractIndexAttributes(read.dataset), ...overrides } as IndexedInstance['attributes'];
    stored.push({
      instance: {
        tenantId,
        studyInstanceUid: read.dataset.string('StudyInstanceUID')!,
        seriesInstanceUid: read.dataset.string('SeriesInstanceUID')!,
        sopInstanceUid: part10.sopInstanceUid,
        sopClassUid: part10.sopClassUid,
        transferSyntaxUid: part10.transferSyntaxUid,
        version: 1,
        blob: { ...blob, tier: 'hot' },
        attributes,
      },
      dataset: part10.dataset,
    });
  }

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'query-dimse-'));
    storeDir = join(work, 'storescp');
    mkdirSync(storeDir);
    const probe = new DimseServer({ port: 0, onAssociationRequest: async () => ({ accept: { contexts: new Map() } }) });
    storePort = (await probe.listen()).port;
    await probe.close();
    storescp = startTool('storescp', ['+B', '+xa', '-od', storeDir, '-aet', 'STORESCP', String(storePort)]);

    const blobStore = new FsBlobStore({ root: join(work, 'blobs') });
    await blobStore.start();
    const muller = { patientId: 'P1', patientName: 'Müller^Jürgen' };
    await store(blobStore, 'radiology', {
      ...muller,
      studyInstanceUid: studyA,
      seriesInstanceUid: seriesA1,
      instanceNumber: 1,
    });
    await store(blobStore, 'radiology', {
      ...muller,
      studyInstanceUid: studyA,
      seriesInstanceUid: seriesA1,
      instanceNumber: 2,
    });
    await store(blobStore, 'radiology', {
      ...muller,
      studyInstanceUid: studyA,
      seriesInstanceUid: seriesA2,
      instanceNumber: 1,
    });
    await store(blobStore, 'radiology', { ...muller, studyInstanceUid: studyB, accessionNumber: 'ACC-B' });
    await store(
      blobStore,
      'radiology',
      { patientId: 'P2', studyInstanceUid: studyJ },
      {
        [formatTag(tagOf('SpecificCharacterSet'))]: { vr: 'CS', Value: ['ISO_IR 192'] },
        [formatTag(tagOf('PatientName'))]: {
          vr: 'PN',
          Value: [{ Alphabetic: 'Yamada^Tarou', Ideographic: '山田^太郎' }],
        },
      },
    );
    // Another tenant's study of the same patient ID: never seen through RAD_PACS.
    await store(blobStore, 'cardiology', { ...muller });

    scp = new QueryRetrieveService({
      index: new InMemoryMetadataIndex(stored.map((s) => s.instance)),
      blobStore,
      logger,
      pageSize: 2,
    });
    gateway = await startGateway([{ aeTitle: 'STORESCP', host: '127.0.0.1', port: storePort }]);
    port = String(gateway.port);
  }, 30_000);

  afterAll(async () => {
    await Promise.all(gateways.map((g) => g.beforeApplicationShutdown()));
    storescp?.child.kill();
    rmSync(work, { recursive: true, force: true });
  });

  let dirs = 0;
  const freshDir = (): string => {
    const dir = join(work, `out-${++dirs}`);
    mkdirSync(dir);
    return dir;
  };

  /** findscu -X: the responses written, read back by our reader (and their paths). */
  async function find(args: string[], options: { calledAeTitle?: string } = {}) {
    const dir = freshDir();
    const run = await runTool('findscu', [
      '-v',
      '-aet',
      'VIEWER',
      '-aec',
      options.calledAeTitle ?? 'RAD_PACS',
      ...args,
      '-X',
      '-od',
      dir,
      '127.0.0.1',
      port,
    ]);
    const responses: DicomDataset[] = [];
    const paths = readdirSync(dir)
      .sort()
      .map((name) => join(dir, name));
    for (const path of paths) {
      const read = readPart10(readFileSync(path));
      if (read.status !== 'complete') throw new Error(`${path} unreadable`);
      responses.push(read.dataset);
    }
    return { run, responses, paths };
  }

  /** Patient Name as pydicom (Debian's python3-pydicom) decodes it: a decoder nobody here wrote. */
  const pydicomPatientName = (path: string): string =>
    execFileSync(
      '/usr/bin/python3',
      ['-c', 'import sys, pydicom; sys.stdout.write(str(pydicom.dcmread(sys.argv[1]).PatientName))', path],
      { encoding: 'utf8', env: { ...process.env, PYTHONIOENCODING: 'utf-8' } },
    );

  const keys = (...pairs: string[]) => pairs.flatMap((pair) => ['-k', pair]);

  it("C-FIND Study Root STUDY level: the patient's studies, with exactly the requested keys", async () => {
    const { run, responses } = await find([
      '-S',
      ...keys('QueryRetrieveLevel=STUDY', 'PatientID=P1', 'PatientName', 'StudyInstanceUID', 'AccessionNumber'),
      ...keys('NumberOfStudyRelatedInstances', 'ModalitiesInStudy', 'RetrieveAETitle'),
    ]);
    expect(run.output).toContain('Received Final Find Response (Success)');
    const byStudy = new Map(responses.map((r) => [r.string('StudyInstanceUID'), r]));
    expect([...byStudy.keys()].sort()).toEqual([studyA, studyB].sort());
    const a = byStudy.get(studyA)!;
    expect(a.number('NumberOfStudyRelatedInstances')).toBe(3);
    expect(a.strings('ModalitiesInStudy')).toEqual(['CT']);
    expect(a.string('RetrieveAETitle')).toBe('RAD_PACS');
    expect(a.string('PatientName')).toBe('Müller^Jürgen');
    expect(byStudy.get(studyB)!.string('AccessionNumber')).toBe('ACC-B');
    expect([...a].map((e) => e.tag).sort((x, y) => x - y)).toEqual(
      [
        'SpecificCharacterSet',
        'AccessionNumber',
        'QueryRetrieveLevel',
        'RetrieveAETitle',
        'ModalitiesInStudy',
        'PatientName',
        'PatientID',
        'StudyInstanceUID',
        'NumberOfStudyRelatedInstances',
      ]
        .map(tagOf)
        .sort((x, y) => x - y),
    );
    // Nothing asked for: a Western name comes in ISO 8859-1.
    expect(a.strings('SpecificCharacterSet')).toEqual(['ISO_IR 100']);
  });

  it('C-FIND Patient Root PATIENT level: one response per patient, with its counts', async () => {
    const { responses } = await find([
      '-P',
      ...keys('QueryRetrieveLevel=PATIENT', 'PatientName=M*', 'PatientID', 'NumberOfPatientRelatedStudies'),
      ...keys('NumberOfPatientRelatedInstances'),
    ]);
    expect(responses).toHaveLength(1);
    expect(responses[0]!.string('PatientID')).toBe('P1');
    expect(responses[0]!.number('NumberOfPatientRelatedStudies')).toBe(2);
    expect(responses[0]!.number('NumberOfPatientRelatedInstances')).toBe(4);
  });

  it('C-FIND at SERIES and IMAGE levels within the unique keys above', async () => {
    const series = await find([
      '-S',
      ...keys('QueryRetrieveLevel=SERIES', `StudyInstanceUID=${studyA}`, 'SeriesInstanceUID'),
      ...keys('NumberOfSeriesRelatedInstances', 'Modality'),
    ]);
    expect(
      series.responses.map((r) => [r.string('SeriesInstanceUID'), r.number('NumberOfSeriesRelatedInstances')]).sort(),
    ).toEqual(
      [
        [seriesA1, 2],
        [seriesA2, 1],
      ].sort(),
    );
    const images = await find([
      '-P',
      ...keys(
        'QueryRetrieveLevel=IMAGE',
        'PatientID=P1',
        `StudyInstanceUID=${studyA}`,
        `SeriesInstanceUID=${seriesA1}`,
      ),
      ...keys('SOPInstanceUID', 'InstanceNumber'),
    ]);
    expect(images.responses.map((r) => r.number('InstanceNumber')).sort()).toEqual([1, 2]);
  });

  it('keeps each tenant to its own index', async () => {
    const { responses } = await find(['-S', ...keys('QueryRetrieveLevel=STUDY', 'PatientID=P1', 'StudyInstanceUID')], {
      calledAeTitle: 'CARD_PACS',
    });
    expect(responses).toHaveLength(1);
    expect([studyA, studyB]).not.toContain(responses[0]!.string('StudyInstanceUID'));
  });

  it.each([
    ['\\ISO 2022 IR 87', ['', 'ISO 2022 IR 87']],
    ['ISO_IR 192', ['ISO_IR 192']],
    ['ISO_IR 100', ['ISO_IR 192']],
  ])('answers a request in %s in %j, as pydicom decodes it', async (asked, written) => {
    const { responses, paths } = await find([
      '-S',
      ...keys(`SpecificCharacterSet=${asked}`, 'QueryRetrieveLevel=STUDY', 'PatientID=P2', 'PatientName'),
    ]);
    expect(responses).toHaveLength(1);
    expect(responses[0]!.strings('SpecificCharacterSet')).toEqual(written);
    expect(responses[0]!.string('PatientName')).toBe('Yamada^Tarou=山田^太郎');
    expect(pydicomPatientName(paths[0]!)).toBe('Yamada^Tarou=山田^太郎');
  });

  it('answers A900 naming (0008,0052) to an identifier without Query/Retrieve Level', async () => {
    const run = await runTool('findscu', ['-d', '-S', '-aec', 'RAD_PACS', '-k', 'PatientID=P1', '127.0.0.1', port]);
    expect(run.output).toMatch(/DIMSE Status\s+: 0xa900/i);
    expect(run.output).toContain('Query/Retrieve Level (0008,0052) is missing');
  });

  it('answers FF01 when an optional key is not supported', async () => {
    const run = await runTool('findscu', [
      '-d',
      '-S',
      '-aec',
      'RAD_PACS',
      ...keys('QueryRetrieveLevel=STUDY', `StudyInstanceUID=${studyB}`, 'PatientComments'),
      '127.0.0.1',
      port,
    ]);
    expect(run.output).toMatch(/DIMSE Status\s+: 0xff01/i);
  });

  it('refuses an information model it does not serve at association (Patient/Study Only)', async () => {
    const run = await runTool('findscu', [
      '-v',
      '-O',
      '-aec',
      'RAD_PACS',
      '-k',
      'QueryRetrieveLevel=STUDY',
      '127.0.0.1',
      port,
    ]);
    expect(run.code).not.toBe(0);
    expect(run.output).toMatch(/No Acceptable Presentation Contexts/i);
  });

  it('C-GET: getscu receives the study over the same association, each data set as stored', async () => {
    const dir = freshDir();
    const run = await runTool('getscu', [
      '-v',
      '-S',
      '-aec',
      'RAD_PACS',
      ...keys('QueryRetrieveLevel=STUDY', `StudyInstanceUID=${studyA}`),
      '+B',
      '-od',
      dir,
      '127.0.0.1',
      port,
    ]);
    expect(run.output).toContain('Received C-GET Response (Success)');
    const received = readdirSync(dir).map((name) => splitPart10(readFileSync(join(dir, name))));
    const expected = stored.filter(
      (s) => s.instance.studyInstanceUid === studyA && s.instance.tenantId === 'radiology',
    );
    expect(received.map((r) => r.sopInstanceUid).sort()).toEqual(expected.map((s) => s.instance.sopInstanceUid).sort());
    for (const file of received) {
      expect(
        file.dataset.equals(expected.find((s) => s.instance.sopInstanceUid === file.sopInstanceUid)!.dataset),
      ).toBe(true);
    }
  });

  it("C-MOVE: movescu sends a series to the tenant's destination (storescp)", async () => {
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
      if (up) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const run = await runTool('movescu', [
      '-v',
      '-S',
      '-aec',
      'RAD_PACS',
      '-aem',
      'STORESCP',
      ...keys('QueryRetrieveLevel=SERIES', `StudyInstanceUID=${studyA}`, `SeriesInstanceUID=${seriesA1}`),
      '127.0.0.1',
      port,
    ]);
    expect(run.output).toContain('Received Final Move Response (Success)');
    const received = readdirSync(storeDir).map((name) => splitPart10(readFileSync(join(storeDir, name))));
    const expected = stored.filter((s) => s.instance.seriesInstanceUid === seriesA1);
    expect(received.map((r) => r.sopInstanceUid).sort()).toEqual(expected.map((s) => s.instance.sopInstanceUid).sort());
    for (const file of received) {
      expect(
        file.dataset.equals(expected.find((s) => s.instance.sopInstanceUid === file.sopInstanceUid)!.dataset),
      ).toBe(true);
    }
  });

  it('C-MOVE to a destination the tenant does not list: A801', async () => {
    const run = await runTool('movescu', [
      '-d',
      '-S',
      '-aec',
      'RAD_PACS',
      '-aem',
      'ELSEWHERE',
      ...keys('QueryRetrieveLevel=STUDY', `StudyInstanceUID=${studyA}`),
      '127.0.0.1',
      port,
    ]);
    expect(run.output).toMatch(/DIMSE Status\s+: 0xa801/i);
    expect(run.output).toContain('move destination "ELSEWHERE" unknown');
  });

  it('C-MOVE to a destination with tls: true: DICOM TLS with the listener certificate, storescp +tls checking it', async () => {
    const tlsDir = freshDir();
    const { certFile, keyFile } = selfSignedCertificate(tlsDir);
    const tlsStoreDir = freshDir();
    const tlsPort = await freePort();
    const tlsStorescp = startTool('storescp', [
      '+tls',
      keyFile,
      certFile,
      '+cf',
      certFile,
      '+B',
      '+xa',
      '-od',
      tlsStoreDir,
      '-aet',
      'SECURE',
      String(tlsPort),
    ]);
    try {
      await listening(tlsPort);
      // The listener speaks TLS too, with client certificates (caFile): movescu comes with one.
      const secure = await startGateway([{ aeTitle: 'SECURE', host: '127.0.0.1', port: tlsPort, tls: true }], {
        certFile,
        keyFile,
        caFile: certFile,
      });
      // movescu has no TLS: our client asks for the C-MOVE, storescp (DCMTK) receives it.
      const pem = (path: string) => readFileSync(path);
      const association = await DimseClient.connect({
        host: '127.0.0.1',
        port: secure.port!,
        callingAeTitle: 'VIEWER',
        calledAeTitle: 'RAD_PACS',
        tls: { ca: pem(certFile), cert: pem(certFile), key: pem(keyFile) },
        presentationContexts: [
          { abstractSyntax: DicomUid.StudyRootQueryRetrieveMove, transferSyntaxes: [DicomUid.ImplicitVrLittleEndian] },
        ],
      });
      const response = await association.request({
        abstractSyntax: DicomUid.StudyRootQueryRetrieveMove,
        command: { commandField: CommandField.CMoveRq, priority: Priority.Medium, moveDestination: 'SECURE' },
        dataset: encodeDataset(
          [
            { tag: 'QueryRetrieveLevel', value: 'STUDY' },
            { tag: 'StudyInstanceUID', value: studyB },
          ],
          DicomUid.ImplicitVrLittleEndian,
        ),
      });
      await association.release();
      expect(response.status).toBe(DimseStatus.Success);
      expect(response.command.numberOfCompletedSuboperations).toBe(1);
      const received = readdirSync(tlsStoreDir).map((name) => splitPart10(readFileSync(join(tlsStoreDir, name))));
      expect(received.map((r) => r.sopInstanceUid)).toEqual(
        stored.filter((s) => s.instance.studyInstanceUid === studyB).map((s) => s.instance.sopInstanceUid),
      );
    } finally {
      tlsStorescp.child.kill();
    }
  });
});
