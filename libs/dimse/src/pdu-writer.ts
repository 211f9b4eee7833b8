import {
  type AbortPdu,
  type AssociateAcPdu,
  type AssociateRjPdu,
  type AssociateRqPdu,
  ItemType,
  type Pdv,
  PduType,
  type UserInformation,
} from './pdu.types';

// Control PDUs are small and rare: they are built from parts and concatenated once. The data path
// (P-DATA-TF) never goes through here but through pDataHeader(), which lets the caller write the
// fragment itself without copying it.

/** Bytes of the PDU header (type, reserved, length) plus one PDV header (length, context, control). */
export const PDATA_HEADER_LENGTH = 12;

/** Bytes a P-DATA-TF PDU spends on one PDV besides its data: PDV length, context id, control header. */
export const PDV_OVERHEAD = 6;

function item(type: number, value: Buffer): Buffer {
  if (value.length > 0xffff) throw new RangeError(`item ${type.toString(16)} longer than 65535 bytes`);
  const header = Buffer.allocUnsafe(4);
  header[0] = type;
  header[1] = 0;
  header.writeUInt16BE(value.length, 2);
  return Buffer.concat([header, value]);
}

function ascii(value: string): Buffer {
  return Buffer.from(value, 'latin1');
}

function uint16(value: number): Buffer {
  const b = Buffer.allocUnsafe(2);
  b.writeUInt16BE(value, 0);
  return b;
}

function pdu(type: number, body: Buffer): Buffer {
  const header = Buffer.allocUnsafe(6);
  header[0] = type;
  header[1] = 0;
  header.writeUInt32BE(body.length, 2);
  return Buffer.concat([header, body]);
}

/** AE title field of A-ASSOCIATE-RQ/AC: 16 bytes, space padded (PS3.8 9.3.2). */
function aeTitleField(aeTitle: string): Buffer {
  const field = Buffer.alloc(16, 0x20);
  field.write(aeTitle.slice(0, 16), 0, 'latin1');
  return field;
}

function associateHeader(protocolVersion: number, calledAeTitle: string, callingAeTitle: string): Buffer {
  const fixed = Buffer.alloc(68);
  fixed.writeUInt16BE(protocolVersion, 0);
  aeTitleField(calledAeTitle).copy(fixed, 4);
  aeTitleField(callingAeTitle).copy(fixed, 20);
  return fixed;
}

function userInformationItem(info: UserInformation, forAccept: boolean): Buffer {
  const subItems: Buffer[] = [];
  const maxLength = Buffer.allocUnsafe(4);
  maxLength.writeUInt32BE(info.maxLength, 0);
  subItems.push(item(ItemType.MaximumLength, maxLength));
  subItems.push(item(ItemType.ImplementationClassUid, ascii(info.implementationClassUid)));
  if (info.asyncOperationsWindow) {
    const w = info.asyncOperationsWindow;
    subItems.push(
      item(ItemType.AsynchronousOperationsWindow, Buffer.concat([uint16(w.maxInvoked), uint16(w.maxPerformed)])),
    );
  }
  for (const role of info.roleSelections) {
    const uid = ascii(role.sopClassUid);
    subItems.push(
      item(
        ItemType.RoleSelection,
        Buffer.concat([uint16(uid.length), uid, Buffer.from([+role.scuRole, +role.scpRole])]),
      ),
    );
  }
  if (info.implementationVersionName !== undefined) {
    subItems.push(item(ItemType.ImplementationVersionName, ascii(info.implementationVersionName.slice(0, 16))));
  }
  for (const ext of info.extendedNegotiations) {
    const uid = ascii(ext.sopClassUid);
    subItems.push(item(ItemType.SopClassExtendedNegotiation, Buffer.concat([uint16(uid.length), uid, ext.info])));
  }
  if (!forAccept && info.userIdentity) {
    const id = info.userIdentity;
    subItems.push(
      item(
        ItemType.UserIdentityRq,
        Buffer.concat([
          Buffer.from([id.type, id.positiveResponseRequested ? 1 : 0]),
          uint16(id.primaryField.length),
          id.primaryField,
          uint16(id.secondaryField.length),
          id.secondaryField,
        ]),
      ),
    );
  }
  if (forAccept && info.userIdentityServerResponse) {
    const response = info.userIdentityServerResponse;
    subItems.push(item(ItemType.UserIdentityAc, Buffer.concat([uint16(response.length), response])));
  }
  return item(ItemType.UserInformation, Buffer.concat(subItems));
}

