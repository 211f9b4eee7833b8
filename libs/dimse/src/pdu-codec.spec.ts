import { PduDecodeError } from './dimse.errors';
import { decodeControlPdu } from './pdu-decoder';
import {
  encodeAbort,
  encodeAssociateAc,
  encodeAssociateRj,
  encodeAssociateRq,
  encodePDataTf,
  encodeReleaseRp,
  encodeReleaseRq,
  pDataHeader,
} from './pdu-writer';
import { AbortReason, type AssociateAcPdu, type AssociateRqPdu, PduType, UserIdentityType } from './pdu.types';

const body = (pdu: Buffer): Buffer => pdu.subarray(6);

const rq: Omit<AssociateRqPdu, 'type'> = {
  protocolVersion: 1,
  calledAeTitle: 'PACS',
  callingAeTitle: 'MODALITY_01',
  applicationContext: '1.2.840.10008.3.1.1.1',
  presentationContexts: [
    { id: 1, abstractSyntax: '1.2.840.10008.1.1', transferSyntaxes: ['1.2.840.10008.1.2'] },
    {
      id: 3,
      abstractSyntax: '1.2.840.10008.5.1.4.1.1.2',
      transferSyntaxes: ['1.2.840.10008.1.2.4.70', '1.2.840.10008.1.2.1', '1.2.840.10008.1.2'],
    },
  ],
  userInformation: {
    maxLength: 16384,
    implementationClassUid: '1.2.3.4',
    implementationVersionName: 'TEST_1',
    asyncOperationsWindow: { maxInvoked: 5, maxPerformed: 3 },
    roleSelections: [{ sopClassUid: '1.2.840.10008.5.1.4.1.1.2', scuRole: false, scpRole: true }],
    extendedNegotiations: [{ sopClassUid: '1.2.840.10008.5.1.4.1.2.2.1', info: Buffer.from([1, 1, 0]) }],
    userIdentity: {
      type: UserIdentityType.UsernamePasscode,
      positiveResponseRequested: true,
      primaryField: Buffer.from('alice'),
      secondaryField: Buffer.from('s3cret'),
    },
  },
};

describe('A-ASSOCIATE-RQ', () => {
  it('round-trips every item and sub-item', () => {
    const encoded = encodeAssociateRq(rq);
    expect(encoded[0]).toBe(PduType.AssociateRq);
    expect(encoded.readUInt32BE(2)).toBe(encoded.length - 6);
    expect(decodeControlPdu(PduType.AssociateRq, body(encoded))).toEqual({ type: PduType.AssociateRq, ...rq });
  });

  it('pads AE titles to 16 bytes with spaces and trims them on decode', () => {
    const encoded = encodeAssociateRq({ ...rq, calledAeTitle: 'AB', callingAeTitle: 'X' });
    expect(encoded.toString('latin1', 10, 26)).toBe('AB' + ' '.repeat(14));
    const decoded = decodeControlPdu(PduType.AssociateRq, body(encoded)) as AssociateRqPdu;
    expect([decoded.calledAeTitle, decoded.callingAeTitle]).toEqual(['AB', 'X']);
  });

  it('skips unknown items and sub-items (PS3.8 9.3.1)', () => {
    const encoded = encodeAssociateRq(rq);
    const unknown = Buffer.from([0x7e, 0, 0, 2, 0xaa, 0xbb]);
    const patched = Buffer.concat([encoded.subarray(0, 74), unknown, encoded.subarray(74)]);
    patched.writeUInt32BE(patched.length - 6, 2);
    expect(decodeControlPdu(PduType.AssociateRq, body(patched))).toEqual({ type: PduType.AssociateRq, ...rq });
  });

  it('tolerates NUL-padded UIDs', () => {
    const encoded = encodeAssociateRq({ ...rq, applicationContext: '1.2.840.10008.3.1.1.1\0' });
    expect((decodeControlPdu(PduType.AssociateRq, body(encoded)) as AssociateRqPdu).applicationContext).toBe(
      '1.2.840.10008.3.1.1.1',
    );
  });
});

describe('A-ASSOCIATE-AC', () => {
  const ac: Omit<AssociateAcPdu, 'type'> = {
    protocolVersion: 1,
    calledAeTitle: 'PACS',
    callingAeTitle: 'MODALITY_01',
    applicationContext: '1.2.840.10008.3.1.1.1',
    presentationContexts: [
      { id: 1, result: 0, transferSyntax: '1.2.840.10008.1.2' },
      { id: 3, result: 4, transferSyntax: '1.2.840.10008.1.2.4.70' },
    ],
    userInformation: {
      maxLength: 262144,
      implementationClassUid: '1.2.3.5',
      implementationVersionName: 'PACS',
      asyncOperationsWindow: { maxInvoked: 1, maxPerformed: 1 },
      roleSelections: [{ sopClassUid: '1.2.840.10008.5.1.4.1.1.2', scuRole: false, scpRole: true }],
      extendedNegotiations: [],
      userIdentityServerResponse: Buffer.from('token'),
    },
  };

  it('round-trips, with the user identity server response', () => {
    expect(decodeControlPdu(PduType.AssociateAc, body(encodeAssociateAc(ac)))).toEqual({
      type: PduType.AssociateAc,
      ...ac,
    });
  });
});

