import type { AddressInfo } from 'node:net';
import { createServer } from 'node:net';
import { Readable } from 'node:stream';
import { readDataset } from '@pacs/dicom';
import { encodeDataset } from '@pacs/dicom/testing';
import type {
  AssociationDecision,
  AssociationRequest,
  DimseRequestHandlers,
  DimseResponse,
  RetrieveInstance,
  RetrieveReport,
} from './association.types';
import { CommandField, Priority } from './command-set';
import { DicomUid } from './dicom-uids';
import { DimseClient, type DimseClientOptions } from './dimse-client';
import { DimseServer } from './dimse-server';
import { DimseStatus } from './dimse-status';
import { encodeFailedSopInstanceUidList } from './identifier';
import { subAssociationContexts } from './retrieve-scp';

const GET = DicomUid.StudyRootQueryRetrieveGet;
const MOVE = DicomUid.StudyRootQueryRetrieveMove;
const FIND = DicomUid.StudyRootQueryRetrieveFind;
const CT = DicomUid.CtImageStorage;
const MR = DicomUid.MrImageStorage;
const ELE = DicomUid.ExplicitVrLittleEndian;
const ILE = DicomUid.ImplicitVrLittleEndian;

const acceptAll = async (request: AssociationRequest) => ({
  accept: {
    contexts: new Map(request.presentationContexts.map((pc) => [pc.id, { transferSyntax: pc.transferSyntaxes[0]! }])),
  },
});

const servers: DimseServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close({ timeoutMs: 100 })));
});

async function serve(
  handlers: DimseRequestHandlers,
  onAssociationRequest: (request: AssociationRequest) => Promise<AssociationDecision> = acceptAll,
): Promise<number> {
  const server = new DimseServer({ port: 0, onAssociationRequest, ...handlers });
  servers.push(server);
  return (await server.listen()).port;
}

function connect(port: number, options: Partial<DimseClientOptions> = {}) {
  return DimseClient.connect({
    host: '127.0.0.1',
    port,
    callingAeTitle: 'SCU',
    calledAeTitle: 'PACS',
    presentationContexts: [
      { abstractSyntax: GET, transferSyntaxes: [ELE] },
      { abstractSyntax: MOVE, transferSyntaxes: [ELE] },
      { abstractSyntax: FIND, transferSyntaxes: [ELE] },
      { abstractSyntax: CT, transferSyntaxes: [ELE] },
    ],
    ...options,
  });
}

const identifier = encodeDataset(
  [
    { tag: 'QueryRetrieveLevel', value: 'STUDY' },
    { tag: 'StudyInstanceUID', value: '1.2.3' },
  ],
  ELE,
);

function instance(
  uid: string,
  sopClassUid: string = CT,
  transferSyntaxUid: string = ELE,
  bytes = Buffer.from(`data set ${uid}`),
) {
  return {
    sopClassUid,
    sopInstanceUid: uid,
    transferSyntaxUid,
    bytes,
    open: jest.fn(async () => Readable.from([bytes])),
  };
}

/** The Failed SOP Instance UID List (0008,0058) of a response identifier. */
function failedList(response: DimseResponse): string[] {
  const read = readDataset(response.dataset!, { transferSyntax: ELE });
  return read.status === 'complete' ? read.dataset.strings('FailedSOPInstanceUIDList') : [];
}