/** Encodes an A-ASSOCIATE-RQ PDU (PS3.8 9.3.2). */
export function encodeAssociateRq(rq: Omit<AssociateRqPdu, 'type'>): Buffer {
  const parts = [associateHeader(rq.protocolVersion, rq.calledAeTitle, rq.callingAeTitle)];
  parts.push(item(ItemType.ApplicationContext, ascii(rq.applicationContext)));
  for (const pc of rq.presentationContexts) {
    const sub = [Buffer.from([pc.id, 0, 0, 0]), item(ItemType.AbstractSyntax, ascii(pc.abstractSyntax))];
    for (const ts of pc.transferSyntaxes) sub.push(item(ItemType.TransferSyntax, ascii(ts)));
    parts.push(item(ItemType.PresentationContextRq, Buffer.concat(sub)));
  }
  parts.push(userInformationItem(rq.userInformation, false));
  return pdu(PduType.AssociateRq, Buffer.concat(parts));
}

/** Encodes an A-ASSOCIATE-AC PDU (PS3.8 9.3.3). */
export function encodeAssociateAc(ac: Omit<AssociateAcPdu, 'type'>): Buffer {
  const parts = [associateHeader(ac.protocolVersion, ac.calledAeTitle, ac.callingAeTitle)];
  parts.push(item(ItemType.ApplicationContext, ascii(ac.applicationContext)));
  for (const pc of ac.presentationContexts) {
    // A rejected context still carries one transfer syntax sub-item, whose value is not
    // significant (PS3.8 9.3.3.2); some peers fail to parse the item without it.
    const sub = [Buffer.from([pc.id, 0, pc.result, 0]), item(ItemType.TransferSyntax, ascii(pc.transferSyntax))];
    parts.push(item(ItemType.PresentationContextAc, Buffer.concat(sub)));
  }
  parts.push(userInformationItem(ac.userInformation, true));
  return pdu(PduType.AssociateAc, Buffer.concat(parts));
}

/** Encodes an A-ASSOCIATE-RJ PDU (PS3.8 9.3.4). */
export function encodeAssociateRj(rj: Omit<AssociateRjPdu, 'type'>): Buffer {
  return pdu(PduType.AssociateRj, Buffer.from([0, rj.result, rj.source, rj.reason]));
}

/** Encodes an A-RELEASE-RQ PDU (PS3.8 9.3.6). */
export function encodeReleaseRq(): Buffer {
  return pdu(PduType.ReleaseRq, Buffer.alloc(4));
}

/** Encodes an A-RELEASE-RP PDU (PS3.8 9.3.7). */
export function encodeReleaseRp(): Buffer {
  return pdu(PduType.ReleaseRp, Buffer.alloc(4));
}

/** Encodes an A-ABORT PDU (PS3.8 9.3.8). */
export function encodeAbort(abort: Omit<AbortPdu, 'type'>): Buffer {
  return pdu(PduType.Abort, Buffer.from([0, 0, abort.source, abort.reason]));
}

/**
 * Header of a P-DATA-TF PDU holding exactly one PDV of `dataLength` bytes: the caller writes this
 * header and then the fragment itself, so the fragment is never copied (PS3.8 9.3.5).
 */
export function pDataHeader(contextId: number, control: number, dataLength: number): Buffer {
  const header = Buffer.allocUnsafe(PDATA_HEADER_LENGTH);
  header[0] = PduType.PDataTf;
  header[1] = 0;
  header.writeUInt32BE(dataLength + PDV_OVERHEAD, 2);
  header.writeUInt32BE(dataLength + 2, 6);
  header[10] = contextId;
  header[11] = control;
  return header;
}

/** Encodes a P-DATA-TF PDU holding the given PDVs, copying them (tests and small messages). */
export function encodePDataTf(pdvs: readonly Pdv[]): Buffer {
  const parts: Buffer[] = [];
  for (const pdv of pdvs) {
    const header = Buffer.allocUnsafe(6);
    header.writeUInt32BE(pdv.data.length + 2, 0);
    header[4] = pdv.contextId;
    header[5] = pdv.control;
    parts.push(header, pdv.data);
  }
  return pdu(PduType.PDataTf, Buffer.concat(parts));
}
