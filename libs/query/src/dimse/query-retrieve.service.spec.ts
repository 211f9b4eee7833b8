import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import type { BlobStore } from '@pacs/blob-store';
import { formatTag, readDataset, readPart10, tagOf, type DicomJsonDataset } from '@pacs/dicom';
import { decodeFrames } from '@pacs/dicom-imaging';
import { encodeDataset, encodePart10File, pydicomPath, type TestElement } from '@pacs/dicom/testing';
import { CommandField, DimseStatus, type DimseRequestContext } from '@pacs/dimse';
import { QueryRetrieveSopClass, type QueryRetrieveRequest, type Tenant } from '@pacs/ingest';
import { checkExtraAttributes, type IndexedInstance } from '@pacs/metadata-index';
import pino from 'pino';
import type { QueryRetrieveActivity } from './query-retrieve-audit.port';
import { QueryRetrieveService } from './query-retrieve.service';
import { InMemoryMetadataIndex } from './testing/in-memory-metadata-index';

const ILE = '1.2.840.10008.1.2';
const ELE = '1.2.840.10008.1.2.1';
const RLE = '1.2.840.10008.1.2.5';
const CT = '1.2.840.10008.5.1.4.1.1.2';
const t = (keyword: string) => formatTag(tagOf(keyword));
const tenant: Tenant = { id: 'radiology', aeTitles: ['RAD'], duplicatePolicy: 'new-version' };

function instance(study: string, series: string, sop: string, patientId: string, instanceNumber = 1): IndexedInstance {
  const attributes: DicomJsonDataset = {
    [t('PatientID')]: { vr: 'LO', Value: [patientId] },
    [t('PatientName')]: { vr: 'PN', Value: [{ Alphabetic: `Patient^${patientId}` }] },
    [t('StudyInstanceUID')]: { vr: 'UI', Value: [study] },
    [t('SeriesInstanceUID')]: { vr: 'UI', Value: [series] },
    [t('SOPInstanceUID')]: { vr: 'UI', Value: [sop] },
    [t('SOPClassUID')]: { vr: 'UI', Value: [CT] },
    [t('Modality')]: { vr: 'CS', Value: ['CT'] },
    [t('InstanceNumber')]: { vr: 'IS', Value: [instanceNumber] },
  };
  return {
    tenantId: 'radiology',
    studyInstanceUid: study,
    seriesInstanceUid: series,
    sopInstanceUid: sop,
    sopClassUid: CT,
    transferSyntaxUid: ELE,
    version: 1,
    blob: { key: `radiology/${sop}.dcm`, size: 0, sha256: '0'.repeat(64), tier: 'hot' },
    attributes,
  };
}

const instances = [
  instance('1.1', '1.1.1', '1.1.1.2', 'P1', 2),
  instance('1.1', '1.1.1', '1.1.1.1', 'P1', 1),
  instance('1.2', '1.2.1', '1.2.1.1', 'P1'),
  instance('1.3', '1.3.1', '1.3.1.1', 'P2'),
  instance('1.4', '1.4.1', '1.4.1.1', 'P3'),
];

function request(commandField: number, sopClassUid: string, elements: TestElement[]): QueryRetrieveRequest {
  const read = readDataset(encodeDataset(elements, ILE));
  if (read.status !== 'complete') throw new Error('unreadable');
  const ctx = {
    association: { info: { calledAeTitle: 'RAD', callingAeTitle: 'VIEWER', remoteAddress: '127.0.0.1' } },
    presentationContext: { id: 1, abstractSyntax: sopClassUid, transferSyntax: ILE },
    messageId: 1,
    signal: new AbortController().signal,
  } as unknown as DimseRequestContext;
  return {
    tenant,
    ctx,
    command: { commandField, affectedSopClassUid: sopClassUid, commandDataSetType: 1 },
    identifier: read.dataset,
  };
}

function service(options: { blobStore?: BlobStore; pageSize?: number } = {}) {
  const index = new InMemoryMetadataIndex(instances);
  const activities: QueryRetrieveActivity[] = [];
  const scp = new QueryRetrieveService({
    index,
    blobStore: options.blobStore ?? ({} as BlobStore),
    logger: pino({ level: 'silent' }),
    audit: { record: (activity) => activities.push(activity) },
    pageSize: options.pageSize ?? 2,
  });
  return { scp, index, activities };
}