describe('C-GET SCP', () => {
  it('sends each instance as a C-STORE on the same association, with pending counts, then success', async () => {
    const list = [instance('1.1'), instance('1.2'), instance('1.3')];
    const port = await serve({ onCGet: async () => ({ instances: list }) });
    const stored: Array<{ uid: string | undefined; bytes: Buffer }> = [];
    const association = await connect(port, {
      roleSelections: [{ sopClassUid: CT, scuRole: false, scpRole: true }],
      handlers: {
        onCStore: async (_ctx, command, dataset) => {
          const parts: Buffer[] = [];
          for await (const chunk of dataset) parts.push(chunk as Buffer);
          stored.push({ uid: command.affectedSopInstanceUid, bytes: Buffer.concat(parts) });
          return DimseStatus.Success;
        },
      },
    });
    const pending: DimseResponse[] = [];
    const final = await association.request({
      abstractSyntax: GET,
      command: { commandField: CommandField.CGetRq, priority: Priority.Medium },
      dataset: identifier,
      onPending: (response) => pending.push(response),
    });
    await association.release();
    expect(stored.map((s) => s.uid)).toEqual(['1.1', '1.2', '1.3']);
    expect(stored.map((s) => s.bytes.toString())).toEqual(list.map((i) => i.bytes.toString()));
    expect(pending.map((p) => [p.status, p.command.numberOfRemainingSuboperations])).toEqual([
      [DimseStatus.Pending, 2],
      [DimseStatus.Pending, 1],
    ]);
    expect(final.status).toBe(DimseStatus.Success);
    expect(final.command).toMatchObject({
      numberOfCompletedSuboperations: 3,
      numberOfFailedSuboperations: 0,
      numberOfWarningSuboperations: 0,
    });
    expect(final.dataset).toBeUndefined();
  });

  it('fails every sub-operation whose SOP class the requestor took no SCP role for: A702 with the failed list', async () => {
    const list = [instance('2.1'), instance('2.2')];
    const port = await serve({ onCGet: async () => ({ instances: list }) });
    const association = await connect(port, { handlers: { onCStore: async () => DimseStatus.Success } });
    const final = await association.request({
      abstractSyntax: GET,
      command: { commandField: CommandField.CGetRq, priority: Priority.Medium },
      dataset: identifier,
    });
    await association.release();
    expect(final.status).toBe(DimseStatus.OutOfResourcesSubOperations);
    expect(final.command.errorComment).toBe('none of the 2 sub-operations succeeded');
    expect(final.command.numberOfFailedSuboperations).toBe(2);
    expect(failedList(final)).toEqual(['2.1', '2.2']);
    // Nothing was opened: the refusal comes before the blob is read.
    expect(list[0]!.open).not.toHaveBeenCalled();
  });

  it('counts warnings and failures from the peer and unreadable instances: B000', async () => {
    const unreadable = { ...instance('3.3'), open: async () => Promise.reject(new Error('blob missing')) };
    const list: RetrieveInstance[] = [instance('3.1'), instance('3.2'), unreadable, instance('3.4')];
    const port = await serve({ onCGet: async () => ({ instances: list }) });
    const statuses: Record<string, number> = { '3.1': 0, '3.2': DimseStatus.CoercionOfDataElements, '3.4': 0xa700 };
    const association = await connect(port, {
      roleSelections: [{ sopClassUid: CT, scuRole: false, scpRole: true }],
      handlers: {
        onCStore: async (_ctx, command, dataset) => {
          dataset.resume();
          return statuses[command.affectedSopInstanceUid!]!;
        },
      },
    });
    const final = await association.request({
      abstractSyntax: GET,
      command: { commandField: CommandField.CGetRq, priority: Priority.Medium },
      dataset: identifier,
    });
    await association.release();
    expect(final.status).toBe(DimseStatus.SubOperationsCompleteWithFailures);
    expect(final.command).toMatchObject({
      numberOfCompletedSuboperations: 1,
      numberOfWarningSuboperations: 1,
      numberOfFailedSuboperations: 2,
    });
    expect(failedList(final)).toEqual(['3.3', '3.4']);
  });

  it('stops between sub-operations on C-CANCEL and answers FE00 with what remains', async () => {
    const list = Array.from({ length: 20 }, (_, i) => instance(`4.${i + 1}`));
    const reports: RetrieveReport[] = [];
    const port = await serve({ onCGet: async () => ({ instances: list, onFinished: (r) => reports.push(r) }) });
    const controller = new AbortController();
    let stores = 0;
    const association = await connect(port, {
      roleSelections: [{ sopClassUid: CT, scuRole: false, scpRole: true }],
      handlers: {
        onCStore: async (_ctx, _command, dataset) => {
          dataset.resume();
          if (++stores === 3) controller.abort();
          await new Promise((resolve) => setTimeout(resolve, 10));
          return DimseStatus.Success;
        },
      },
    });
    const final = await association.request({
      abstractSyntax: GET,
      command: { commandField: CommandField.CGetRq, priority: Priority.Medium },
      dataset: identifier,
      signal: controller.signal,
    });
    await association.release();
    expect(final.status).toBe(DimseStatus.Cancel);
    const completed = final.command.numberOfCompletedSuboperations!;
    expect(completed).toBe(stores);
    expect(completed).toBeLessThan(20);
    expect(final.command.numberOfRemainingSuboperations).toBe(20 - completed);
    expect(reports.map((r) => [r.status, r.results.length, r.remaining])).toEqual([
      [DimseStatus.Cancel, completed, 20 - completed],
    ]);
  });

  it('sends what the requestor cannot take as stored in a syntax it converts to, and reports each outcome', async () => {
    const converted = (uid: string, stored: string, convertibleTo: string[], open: RetrieveInstance['open']) => ({
      ...instance(uid, CT, stored),
      convertibleTo,
      open: jest.fn(open),
    });
    const jpeg = converted('7.1', DicomUid.Jpeg2000, [ELE], async (ts) =>
      ts === ELE ? Buffer.from('converted 7.1') : Readable.from([Buffer.from('as stored 7.1')]),
    );
    const broken = converted('7.3', DicomUid.RleLossless, [ELE], async () => {
      throw new Error('the pixel data cannot be decoded');
    });
    const implicitOnly = converted('7.4', DicomUid.RleLossless, [ILE], async () => Buffer.from('never'));
    const list: RetrieveInstance[] = [
      jpeg,
      instance('7.2'),
      broken,
      implicitOnly,
      instance('7.5', CT, DicomUid.Jpeg2000),
    ];
    const reports: RetrieveReport[] = [];
    const port = await serve({ onCGet: async () => ({ instances: list, onFinished: (r) => reports.push(r) }) });
    const stored: Array<{ uid?: string; ts: string; bytes: string }> = [];
    const association = await connect(port, {
      roleSelections: [{ sopClassUid: CT, scuRole: false, scpRole: true }],
      handlers: {
        onCStore: async (ctx, command, dataset) => {
          const parts: Buffer[] = [];
          for await (const chunk of dataset) parts.push(chunk as Buffer);
          stored.push({
            ...(command.affectedSopInstanceUid ? { uid: command.affectedSopInstanceUid } : {}),
            ts: ctx.presentationContext.transferSyntax,
            bytes: Buffer.concat(parts).toString(),
          });
          return DimseStatus.Success;
        },
      },
    });
    const final = await association.request({
      abstractSyntax: GET,
      command: { commandField: CommandField.CGetRq, priority: Priority.Medium },
      dataset: identifier,
    });
    await association.release();
    expect(stored).toEqual([
      { uid: '7.1', ts: ELE, bytes: 'converted 7.1' },
      { uid: '7.2', ts: ELE, bytes: 'data set 7.2' },
    ]);
    expect(jpeg.open).toHaveBeenCalledWith(ELE);
    expect(implicitOnly.open).not.toHaveBeenCalled();
    expect(final.status).toBe(DimseStatus.SubOperationsCompleteWithFailures);
    expect(failedList(final)).toEqual(['7.3', '7.4', '7.5']);
    expect(reports).toHaveLength(1);
    expect(reports[0]!.status).toBe(DimseStatus.SubOperationsCompleteWithFailures);
    expect(reports[0]!.remaining).toBe(0);
    expect(
      reports[0]!.results.map((r) => [r.instance.sopInstanceUid, r.outcome, r.transferSyntaxUid, r.reason]),
    ).toEqual([
      ['7.1', 'completed', ELE, undefined],
      ['7.2', 'completed', ELE, undefined],
      ['7.3', 'failed', undefined, `cannot be converted to ${ELE}: the pixel data cannot be decoded`],
      [
        '7.4',
        'failed',
        undefined,
        `stored in ${DicomUid.RleLossless}, the peer accepted ${ELE} (it converts only to ${ILE})`,
      ],
      ['7.5', 'failed', undefined, `stored in ${DicomUid.Jpeg2000}, the peer accepted ${ELE} (it cannot be converted)`],
    ]);
  });

  it('answers A900 naming the problem when the identifier is missing or unreadable', async () => {
    const onCGet = jest.fn(async () => ({ instances: [] }));
    const port = await serve({ onCGet });
    const association = await connect(port);
    const none = await association.request({
      abstractSyntax: GET,
      command: { commandField: CommandField.CGetRq, priority: Priority.Medium },
    });
    const garbage = await association.request({
      abstractSyntax: GET,
      command: { commandField: CommandField.CGetRq, priority: Priority.Medium },
      dataset: Buffer.from([0x08, 0x00, 0x52, 0x00, 0x43, 0x53, 0xff, 0x00, 0x41]),
    });
    await association.release();
    expect(none.status).toBe(DimseStatus.IdentifierDoesNotMatchSopClass);
    expect(none.command.errorComment).toBe('the request has no identifier');
    expect(garbage.status).toBe(DimseStatus.IdentifierDoesNotMatchSopClass);
    expect(garbage.command.errorComment).toMatch(/^unreadable identifier: /);
    expect(onCGet).not.toHaveBeenCalled();
  });
});

