import { PduDecodeError } from './dimse.errors';
import {
  AbortReason,
  type AssociateAcPdu,
  type AssociateRqPdu,
  type AsyncOperationsWindow,
  type ControlPdu,
  type ExtendedNegotiation,
  ItemType,
  type PresentationContextAnswer,
  type PresentationContextProposal,
  PduType,
  type RoleSelection,
  type UserIdentity,
  type UserInformation,
} from './pdu.types';

// Every length read from the wire is checked against the bytes actually there before it is used:
// a malformed PDU becomes a PduDecodeError (answered with A-ABORT reason 6, PS3.8 9.3.1), never
// a RangeError out of Buffer or a read past the PDU into the next one.

function invalid(message: string): PduDecodeError {
  return new PduDecodeError(AbortReason.InvalidPduParameterValue, message);
}

/** A UID or name in an item: trailing NUL/space padding is tolerated (PS3.8 Annex F). */
function text(buffer: Buffer, start: number, end: number): string {
  return buffer.toString('latin1', start, end).replace(/[\0 ]+$/, '');
}

/** An AE title field: leading and trailing spaces are not significant (PS3.5 6.2). */
function aeTitle(buffer: Buffer, start: number): string {
  return buffer
    .toString('latin1', start, start + 16)
    .replace(/\0/g, ' ')
    .trim();
}

interface RawItem {
  readonly type: number;
  readonly start: number;
  readonly end: number;
}

/** Splits [start, end) of `buffer` into items (type, reserved, 2-byte length, value). */
function items(buffer: Buffer, start: number, end: number, where: string): RawItem[] {
  const out: RawItem[] = [];
  let offset = start;
  while (offset < end) {
    if (end - offset < 4) throw invalid(`truncated item header in ${where}`);
    const type = buffer[offset]!;
    const length = buffer.readUInt16BE(offset + 2);
    const valueStart = offset + 4;
    if (valueStart + length > end) throw invalid(`item ${type.toString(16)}h length ${length} overruns ${where}`);
    out.push({ type, start: valueStart, end: valueStart + length });
    offset = valueStart + length;
  }
  return out;
}

function uint16Prefixed(buffer: Buffer, offset: number, end: number, what: string): { value: Buffer; next: number } {
  if (end - offset < 2) throw invalid(`truncated ${what} length`);
  const length = buffer.readUInt16BE(offset);
  if (offset + 2 + length > end) throw invalid(`${what} length ${length} overruns its item`);
  return { value: buffer.subarray(offset + 2, offset + 2 + length), next: offset + 2 + length };
}

function decodeUserInformation(buffer: Buffer, start: number, end: number): UserInformation {
  let maxLength = 0;
  let implementationClassUid = '';
  let implementationVersionName: string | undefined;
  let asyncOperationsWindow: AsyncOperationsWindow | undefined;
  let userIdentity: UserIdentity | undefined;
  let userIdentityServerResponse: Buffer | undefined;
  const roleSelections: RoleSelection[] = [];
  const extendedNegotiations: ExtendedNegotiation[] = [];
  for (const sub of items(buffer, start, end, 'user information')) {
    const length = sub.end - sub.start;
    switch (sub.type) {
      case ItemType.MaximumLength:
        if (length !== 4) throw invalid('maximum length sub-item is not 4 bytes');
        maxLength = buffer.readUInt32BE(sub.start);
        break;
      case ItemType.ImplementationClassUid:
        implementationClassUid = text(buffer, sub.start, sub.end);
        break;
      case ItemType.ImplementationVersionName:
        implementationVersionName = text(buffer, sub.start, sub.end);
        break;
      case ItemType.AsynchronousOperationsWindow:
        if (length !== 4) throw invalid('asynchronous operations window sub-item is not 4 bytes');
        asyncOperationsWindow = {
          maxInvoked: buffer.readUInt16BE(sub.start),
          maxPerformed: buffer.readUInt16BE(sub.start + 2),
        };
        break;
      case ItemType.RoleSelection: {
        const uid = uint16Prefixed(buffer, sub.start, sub.end, 'role selection UID');
        if (sub.end - uid.next !== 2) throw invalid('role selection sub-item has no SCU/SCP role fields');
        roleSelections.push({
          sopClassUid: text(uid.value, 0, uid.value.length),
          scuRole: buffer[uid.next] === 1,
          scpRole: buffer[uid.next + 1] === 1,
        });
        break;
      }
      case ItemType.SopClassExtendedNegotiation: {
        const uid = uint16Prefixed(buffer, sub.start, sub.end, 'extended negotiation UID');
        extendedNegotiations.push({
          sopClassUid: text(uid.value, 0, uid.value.length),
          info: Buffer.from(buffer.subarray(uid.next, sub.end)),
        });
        break;
      }
      case ItemType.UserIdentityRq: {
        if (length < 2) throw invalid('truncated user identity sub-item');
        const primary = uint16Prefixed(buffer, sub.start + 2, sub.end, 'user identity primary field');
        // The secondary field length is always present, 0 unless the type is username+passcode.
        const secondary = uint16Prefixed(buffer, primary.next, sub.end, 'user identity secondary field');
        userIdentity = {
          type: buffer[sub.start]!,
          positiveResponseRequested: buffer[sub.start + 1] === 1,
          primaryField: Buffer.from(primary.value),
          secondaryField: Buffer.from(secondary.value),
        };
        break;
      }
      case ItemType.UserIdentityAc:
        userIdentityServerResponse = Buffer.from(uint16Prefixed(buffer, sub.start, sub.end, 'server response').value);
        break;
      default:
        // SOP class common extended negotiation (57h) and unknown sub-items: not used, skipped.
        break;
    }
  }
  return {
    maxLength,
    implementationClassUid,
    ...(implementationVersionName !== undefined ? { implementationVersionName } : {}),
    ...(asyncOperationsWindow ? { asyncOperationsWindow } : {}),
    roleSelections,
    extendedNegotiations,
    ...(userIdentity ? { userIdentity } : {}),
    ...(userIdentityServerResponse ? { userIdentityServerResponse } : {}),
  };
}