const studyFind = (elements: TestElement[]) =>
  request(CommandField.CFindRq, QueryRetrieveSopClass.StudyRootFind, [
    { tag: 'QueryRetrieveLevel', value: 'STUDY' },
    ...elements,
  ]);

function uidOf(identifier: Buffer, keyword: string): string | undefined {
  const read = readDataset(identifier);
  return read.status === 'complete' ? read.dataset.string(keyword) : undefined;
}

describe('QueryRetrieveService', () => {
  it('C-FIND reads the index page after page and sends every match', async () => {
    const { scp, index, activities } = service({ pageSize: 2 });
    const matches = [];
    for await (const match of scp.find(studyFind([{ tag: 'StudyInstanceUID', value: '' }]))) matches.push(match);
    expect(matches.map((m) => uidOf(m.identifier, 'StudyInstanceUID'))).toEqual(['1.1', '1.2', '1.3', '1.4']);
    expect(index.searches.map((s) => [s.level, s.page.offset, s.page.limit])).toEqual([
      ['study', 0, 2],
      ['study', 2, 2],
    ]);
    expect(activities).toEqual([
      expect.objectContaining({
        service: 'C-FIND',
        tenantId: 'radiology',
        callingAeTitle: 'VIEWER',
        level: 'STUDY',
        count: 4,
        studyInstanceUids: ['1.1', '1.2', '1.3', '1.4'],
        outcome: 'success',
      }),
    ]);
  });

  it('C-FIND gives the audit hook the identifier as received and its keys', async () => {
    const { scp, activities } = service();
    const find = studyFind([
      { tag: 'SpecificCharacterSet', value: 'ISO_IR 100' },
      { tag: 'PatientName', value: 'Müller*' },
      { tag: 'StudyDate', value: '20240101-' },
      { tag: 'StudyInstanceUID', value: '' },
    ]);
    for await (const match of scp.find(find)) void match;
    expect(activities[0]!.identifier).toEqual({
      bytes: find.identifier.bytes,
      transferSyntaxUid: ILE,
      keys: {
        SpecificCharacterSet: 'ISO_IR 100',
        QueryRetrieveLevel: 'STUDY',
        PatientName: 'Müller*',
        StudyDate: '20240101-',
      },
    });
  });

  it('C-FIND stops reading the index when the requestor cancels (the generator is returned)', async () => {
    const { scp, index, activities } = service({ pageSize: 1 });
    const generator = scp.find(studyFind([{ tag: 'StudyInstanceUID', value: '' }]));
    await generator.next();
    await generator.return(undefined);
    expect(index.searches).toHaveLength(1);
    expect(activities[0]).toMatchObject({ count: 1, outcome: 'cancelled' });
  });

  it('C-FIND at PATIENT level answers once per patient, and counts when asked', async () => {
    const { scp } = service();
    const patients = request(CommandField.CFindRq, QueryRetrieveSopClass.PatientRootFind, [
      { tag: 'QueryRetrieveLevel', value: 'PATIENT' },
      { tag: 'PatientID', value: '' },
      { tag: 'NumberOfPatientRelatedStudies', value: '' },
      { tag: 'NumberOfPatientRelatedInstances', value: '' },
    ]);
    const answers: Array<[string | undefined, number | undefined, number | undefined]> = [];
    for await (const match of scp.find(patients)) {
      const read = readDataset(match.identifier);
      if (read.status !== 'complete') throw new Error('unreadable');
      answers.push([
        read.dataset.string('PatientID'),
        read.dataset.number('NumberOfPatientRelatedStudies'),
        read.dataset.number('NumberOfPatientRelatedInstances'),
      ]);
    }
    expect(answers).toEqual([
      ['P1', 2, 3],
      ['P2', 1, 1],
      ['P3', 1, 1],
    ]);
  });

  describe("C-FIND on a tenant's extra attributes and sequences", () => {
    const requests = (...ids: string[]): DicomJsonDataset => ({
      [t('RequestAttributesSequence')]: {
        vr: 'SQ',
        Value: ids.map((id) => ({
          [t('RequestedProcedureID')]: { vr: 'SH', Value: [id] },
          [t('ScheduledProcedureStepID')]: { vr: 'SH', Value: [`S-${id}`] },
        })),
      },
    });
    // Two series of study 1.1: ProtocolName in their metadata, requests among their attributes.
    const withExtras = (base: IndexedInstance, protocol: string, ids: string[]): IndexedInstance => ({
      ...base,
      attributes: { ...base.attributes, ...requests(...ids) },
      metadata: { ...base.attributes, [t('ProtocolName')]: { vr: 'LO', Value: [protocol] } },
    });
    const indexed = [
      withExtras(instance('1.1', '1.1.1', '1.1.1.1', 'P1', 1), 'CHEST HR', ['RP1', 'RP2']),
      withExtras(instance('1.1', '1.1.1', '1.1.1.2', 'P1', 2), 'CHEST HR', ['RP1', 'RP2']),
      withExtras(instance('1.1', '1.1.2', '1.1.2.1', 'P1'), 'ABD ROUTINE', ['RP1']),
      withExtras(instance('1.2', '1.2.1', '1.2.1.1', 'P1'), 'CHEST HR', ['RP2']),
    ];
    function scpWith(extras: ReturnType<typeof checkExtraAttributes>) {
      const index = new InMemoryMetadataIndex(indexed, extras);
      const read = jest.spyOn(index, 'getExtraAttributes');
      const scp = new QueryRetrieveService({
        index,
        blobStore: {} as BlobStore,
        logger: pino({ level: 'silent' }),
        pageSize: 1,
      });
      return { scp, index, read };
    }
    const seriesFind = (elements: TestElement[]) =>
      request(CommandField.CFindRq, QueryRetrieveSopClass.StudyRootFind, [
        { tag: 'QueryRetrieveLevel', value: 'SERIES' },
        { tag: 'StudyInstanceUID', value: '1.1' },
        { tag: 'SeriesInstanceUID', value: '' },
        ...elements,
      ]);
    async function answers(scp: QueryRetrieveService, find: QueryRetrieveRequest) {
      const out = [];
      for await (const match of scp.find(find)) {
        const read = readDataset(match.identifier);
        if (read.status !== 'complete') throw new Error('unreadable');
        out.push({ dataset: read.dataset, optionalKeysNotSupported: match.optionalKeysNotSupported ?? false });
      }
      return out;
    }

    it('matches and returns an extra attribute, reading the list once per request', async () => {
      const { scp, index, read } = scpWith(checkExtraAttributes([{ attribute: 'ProtocolName', level: 'series' }]));
      const all = await answers(scp, seriesFind([{ tag: 'ProtocolName', value: '' }]));
      expect(all.map((f) => [f.dataset.string('SeriesInstanceUID'), f.dataset.string('ProtocolName')])).toEqual([
        ['1.1.1', 'CHEST HR'],
        ['1.1.2', 'ABD ROUTINE'],
      ]);
      // Pages of one record: the search went on, the list was read once.
      expect(index.searches.length).toBeGreaterThan(1);
      expect(read.mock.calls).toEqual([['radiology']]);
      const chest = await answers(scp, seriesFind([{ tag: 'ProtocolName', value: 'CHEST*' }]));
      expect(chest.map((f) => [f.dataset.string('SeriesInstanceUID'), f.optionalKeysNotSupported])).toEqual([
        ['1.1.1', false],
      ]);
      expect(read).toHaveBeenCalledTimes(2);
    });

    it('without the list, leaves it an optional key it does not support (FF01)', async () => {
      const { scp } = scpWith([]);
      const found = await answers(scp, seriesFind([{ tag: 'ProtocolName', value: 'CHEST*' }]));
      expect(found).toHaveLength(2);
      expect(found.every((f) => f.optionalKeysNotSupported && f.dataset.get('ProtocolName')?.length === 0)).toBe(true);
    });

    it('finds the series one of whose requests matches, returning that request', async () => {
      const { scp } = scpWith([]);
      const found = await answers(
        scp,
        seriesFind([
          {
            tag: 'RequestAttributesSequence',
            value: [
              [
                { tag: 'RequestedProcedureID', value: 'RP2' },
                { tag: 'ScheduledProcedureStepID', value: '' },
              ],
            ],
          },
        ]),
      );
      expect(found.map((f) => f.dataset.string('SeriesInstanceUID'))).toEqual(['1.1.1']);
      expect(found[0]!.optionalKeysNotSupported).toBe(false);
      const items = found[0]!.dataset.items('RequestAttributesSequence');
      expect(
        items.map((item) => [item.string('RequestedProcedureID'), item.string('ScheduledProcedureStepID')]),
      ).toEqual([['RP2', 'S-RP2']]);
    });
  });

  it('C-FIND reports an identifier it cannot use to the audit hook, and throws its status', async () => {
    const { scp, activities } = service();
    const generator = scp.find(request(CommandField.CFindRq, QueryRetrieveSopClass.StudyRootFind, []));
    await expect(generator.next()).rejects.toMatchObject({ status: 0xa900 });
    expect(activities[0]).toMatchObject({ outcome: 'failure', failure: 'Query/Retrieve Level (0008,0052) is missing' });
  });

  it('C-MOVE at PATIENT level selects every instance of the patient, in listing order, each opened from its blob', async () => {
    const dataset = encodeDataset([{ tag: 'PatientID', value: 'P1' }], ELE);
    const file = encodePart10File({
      elements: [{ tag: 'PatientID', value: 'P1' }],
      transferSyntaxUid: ELE,
    });
    const opened: string[] = [];
    const blobStore = {
      get: async (key: string) => {
        opened.push(key);
        return Readable.from([file.subarray(0, 150), file.subarray(150)]);
      },
    } as unknown as BlobStore;
    const { scp, activities } = service({ blobStore });
    const { instances: selected } = await scp.retrieve(
      request(CommandField.CMoveRq, QueryRetrieveSopClass.PatientRootMove, [
        { tag: 'QueryRetrieveLevel', value: 'PATIENT' },
        { tag: 'PatientID', value: 'P1' },
      ]),
    );
    expect(selected.map((i) => i.sopInstanceUid)).toEqual(['1.1.1.1', '1.1.1.2', '1.2.1.1']);
    expect(opened).toEqual([]);
    const parts: Buffer[] = [];
    for await (const chunk of (await selected[0]!.open()) as Readable) parts.push(chunk as Buffer);
    expect(Buffer.concat(parts).equals(dataset)).toBe(true);
    expect(opened).toEqual(['radiology/1.1.1.1.dcm']);
    // Stored in Explicit VR Little Endian: nothing to convert to.
    expect(selected[0]!.convertibleTo).toEqual([]);
    // The audit hears of the C-MOVE once its sub-operations are over.
    expect(activities).toEqual([]);
  });

  it('reports a C-GET with what became of each instance once the sub-operations are over', async () => {
    const { scp, activities } = service();
    const plan = await scp.retrieve(
      request(CommandField.CGetRq, QueryRetrieveSopClass.PatientRootGet, [
        { tag: 'QueryRetrieveLevel', value: 'PATIENT' },
        { tag: 'PatientID', value: 'P1' },
      ]),
    );
    const [a, b, c] = plan.instances;
    plan.onFinished!({
      status: DimseStatus.SubOperationsCompleteWithFailures,
      results: [
        { instance: a!, outcome: 'completed', transferSyntaxUid: ELE },
        { instance: b!, outcome: 'failed', reason: 'no accepted presentation context for its SOP class' },
      ],
      remaining: 1,
    });
    expect(activities).toHaveLength(1);
    expect(activities[0]).toMatchObject({
      service: 'C-GET',
      tenantId: 'radiology',
      callingAeTitle: 'VIEWER',
      level: 'PATIENT',
      count: 3,
      studyInstanceUids: ['1.1', '1.2'],
      outcome: 'failure',
      failure:
        '1 of 3 sub-operations failed: no accepted presentation context for its SOP class; ' +
        '1 of 3 never attempted (the association ended)',
      transfers: [
        {
          sopInstanceUid: a!.sopInstanceUid,
          studyInstanceUid: '1.1',
          sopClassUid: CT,
          patientId: 'P1',
          patientName: 'Patient^P1',
          outcome: 'completed',
          transferSyntaxUid: ELE,
        },
        { sopInstanceUid: b!.sopInstanceUid, outcome: 'failed', reason: expect.stringMatching(/^no accepted/) },
        { sopInstanceUid: c!.sopInstanceUid, studyInstanceUid: '1.2', outcome: 'not-attempted' },
      ],
    });
    expect(activities[0]!.correlationId).toMatch(/^dimse-/);
  });

  it('reports a retrieve the gateway refused (unknown Move Destination) to the audit hook', () => {
    const { scp, activities } = service();
    const move = request(CommandField.CMoveRq, QueryRetrieveSopClass.StudyRootMove, [
      { tag: 'QueryRetrieveLevel', value: 'STUDY' },
      { tag: 'StudyInstanceUID', value: '1.1' },
    ]);
    scp.refused({ ...move, command: { ...move.command, moveDestination: 'NOWHERE' } }, 'move destination unknown');
    expect(activities).toEqual([
      expect.objectContaining({
        service: 'C-MOVE',
        moveDestination: 'NOWHERE',
        count: 0,
        outcome: 'failure',
        failure: 'move destination unknown',
      }),
    ]);
    expect(activities[0]!.transfers).toBeUndefined();
  });

  it('offers a compressed copy in Explicit VR Little Endian: decoded, without file meta', async () => {
    const rle = readFileSync(pydicomPath('test_files/MR_small_RLE.dcm'));
    const read = readPart10(rle);
    if (read.status !== 'complete') throw new Error('unreadable');
    const sop = read.dataset.string('SOPInstanceUID')!;
    const stored: IndexedInstance = {
      ...instance('9.1', '9.1.1', sop, 'P9'),
      sopClassUid: read.dataset.string('SOPClassUID')!,
      transferSyntaxUid: RLE,
    };
    const blobStore = { get: async () => Readable.from([rle]) } as unknown as BlobStore;
    const scp = new QueryRetrieveService({
      index: new InMemoryMetadataIndex([stored]),
      blobStore,
      logger: pino({ level: 'silent' }),
    });
    const { instances } = await scp.retrieve(
      request(CommandField.CGetRq, QueryRetrieveSopClass.StudyRootGet, [
        { tag: 'QueryRetrieveLevel', value: 'STUDY' },
        { tag: 'StudyInstanceUID', value: '9.1' },
      ]),
    );
    const [only] = instances;
    expect(only!.convertibleTo).toEqual([ELE]);
    const converted = (await only!.open(ELE)) as Buffer;
    expect(Buffer.isBuffer(converted)).toBe(true);
    const dataset = readDataset(converted, { transferSyntax: ELE });
    if (dataset.status !== 'complete') throw new Error('the converted data set does not read');
    expect(dataset.dataset.has('TransferSyntaxUID')).toBe(false);
    expect(dataset.dataset.string('SOPInstanceUID')).toBe(sop);
    const [decoded] = await decodeFrames(rle);
    expect(dataset.dataset.bytesOf('PixelData')!.equals(decoded!.pixels)).toBe(true);
    await expect(only!.open(ILE)).rejects.toThrow(/converted to 1.2.840.10008.1.2.1 only/);
  });

  it('refuses to open a blob in another transfer syntax than the index says', async () => {
    const file = encodePart10File({ elements: [{ tag: 'PatientID', value: 'P1' }], transferSyntaxUid: ILE });
    const blobStore = { get: async () => Readable.from([file]) } as unknown as BlobStore;
    const { scp } = service({ blobStore });
    const {
      instances: [first],
    } = await scp.retrieve(
      request(CommandField.CGetRq, QueryRetrieveSopClass.StudyRootGet, [
        { tag: 'QueryRetrieveLevel', value: 'STUDY' },
        { tag: 'StudyInstanceUID', value: '1.3' },
      ]),
    );
    await expect(first!.open()).rejects.toThrow(/is in 1.2.840.10008.1.2, the index says 1.2.840.10008.1.2.1/);
  });

  it('fails with a clear error when the app runs without a metadata index', async () => {
    const scp = new QueryRetrieveService({
      index: null,
      blobStore: {} as BlobStore,
      logger: pino({ level: 'silent' }),
    });
    await expect(scp.find(studyFind([])).next()).rejects.toThrow(/needs the metadata index/);
  });
});