describe('C-MOVE SCP', () => {
  it('fails every sub-operation with A702 and the failed list when the destination cannot be reached', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const deadPort = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const list = [instance('5.1'), instance('5.2')];
    const reports: RetrieveReport[] = [];
    const port = await serve({
      onCMove: async () => ({
        destination: { aeTitle: 'GONE', host: '127.0.0.1', port: deadPort },
        instances: list,
        onFinished: (report) => reports.push(report),
      }),
    });
    const association = await connect(port);
    const final = await association.request({
      abstractSyntax: MOVE,
      command: { commandField: CommandField.CMoveRq, priority: Priority.Medium, moveDestination: 'GONE' },
      dataset: identifier,
    });
    await association.release();
    expect(final.status).toBe(DimseStatus.OutOfResourcesSubOperations);
    expect(final.command.errorComment).toBe('cannot associate with GONE');
    expect(final.command.numberOfFailedSuboperations).toBe(2);
    expect(failedList(final)).toEqual(['5.1', '5.2']);
    expect(reports).toHaveLength(1);
    expect(reports[0]!.results.map((r) => [r.instance.sopInstanceUid, r.outcome])).toEqual([
      ['5.1', 'failed'],
      ['5.2', 'failed'],
    ]);
    expect(reports[0]!.results[0]!.reason).toMatch(/^cannot associate with GONE: /);
  });

  it('sends over a new association with the move originator, and fails what the destination did not accept', async () => {
    const received: Array<{ uid?: string; originator?: string; originatorId?: number; ts: string }> = [];
    const proposed: string[][] = [];
    // The destination accepts CT only.
    const ctOnly = async (request: AssociationRequest) => {
      proposed.push(request.presentationContexts.map((pc) => `${pc.abstractSyntax} ${pc.transferSyntaxes.join(',')}`));
      return {
        accept: {
          contexts: new Map(
            request.presentationContexts
              .filter((pc) => pc.abstractSyntax === CT)
              .map((pc) => [pc.id, { transferSyntax: pc.transferSyntaxes[0]! }]),
          ),
        },
      };
    };
    const destination = await serve(
      {
        onCStore: async (ctx, command, dataset) => {
          dataset.resume();
          received.push({
            ...(command.affectedSopInstanceUid ? { uid: command.affectedSopInstanceUid } : {}),
            ...(command.moveOriginatorApplicationEntityTitle
              ? { originator: command.moveOriginatorApplicationEntityTitle }
              : {}),
            ...(command.moveOriginatorMessageId !== undefined ? { originatorId: command.moveOriginatorMessageId } : {}),
            ts: ctx.presentationContext.transferSyntax,
          });
          return DimseStatus.Success;
        },
      },
      ctOnly,
    );
    const list = [instance('6.1'), instance('6.2', MR), instance('6.3', CT, ILE)];
    const port = await serve({
      onCMove: async () => ({
        destination: { aeTitle: 'DEST', host: '127.0.0.1', port: destination },
        instances: list,
      }),
    });
    const association = await connect(port);
    const final = await association.request({
      abstractSyntax: MOVE,
      command: { commandField: CommandField.CMoveRq, priority: Priority.Medium, moveDestination: 'DEST' },
      dataset: identifier,
    });
    await association.release();
    expect(proposed).toEqual([[`${CT} ${ELE}`, `${CT} ${ILE}`, `${MR} ${ELE}`]]);
    expect(received).toEqual([
      { uid: '6.1', originator: 'SCU', originatorId: 1, ts: ELE },
      { uid: '6.3', originator: 'SCU', originatorId: 1, ts: ILE },
    ]);
    expect(final.status).toBe(DimseStatus.SubOperationsCompleteWithFailures);
    expect(final.command).toMatchObject({ numberOfCompletedSuboperations: 2, numberOfFailedSuboperations: 1 });
    expect(failedList(final)).toEqual(['6.2']);
  });

  it('sends a converted data set on the fallback context when the destination refuses the stored syntax', async () => {
    const received: Array<{ uid?: string; ts: string; bytes: string }> = [];
    const uncompressedOnly = async (request: AssociationRequest) => ({
      accept: {
        contexts: new Map(
          request.presentationContexts.map((pc) => [
            pc.id,
            pc.transferSyntaxes[0] === ELE ? { transferSyntax: ELE } : { reject: 4 },
          ]),
        ),
      },
    });
    const destination = await serve(
      {
        onCStore: async (ctx, command, dataset) => {
          const parts: Buffer[] = [];
          for await (const chunk of dataset) parts.push(chunk as Buffer);
          received.push({
            ...(command.affectedSopInstanceUid ? { uid: command.affectedSopInstanceUid } : {}),
            ts: ctx.presentationContext.transferSyntax,
            bytes: Buffer.concat(parts).toString(),
          });
          return DimseStatus.Success;
        },
      },
      uncompressedOnly,
    );
    const rle = {
      ...instance('8.1', CT, DicomUid.RleLossless),
      convertibleTo: [ELE],
      open: jest.fn(async (ts?: string) => (ts === ELE ? Buffer.from('decoded 8.1') : Readable.from(['rle']))),
    };
    const reports: RetrieveReport[] = [];
    const port = await serve({
      onCMove: async () => ({
        destination: { aeTitle: 'DEST', host: '127.0.0.1', port: destination },
        instances: [rle, instance('8.2')],
        onFinished: (report) => reports.push(report),
      }),
    });
    const association = await connect(port);
    const final = await association.request({
      abstractSyntax: MOVE,
      command: { commandField: CommandField.CMoveRq, priority: Priority.Medium, moveDestination: 'DEST' },
      dataset: identifier,
    });
    await association.release();
    expect(final.status).toBe(DimseStatus.Success);
    expect(received).toEqual([
      { uid: '8.1', ts: ELE, bytes: 'decoded 8.1' },
      { uid: '8.2', ts: ELE, bytes: 'data set 8.2' },
    ]);
    expect(rle.open).toHaveBeenCalledWith(ELE);
    expect(reports.map((r) => [r.status, r.results.map((x) => x.outcome)])).toEqual([
      [DimseStatus.Success, ['completed', 'completed']],
    ]);
  });

  it('answers success without associating when nothing matches', async () => {
    const port = await serve({
      onCMove: async () => ({ destination: { aeTitle: 'DEST', host: '127.0.0.1', port: 1 }, instances: [] }),
    });
    const association = await connect(port);
    const final = await association.request({
      abstractSyntax: MOVE,
      command: { commandField: CommandField.CMoveRq, priority: Priority.Medium, moveDestination: 'DEST' },
      dataset: identifier,
    });
    await association.release();
    expect(final.status).toBe(DimseStatus.Success);
    expect(final.command.numberOfCompletedSuboperations).toBe(0);
  });
});

