import { DimseError } from './dimse.errors';

/** Command Field values (PS3.7 E.1, Table E.1-1 and 9.3, 10.3). */
export const CommandField = {
  CStoreRq: 0x0001,
  CStoreRsp: 0x8001,
  CGetRq: 0x0010,
  CGetRsp: 0x8010,
  CFindRq: 0x0020,
  CFindRsp: 0x8020,
  CMoveRq: 0x0021,
  CMoveRsp: 0x8021,
  CEchoRq: 0x0030,
  CEchoRsp: 0x8030,
  NEventReportRq: 0x0100,
  NEventReportRsp: 0x8100,
  NGetRq: 0x0110,
  NGetRsp: 0x8110,
  NSetRq: 0x0120,
  NSetRsp: 0x8120,
  NActionRq: 0x0130,
  NActionRsp: 0x8130,
  NCreateRq: 0x0140,
  NCreateRsp: 0x8140,
  NDeleteRq: 0x0150,
  NDeleteRsp: 0x8150,
  CCancelRq: 0x0fff,
} as const;

/** Bit that turns a request Command Field into its response (PS3.7 E.1). */
export const RESPONSE_BIT = 0x8000;

/** Command Data Set Type meaning "no data set"; any other value means one follows (PS3.7 E.1). */
export const NO_DATA_SET = 0x0101;

/** The value we send when a data set follows. */
export const DATA_SET_PRESENT = 0x0001;

/** Priority values (PS3.7 E.1). */
export const Priority = { Medium: 0x0000, High: 0x0001, Low: 0x0002 } as const;

/** A DIMSE command set (group 0000, PS3.7 E.1): the fields this implementation knows. */
export interface DimseCommand {
  /** (0000,0100) one of {@link CommandField}. */
  commandField: number;
  /** (0000,0110) of a request. */
  messageId?: number;
  /** (0000,0120) of a response or C-CANCEL-RQ. */
  messageIdBeingRespondedTo?: number;
  /** (0000,0002). */
  affectedSopClassUid?: string;
  /** (0000,0003), N-services. */
  requestedSopClassUid?: string;
  /** (0000,1000). */
  affectedSopInstanceUid?: string;
  /** (0000,1001), N-services. */
  requestedSopInstanceUid?: string;
  /** (0000,0700) one of {@link Priority}. */
  priority?: number;
  /** (0000,0800) {@link NO_DATA_SET} or a data set follows. */
  commandDataSetType: number;
  /** (0000,0900) of a response (PS3.7 Annex C). */
  status?: number;
  /** (0000,0901) tags of the offending elements. */
  offendingElement?: number[];
  /** (0000,0902) at most 64 characters. */
  errorComment?: string;
  /** (0000,0903). */
  errorId?: number;
  /** (0000,0600) of C-MOVE-RQ. */
  moveDestination?: string;
  /** (0000,1030) of a C-STORE-RQ that is a C-MOVE sub-operation. */
  moveOriginatorApplicationEntityTitle?: string;
  /** (0000,1031) of a C-STORE-RQ that is a C-MOVE sub-operation. */
  moveOriginatorMessageId?: number;
  /** (0000,1020). */
  numberOfRemainingSuboperations?: number;
  /** (0000,1021). */
  numberOfCompletedSuboperations?: number;
  /** (0000,1022). */
  numberOfFailedSuboperations?: number;
  /** (0000,1023). */
  numberOfWarningSuboperations?: number;
  /** (0000,1002), N-EVENT-REPORT. */
  eventTypeId?: number;
  /** (0000,1008), N-ACTION. */
  actionTypeId?: number;
  /** (0000,1005), N-GET. */
  attributeIdentifierList?: number[];
}

type CommandKey = Exclude<keyof DimseCommand, never>;
type Vr = 'UI' | 'US' | 'AE' | 'LO' | 'AT';

/**
 * The command dictionary: keyword, tag (element number in group 0000) and VR (PS3.7 E.1), in
 * ascending tag order, the order elements are encoded in (PS3.5 7.1).
 */
const dictionary: ReadonlyArray<readonly [CommandKey, number, Vr]> = [
  ['affectedSopClassUid', 0x0002, 'UI'],
  ['requestedSopClassUid', 0x0003, 'UI'],
  ['commandField', 0x0100, 'US'],
  ['messageId', 0x0110, 'US'],
  ['messageIdBeingRespondedTo', 0x0120, 'US'],
  ['moveDestination', 0x0600, 'AE'],
  ['priority', 0x0700, 'US'],
  ['commandDataSetType', 0x0800, 'US'],
  ['status', 0x0900, 'US'],
  ['offendingElement', 0x0901, 'AT'],
  ['errorComment', 0x0902, 'LO'],
  ['errorId', 0x0903, 'US'],
  ['affectedSopInstanceUid', 0x1000, 'UI'],
  ['requestedSopInstanceUid', 0x1001, 'UI'],
  ['eventTypeId', 0x1002, 'US'],
  ['attributeIdentifierList', 0x1005, 'AT'],
  ['actionTypeId', 0x1008, 'US'],
  ['numberOfRemainingSuboperations', 0x1020, 'US'],
  ['numberOfCompletedSuboperations', 0x1021, 'US'],
  ['numberOfFailedSuboperations', 0x1022, 'US'],
  ['numberOfWarningSuboperations', 0x1023, 'US'],
  ['moveOriginatorApplicationEntityTitle', 0x1030, 'AE'],
  ['moveOriginatorMessageId', 0x1031, 'US'],
];