const emptyUserInformation: UserInformation = {
  maxLength: 0,
  implementationClassUid: '',
  roleSelections: [],
  extendedNegotiations: [],
};

function decodeAssociate(type: 1 | 2, body: Buffer): AssociateRqPdu | AssociateAcPdu {
  if (body.length < 68) throw invalid('A-ASSOCIATE PDU shorter than its fixed fields');
  const protocolVersion = body.readUInt16BE(0);
  const calledAeTitle = aeTitle(body, 4);
  const callingAeTitle = aeTitle(body, 20);
  let applicationContext = '';
  let userInformation = emptyUserInformation;
  const proposals: PresentationContextProposal[] = [];
  const answers: PresentationContextAnswer[] = [];
  for (const it of items(body, 68, body.length, 'A-ASSOCIATE PDU')) {
    switch (it.type) {
      case ItemType.ApplicationContext:
        applicationContext = text(body, it.start, it.end);
        break;
      case ItemType.PresentationContextRq:
      case ItemType.PresentationContextAc: {
        if (it.end - it.start < 4) throw invalid('presentation context item shorter than 4 bytes');
        const id = body[it.start]!;
        let abstractSyntax = '';
        const transferSyntaxes: string[] = [];
        for (const sub of items(body, it.start + 4, it.end, 'presentation context')) {
          if (sub.type === ItemType.AbstractSyntax) abstractSyntax = text(body, sub.start, sub.end);
          else if (sub.type === ItemType.TransferSyntax) transferSyntaxes.push(text(body, sub.start, sub.end));
        }
        if (type === PduType.AssociateRq && it.type === ItemType.PresentationContextRq) {
          proposals.push({ id, abstractSyntax, transferSyntaxes });
        } else if (type === PduType.AssociateAc && it.type === ItemType.PresentationContextAc) {
          answers.push({ id, result: body[it.start + 2]!, transferSyntax: transferSyntaxes[0] ?? '' });
        } else {
          throw new PduDecodeError(AbortReason.UnexpectedPduParameter, 'presentation context item of the wrong kind');
        }
        break;
      }
      case ItemType.UserInformation:
        userInformation = decodeUserInformation(body, it.start, it.end);
        break;
      default:
        // Unrecognised items are ignored (PS3.8 9.3.1).
        break;
    }
  }
  const common = { protocolVersion, calledAeTitle, callingAeTitle, applicationContext, userInformation };
  return type === PduType.AssociateRq
    ? { type, ...common, presentationContexts: proposals }
    : { type, ...common, presentationContexts: answers };
}

function fixedFour(type: number, body: Buffer): void {
  if (body.length !== 4) throw invalid(`PDU type ${type} with length ${body.length}, expected 4`);
}

/** Decodes the body (after the 6-byte header) of any PDU but P-DATA-TF; throws PduDecodeError. */
export function decodeControlPdu(type: number, body: Buffer): ControlPdu {
  switch (type) {
    case PduType.AssociateRq:
    case PduType.AssociateAc:
      return decodeAssociate(type, body);
    case PduType.AssociateRj:
      fixedFour(type, body);
      return { type, result: body[1]!, source: body[2]!, reason: body[3]! };
    case PduType.ReleaseRq:
    case PduType.ReleaseRp:
      fixedFour(type, body);
      return { type };
    case PduType.Abort:
      fixedFour(type, body);
      return { type, source: body[2]!, reason: body[3]! };
    default:
      throw new PduDecodeError(AbortReason.UnrecognizedPdu, `unrecognised PDU type ${type}`);
  }
}