describe('fixed-size PDUs', () => {
  it('round-trips A-ASSOCIATE-RJ, A-RELEASE-RQ/RP and A-ABORT', () => {
    expect(decodeControlPdu(3, body(encodeAssociateRj({ result: 1, source: 1, reason: 7 })))).toEqual({
      type: 3,
      result: 1,
      source: 1,
      reason: 7,
    });
    expect(decodeControlPdu(5, body(encodeReleaseRq()))).toEqual({ type: 5 });
    expect(decodeControlPdu(6, body(encodeReleaseRp()))).toEqual({ type: 6 });
    expect(decodeControlPdu(7, body(encodeAbort({ source: 2, reason: 6 })))).toEqual({ type: 7, source: 2, reason: 6 });
    expect(encodeReleaseRq()).toEqual(Buffer.from([5, 0, 0, 0, 0, 4, 0, 0, 0, 0]));
  });
});

describe('P-DATA-TF', () => {
  it('pDataHeader announces one PDV with its message control header', () => {
    const header = pDataHeader(5, 0x03, 100);
    expect([...header]).toEqual([4, 0, 0, 0, 0, 106, 0, 0, 0, 102, 5, 3]);
  });

  it('encodePDataTf lays out several PDVs', () => {
    const pdu = encodePDataTf([
      { contextId: 1, control: 3, data: Buffer.from([1, 2]) },
      { contextId: 1, control: 0, data: Buffer.from([3, 4, 5, 6]) },
    ]);
    expect([...pdu]).toEqual([4, 0, 0, 0, 0, 18, 0, 0, 0, 4, 1, 3, 1, 2, 0, 0, 0, 6, 1, 0, 3, 4, 5, 6]);
  });
});

describe('malformed PDUs', () => {
  const invalid = (type: number, bytes: Buffer): PduDecodeError => {
    try {
      decodeControlPdu(type, bytes);
    } catch (error) {
      expect(error).toBeInstanceOf(PduDecodeError);
      return error as PduDecodeError;
    }
    throw new Error('expected a PduDecodeError');
  };

  it('rejects an A-ASSOCIATE-RQ shorter than its fixed fields', () => {
    expect(invalid(1, Buffer.alloc(67)).reason).toBe(AbortReason.InvalidPduParameterValue);
  });

  it('rejects an item whose length overruns the PDU', () => {
    const encoded = body(encodeAssociateRq(rq));
    const truncated = encoded.subarray(0, encoded.length - 3);
    expect(invalid(1, truncated).reason).toBe(AbortReason.InvalidPduParameterValue);
  });

  it('rejects a truncated item header', () => {
    const encoded = body(encodeAssociateRq(rq));
    expect(invalid(1, Buffer.concat([encoded, Buffer.from([0x10, 0])])).reason).toBe(
      AbortReason.InvalidPduParameterValue,
    );
  });

  it('rejects a maximum length sub-item that is not 4 bytes', () => {
    const encoded = Buffer.from(body(encodeAssociateRq(rq)));
    const at = encoded.indexOf(Buffer.from([0x51, 0, 0, 4]));
    encoded.writeUInt16BE(3, at + 2);
    expect(invalid(1, encoded).reason).toBe(AbortReason.InvalidPduParameterValue);
  });

  it('rejects a user identity whose field length overruns the sub-item', () => {
    const encoded = Buffer.from(body(encodeAssociateRq(rq)));
    const at = encoded.indexOf(Buffer.from([0x58, 0]));
    encoded.writeUInt16BE(0xffff, at + 6);
    expect(invalid(1, encoded).reason).toBe(AbortReason.InvalidPduParameterValue);
  });

  it('rejects a role selection without its role fields', () => {
    const uid = Buffer.from('1.2');
    const roleItem = Buffer.concat([Buffer.from([0x54, 0, 0, 5, 0, 3]), uid]);
    const userInfo = Buffer.concat([Buffer.from([0x50, 0, 0, roleItem.length]), roleItem]);
    expect(invalid(1, Buffer.concat([Buffer.alloc(68), userInfo])).reason).toBe(AbortReason.InvalidPduParameterValue);
  });

  it('rejects fixed-size PDUs of the wrong length and unknown PDU types', () => {
    expect(invalid(5, Buffer.alloc(5)).reason).toBe(AbortReason.InvalidPduParameterValue);
    expect(invalid(7, Buffer.alloc(2)).reason).toBe(AbortReason.InvalidPduParameterValue);
    expect(invalid(9, Buffer.alloc(4)).reason).toBe(AbortReason.UnrecognizedPdu);
  });
});
