import { buildAssociateAc, buildAssociateRq, checkAssociateRq, readAssociateAc } from './association-negotiation';
import { DicomUid } from './dicom-uids';
import { type AssociateAcPdu, type AssociateRqPdu, PduType } from './pdu.types';

const local = { maxPduLength: 262144, implementationClassUid: '1.2.3', implementationVersionName: 'TEST' };

function rq(overrides: Partial<AssociateRqPdu> = {}): AssociateRqPdu {
  return {
    type: PduType.AssociateRq,
    ...buildAssociateRq({
      callingAeTitle: 'SCU',
      calledAeTitle: 'PACS',
      local: { ...local, maxPduLength: 16384 },
      presentationContexts: [
        { abstractSyntax: DicomUid.Verification, transferSyntaxes: [DicomUid.ImplicitVrLittleEndian] },
        {
          abstractSyntax: DicomUid.CtImageStorage,
          transferSyntaxes: [DicomUid.ExplicitVrLittleEndian, DicomUid.ImplicitVrLittleEndian],
        },
        { abstractSyntax: DicomUid.MrImageStorage, transferSyntaxes: [DicomUid.ImplicitVrLittleEndian] },
        { abstractSyntax: DicomUid.RtPlanStorage, transferSyntaxes: [DicomUid.ImplicitVrLittleEndian] },
      ],
      roleSelections: [{ sopClassUid: DicomUid.CtImageStorage, scuRole: true, scpRole: true }],
    }),
    ...overrides,
  };
}

describe('association negotiation', () => {
  it('assigns odd presentation context ids in order', () => {
    expect(rq().presentationContexts.map((pc) => pc.id)).toEqual([1, 3, 5, 7]);
  });

  it('rejects an unknown protocol version or application context before asking the application', () => {
    expect(checkAssociateRq(rq())).toBeUndefined();
    expect(checkAssociateRq(rq({ protocolVersion: 2 }))).toEqual({ result: 1, source: 2, reason: 2 });
    expect(checkAssociateRq(rq({ applicationContext: '1.2.3' }))).toEqual({ result: 1, source: 1, reason: 2 });
  });

  it('answers each proposed context: accepted, rejected as decided, left out, or with an unproposed syntax', () => {
    const { pdu, negotiated } = buildAssociateAc(
      rq(),
      {
        contexts: new Map([
          [1, { transferSyntax: DicomUid.ImplicitVrLittleEndian }],
          [3, { transferSyntax: DicomUid.ImplicitVrLittleEndian }],
          [5, { transferSyntax: DicomUid.ExplicitVrBigEndian }],
          [7, { reject: 1 }],
        ]),
      },
      local,
    );
    expect(pdu.presentationContexts.map((pc) => [pc.id, pc.result])).toEqual([
      [1, 0],
      [3, 0],
      [5, 4],
      [7, 1],
    ]);
    expect(pdu.presentationContexts[1]!.transferSyntax).toBe(DicomUid.ImplicitVrLittleEndian);
    expect([...negotiated.contexts.keys()]).toEqual([1, 3]);
    expect(negotiated.contexts.get(3)).toEqual({
      id: 3,
      abstractSyntax: DicomUid.CtImageStorage,
      transferSyntax: DicomUid.ImplicitVrLittleEndian,
    });
    const none = buildAssociateAc(rq(), { contexts: new Map() }, local);
    expect(none.pdu.presentationContexts.every((pc) => pc.result === 3)).toBe(true);
  });

  it('grants proposed roles by default, never more than proposed, and answers the async window 1/1', () => {
    const request = rq();
    const withWindow: AssociateRqPdu = {
      ...request,
      userInformation: {
        ...request.userInformation,
        asyncOperationsWindow: { maxInvoked: 10, maxPerformed: 10 },
        roleSelections: [
          { sopClassUid: DicomUid.CtImageStorage, scuRole: true, scpRole: true },
          { sopClassUid: DicomUid.MrImageStorage, scuRole: false, scpRole: true },
        ],
      },
    };
    const { pdu } = buildAssociateAc(
      withWindow,
      {
        contexts: new Map(),
        roleSelections: new Map([[DicomUid.MrImageStorage, { scuRole: true, scpRole: false }]]),
      },
      local,
    );
    expect(pdu.userInformation.asyncOperationsWindow).toEqual({ maxInvoked: 1, maxPerformed: 1 });
    expect(pdu.userInformation.roleSelections).toEqual([
      { sopClassUid: DicomUid.CtImageStorage, scuRole: true, scpRole: true },
      { sopClassUid: DicomUid.MrImageStorage, scuRole: false, scpRole: false },
    ]);
    expect(
      buildAssociateAc(rq(), { contexts: new Map() }, local).pdu.userInformation.asyncOperationsWindow,
    ).toBeUndefined();
  });

  it('sends a user identity server response only when the requestor asked for one', () => {
    const identity = { type: 1, primaryField: Buffer.from('bob'), secondaryField: Buffer.alloc(0) };
    const base = rq();
    const asking: AssociateRqPdu = {
      ...base,
      userInformation: { ...base.userInformation, userIdentity: { ...identity, positiveResponseRequested: true } },
    };
    const notAsking: AssociateRqPdu = {
      ...base,
      userInformation: { ...base.userInformation, userIdentity: { ...identity, positiveResponseRequested: false } },
    };
    const accept = { contexts: new Map(), userIdentityServerResponse: Buffer.from('ok') };
    expect(buildAssociateAc(asking, accept, local).pdu.userInformation.userIdentityServerResponse).toEqual(
      Buffer.from('ok'),
    );
    expect(buildAssociateAc(notAsking, accept, local).pdu.userInformation.userIdentityServerResponse).toBeUndefined();
  });

  it('reads an A-ASSOCIATE-AC, ignoring answers it cannot trust', () => {
    const request = rq();
    const ac: AssociateAcPdu = {
      type: PduType.AssociateAc,
      protocolVersion: 1,
      calledAeTitle: 'PACS',
      callingAeTitle: 'SCU',
      applicationContext: DicomUid.ApplicationContext,
      presentationContexts: [
        { id: 1, result: 0, transferSyntax: DicomUid.ImplicitVrLittleEndian },
        { id: 3, result: 0, transferSyntax: DicomUid.ExplicitVrBigEndian }, // not proposed
        { id: 5, result: 3, transferSyntax: DicomUid.ImplicitVrLittleEndian },
        { id: 9, result: 0, transferSyntax: DicomUid.ImplicitVrLittleEndian }, // never proposed
      ],
      userInformation: { maxLength: 0, implementationClassUid: '9', roleSelections: [], extendedNegotiations: [] },
    };
    expect([...readAssociateAc(request.presentationContexts, ac).contexts.keys()]).toEqual([1]);
  });

  it('refuses to propose no context or more than 128', () => {
    const make = (n: number) => () =>
      buildAssociateRq({
        callingAeTitle: 'A',
        calledAeTitle: 'B',
        local,
        presentationContexts: Array.from({ length: n }, () => ({
          abstractSyntax: DicomUid.Verification,
          transferSyntaxes: [DicomUid.ImplicitVrLittleEndian],
        })),
      });
    expect(make(0)).toThrow(RangeError);
    expect(make(129)).toThrow(RangeError);
    expect(make(128)).not.toThrow();
  });
});