describe('subAssociationContexts', () => {
  it('proposes each SOP class in each stored syntax, then each syntax its instances convert to', () => {
    const contexts = subAssociationContexts([
      instance('1', CT, ILE),
      { ...instance('2', CT, DicomUid.Jpeg2000), convertibleTo: [ELE] },
      instance('3', CT, ILE),
      { ...instance('4', MR, ELE), convertibleTo: [ILE] },
      { ...instance('5', MR, DicomUid.RleLossless), convertibleTo: [ELE] },
    ]);
    expect(contexts).toEqual([
      { abstractSyntax: CT, transferSyntaxes: [ILE] },
      { abstractSyntax: CT, transferSyntaxes: [DicomUid.Jpeg2000] },
      { abstractSyntax: MR, transferSyntaxes: [ELE] },
      { abstractSyntax: MR, transferSyntaxes: [DicomUid.RleLossless] },
      { abstractSyntax: CT, transferSyntaxes: [ELE] },
      { abstractSyntax: MR, transferSyntaxes: [ILE] },
    ]);
  });

  it('proposes no fallback for instances that convert to nothing', () => {
    expect(subAssociationContexts([instance('1', CT, DicomUid.Jpeg2000)])).toEqual([
      { abstractSyntax: CT, transferSyntaxes: [DicomUid.Jpeg2000] },
    ]);
  });

  it('keeps to 128 contexts, stored syntaxes first', () => {
    const many = Array.from({ length: 130 }, (_, i) => ({
      ...instance(`${i}`, `1.2.3.${i}`, ILE),
      convertibleTo: [ELE],
    }));
    const contexts = subAssociationContexts(many);
    expect(contexts).toHaveLength(128);
    expect(contexts.every((pc) => pc.transferSyntaxes[0] === ILE)).toBe(true);
  });
});

describe('encodeFailedSopInstanceUidList', () => {
  it.each([ILE, ELE, DicomUid.ExplicitVrBigEndian, DicomUid.DeflatedExplicitVrLittleEndian])(
    'encodes (0008,0058) so that it reads back in %s',
    (ts) => {
      const uids = ['1.2.3', '1.2.840.10008.99.1'];
      const read = readDataset(encodeFailedSopInstanceUidList(uids, ts), { transferSyntax: ts });
      expect(read.status === 'complete' && read.dataset.strings('FailedSOPInstanceUIDList')).toEqual(uids);
    },
  );

  it('cuts the list where a 16-bit explicit VR length ends', () => {
    const uids = Array.from({ length: 2000 }, (_, i) => `1.2.840.10008.5.1.4.1.1.2.${1000000 + i}`);
    const bytes = encodeFailedSopInstanceUidList(uids, ELE);
    const read = readDataset(bytes, { transferSyntax: ELE });
    const kept = read.status === 'complete' ? read.dataset.strings('FailedSOPInstanceUIDList') : [];
    expect(kept.length).toBeGreaterThan(1000);
    expect(kept.length).toBeLessThan(2000);
    expect(kept).toEqual(uids.slice(0, kept.length));
  });
});