const byElement = new Map(dictionary.map(([key, element, vr]) => [element, { key, vr }]));

function encodeValue(vr: Vr, value: unknown): Buffer {
  switch (vr) {
    case 'US': {
      const b = Buffer.allocUnsafe(2);
      b.writeUInt16LE(value as number, 0);
      return b;
    }
    case 'AT': {
      const tags = value as number[];
      const b = Buffer.allocUnsafe(tags.length * 4);
      tags.forEach((tag, i) => {
        b.writeUInt16LE(tag >>> 16, i * 4);
        b.writeUInt16LE(tag & 0xffff, i * 4 + 2);
      });
      return b;
    }
    default: {
      let text = String(value);
      if (vr === 'LO') text = text.slice(0, 64);
      if (vr === 'AE') text = text.slice(0, 16);
      // Even length: UIs are padded with NUL, other strings with a space (PS3.5 6.2).
      if (text.length % 2 === 1) text += vr === 'UI' ? '\0' : ' ';
      return Buffer.from(text, 'latin1');
    }
  }
}

/**
 * Encodes a command set in Implicit VR Little Endian, the only encoding of command sets
 * (PS3.7 6.3.1), with its CommandGroupLength (0000,0000) first.
 */
export function encodeCommand(command: DimseCommand): Buffer {
  const parts: Buffer[] = [];
  let length = 0;
  for (const [key, element, vr] of dictionary) {
    const value = command[key];
    if (value === undefined) continue;
    const encoded = encodeValue(vr, value);
    const header = Buffer.allocUnsafe(8);
    header.writeUInt16LE(0x0000, 0);
    header.writeUInt16LE(element, 2);
    header.writeUInt32LE(encoded.length, 4);
    parts.push(header, encoded);
    length += 8 + encoded.length;
  }
  const groupLength = Buffer.allocUnsafe(12);
  groupLength.writeUInt32LE(0x00000000, 0);
  groupLength.writeUInt32LE(4, 4);
  groupLength.writeUInt32LE(length, 8);
  return Buffer.concat([groupLength, ...parts], 12 + length);
}

function protocolError(message: string): DimseError {
  return new DimseError('PROTOCOL_ERROR', `invalid command set: ${message}`, false);
}

function decodeValue(vr: Vr, bytes: Buffer): unknown {
  switch (vr) {
    case 'US':
      if (bytes.length !== 2) throw protocolError(`US value of ${bytes.length} bytes`);
      return bytes.readUInt16LE(0);
    case 'AT': {
      if (bytes.length % 4 !== 0) throw protocolError(`AT value of ${bytes.length} bytes`);
      const tags: number[] = [];
      for (let i = 0; i < bytes.length; i += 4) {
        tags.push(((bytes.readUInt16LE(i) << 16) | bytes.readUInt16LE(i + 2)) >>> 0);
      }
      return tags;
    }
    case 'UI':
      return bytes.toString('latin1').replace(/[\0 ]+$/, '');
    default:
      return bytes.toString('latin1').replace(/\0/g, ' ').trim();
  }
}

/**
 * Decodes an Implicit VR Little Endian command set. Unknown group 0000 elements and elements of
 * other groups are skipped; a length that overruns the buffer, or a missing Command Field, throws
 * a DimseError with code PROTOCOL_ERROR.
 */
export function decodeCommand(bytes: Buffer): DimseCommand {
  const out: Partial<Record<CommandKey, unknown>> = {};
  let offset = 0;
  while (offset < bytes.length) {
    if (bytes.length - offset < 8) throw protocolError('truncated element header');
    const group = bytes.readUInt16LE(offset);
    const element = bytes.readUInt16LE(offset + 2);
    const length = bytes.readUInt32LE(offset + 4);
    offset += 8;
    if (length > bytes.length - offset) throw protocolError(`element (${group},${element}) overruns the command set`);
    if (group === 0x0000) {
      const entry = byElement.get(element);
      if (entry) out[entry.key] = decodeValue(entry.vr, bytes.subarray(offset, offset + length));
    }
    offset += length;
  }
  if (out.commandField === undefined) throw protocolError('no Command Field (0000,0100)');
  out.commandDataSetType ??= NO_DATA_SET;
  return out as unknown as DimseCommand;
}

/** Whether the command announces a data set after it (PS3.7 E.1: any value but 0101H). */
export function hasDataSet(command: DimseCommand): boolean {
  return command.commandDataSetType !== NO_DATA_SET;
}

/** Whether the Command Field is a response. */
export function isResponse(commandField: number): boolean {
  return (commandField & RESPONSE_BIT) !== 0;
}

const names = new Map<number, string>(
  Object.entries(CommandField).map(([name, value]) => [value, name.replace(/(?!^)([A-Z])/g, '-$1').toUpperCase()]),
);

/** Readable name of a Command Field for logs, e.g. "C-STORE-RQ". */
export function commandFieldName(commandField: number): string {
  return names.get(commandField) ?? `0x${commandField.toString(16).padStart(4, '0')}`;
}
