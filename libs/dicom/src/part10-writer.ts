import { DicomAttributeError } from './dicom.errors';
import { tagOf } from './dictionary';
import { IMPLEMENTATION_CLASS_UID, IMPLEMENTATION_VERSION_NAME, isValidUid } from './uid';

/** What the file meta group of a stored instance says (PS3.10 7.1). */
export interface FileMetaOptions {
  /** Media Storage SOP Class UID (0002,0002): the instance's SOP Class UID. */
  readonly sopClassUid: string;
  /** Media Storage SOP Instance UID (0002,0003): the instance's SOP Instance UID. */
  readonly sopInstanceUid: string;
  /** Transfer Syntax UID (0002,0010) of the data set bytes that follow. */
  readonly transferSyntaxUid: string;
  /** Source Application Entity Title (0002,0016): the AE that sent the instance, when known. */
  readonly sourceApplicationEntityTitle?: string;
  /** Sending Application Entity Title (0002,0017), for instances received over a network. */
  readonly sendingApplicationEntityTitle?: string;
  /** Receiving Application Entity Title (0002,0018). */
  readonly receivingApplicationEntityTitle?: string;
  /** Defaults to this PACS's IMPLEMENTATION_CLASS_UID. */
  readonly implementationClassUid?: string;
  /** Defaults to IMPLEMENTATION_VERSION_NAME. */
  readonly implementationVersionName?: string;
}

const ELEMENT = {
  groupLength: tagOf('FileMetaInformationGroupLength'),
  version: tagOf('FileMetaInformationVersion'),
  sopClass: tagOf('MediaStorageSOPClassUID'),
  sopInstance: tagOf('MediaStorageSOPInstanceUID'),
  transferSyntax: tagOf('TransferSyntaxUID'),
  implementationClass: tagOf('ImplementationClassUID'),
  implementationVersion: tagOf('ImplementationVersionName'),
  sourceAe: tagOf('SourceApplicationEntityTitle'),
  sendingAe: tagOf('SendingApplicationEntityTitle'),
  receivingAe: tagOf('ReceivingApplicationEntityTitle'),
};

/** Explicit VR Little Endian element with a 16-bit length (PS3.5 7.1.2), value padded to even. */
function shortElement(tag: number, vr: 'UI' | 'SH' | 'AE' | 'UL', value: Buffer): Buffer {
  const padded = value.length % 2 === 0 ? value : Buffer.concat([value, Buffer.from([vr === 'UI' ? 0x00 : 0x20])]);
  const out = Buffer.alloc(8 + padded.length);
  out.writeUInt16LE(tag >>> 16, 0);
  out.writeUInt16LE(tag & 0xffff, 2);
  out.write(vr, 4, 'latin1');
  out.writeUInt16LE(padded.length, 6);
  padded.copy(out, 8);
  return out;
}

/** Explicit VR Little Endian OB element: 2 reserved bytes and a 32-bit length (PS3.5 7.1.2). */
function obElement(tag: number, value: Buffer): Buffer {
  const out = Buffer.alloc(12 + value.length);
  out.writeUInt16LE(tag >>> 16, 0);
  out.writeUInt16LE(tag & 0xffff, 2);
  out.write('OB', 4, 'latin1');
  out.writeUInt32LE(value.length, 8);
  value.copy(out, 12);
  return out;
}

function uidElement(tag: number, keyword: string, uid: string): Buffer {
  if (!isValidUid(uid)) {
    throw new DicomAttributeError('INVALID_UID', `${keyword} "${uid}" is not a valid UID (PS3.5 9.1)`, keyword, tag);
  }
  return shortElement(tag, 'UI', Buffer.from(uid, 'latin1'));
}

// AE: 1-16 characters of the default repertoire, no backslash nor control characters (PS3.5 6.2);
// SH likewise at most 16 characters.
function shortTextElement(tag: number, vr: 'AE' | 'SH', keyword: string, text: string): Buffer {
  const trimmed = text.trim();
  // eslint-disable-next-line no-control-regex -- control characters are what this rejects
  if (trimmed.length === 0 || trimmed.length > 16 || /[\\\x00-\x1f\x7f-\uffff]/.test(trimmed)) {
    throw new DicomAttributeError(
      'INVALID_VALUE',
      `${keyword} "${text}" is not a valid ${vr} (PS3.5 6.2)`,
      keyword,
      tag,
    );
  }
  return shortElement(tag, vr, Buffer.from(trimmed, 'latin1'));
}

/**
 * The File Meta Information group (PS3.10 7.1) as Explicit VR Little Endian bytes, group length
 * (0002,0000) included and correct. Write `PART10_PREAMBLE` (or use encodePart10Header), then these
 * bytes, then the data set bytes exactly as received, in `transferSyntaxUid`.
 * Throws DicomAttributeError for an invalid UID or AE title.
 */
export function encodeFileMetaGroup(options: FileMetaOptions): Buffer {
  const elements = [
    obElement(ELEMENT.version, Buffer.from([0x00, 0x01])), // version 1 of the meta header
    uidElement(ELEMENT.sopClass, 'MediaStorageSOPClassUID', options.sopClassUid),
    uidElement(ELEMENT.sopInstance, 'MediaStorageSOPInstanceUID', options.sopInstanceUid),
    uidElement(ELEMENT.transferSyntax, 'TransferSyntaxUID', options.transferSyntaxUid),
    uidElement(
      ELEMENT.implementationClass,
      'ImplementationClassUID',
      options.implementationClassUid ?? IMPLEMENTATION_CLASS_UID,
    ),
    shortTextElement(
      ELEMENT.implementationVersion,
      'SH',
      'ImplementationVersionName',
      options.implementationVersionName ?? IMPLEMENTATION_VERSION_NAME,
    ),
  ];
  if (options.sourceApplicationEntityTitle !== undefined) {
    elements.push(
      shortTextElement(ELEMENT.sourceAe, 'AE', 'SourceApplicationEntityTitle', options.sourceApplicationEntityTitle),
    );
  }
  if (options.sendingApplicationEntityTitle !== undefined) {
    elements.push(
      shortTextElement(ELEMENT.sendingAe, 'AE', 'SendingApplicationEntityTitle', options.sendingApplicationEntityTitle),
    );
  }
  if (options.receivingApplicationEntityTitle !== undefined) {
    elements.push(
      shortTextElement(
        ELEMENT.receivingAe,
        'AE',
        'ReceivingApplicationEntityTitle',
        options.receivingApplicationEntityTitle,
      ),
    );
  }
  const body = Buffer.concat(elements);
  const groupLength = Buffer.alloc(4);
  groupLength.writeUInt32LE(body.length, 0);
  return Buffer.concat([shortElement(ELEMENT.groupLength, 'UL', groupLength), body]);
}

/** The 128-byte preamble (zeros: no application profile, PS3.10 7.1) followed by "DICM". */
export const PART10_PREAMBLE: Buffer = Buffer.concat([Buffer.alloc(128), Buffer.from('DICM', 'latin1')]);

/** Preamble, "DICM" and file meta group: everything a Part 10 file has before its data set. */
export function encodePart10Header(options: FileMetaOptions): Buffer {
  return Buffer.concat([PART10_PREAMBLE, encodeFileMetaGroup(options)]);
}
