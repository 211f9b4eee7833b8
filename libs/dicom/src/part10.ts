import {
  readDataset,
  readElementsInto,
  type DatasetReadComplete,
  type DatasetReadNeedMoreBytes,
  type ReadDatasetOptions,
} from './dataset-reader';
import { DicomDataset, type DatasetEncoding } from './dicom-dataset';
import { DicomParseError, isDicomParseError } from './dicom.errors';
import { tagOf } from './dictionary';
import { makeTag, type Tag } from './tag';
import {
  EXPLICIT_VR_BIG_ENDIAN,
  EXPLICIT_VR_LITTLE_ENDIAN,
  IMPLICIT_VR_LITTLE_ENDIAN,
  transferSyntaxOf,
  type TransferSyntax,
} from './transfer-syntax';
import { VR_BY_CODE } from './vr';

/**
 * How the bytes were laid out:
 * - 'part10': 128-byte preamble, "DICM", file meta group, data set (PS3.10 7.1);
 * - 'meta-without-preamble': the file meta group first (some writers leave the preamble out);
 * - 'dataset-only': a bare data set, its transfer syntax recognised from its first element (older
 *   files, and what some tools write; never valid on media but common in the field).
 */
export type Part10Layout = 'part10' | 'meta-without-preamble' | 'dataset-only';

/** File Meta Information (PS3.10 7.1, group 0002). */
export interface FileMetaInformation {
  /** (0002,0000), when present; the reader does not rely on it (often wrong in the field). */
  readonly groupLength: number | undefined;
  /** (0002,0001): 00\01 in every version so far. */
  readonly version: Buffer | undefined;
  readonly mediaStorageSopClassUid: string | undefined;
  readonly mediaStorageSopInstanceUid: string | undefined;
  readonly transferSyntaxUid: string | undefined;
  readonly implementationClassUid: string | undefined;
  readonly implementationVersionName: string | undefined;
  readonly sourceApplicationEntityTitle: string | undefined;
  readonly sendingApplicationEntityTitle: string | undefined;
  readonly receivingApplicationEntityTitle: string | undefined;
  readonly privateInformationCreatorUid: string | undefined;
  /** All group 0002 elements as read. */
  readonly dataset: DicomDataset;
}

/** Where the data set of a file starts, and how to read it. */
export interface Part10Header {
  readonly layout: Part10Layout;
  /** Undefined for 'dataset-only'. */
  readonly meta: FileMetaInformation | undefined;
  /** Offset of the first byte of the data set (after the meta group). */
  readonly dataSetOffset: number;
  readonly transferSyntax: TransferSyntax;
  /**
   * Whether the transfer syntax was recognised from the data set's first bytes because the meta
   * group is absent or lacks (0002,0010); only the three uncompressed syntaxes can be recognised.
   */
  readonly transferSyntaxDetected: boolean;
}

export type Part10HeaderResult =
  { readonly status: 'complete'; readonly header: Part10Header } | DatasetReadNeedMoreBytes;

export type Part10ReadResult = (DatasetReadComplete & { readonly header: Part10Header }) | DatasetReadNeedMoreBytes;

/** Options of readPart10: those of readDataset that apply to a whole file. */
export type ReadPart10Options = Pick<ReadDatasetOptions, 'untilTag' | 'final' | 'maxInflatedBytes'>;

const PREAMBLE_LENGTH = 128;
const MAGIC = 'DICM';
/** The first tag after group 0002: the file meta group has ended. */
const AFTER_META_GROUP: Tag = makeTag(0x0003, 0x0000);
const META_GROUP_LENGTH_TAG = tagOf('FileMetaInformationGroupLength');

const EXPLICIT_LE: DatasetEncoding = { explicitVr: true, littleEndian: true };
const IMPLICIT_LE: DatasetEncoding = { explicitVr: false, littleEndian: true };

function hasMagic(bytes: Buffer, at: number): boolean {
  return bytes.length >= at + 4 && bytes.toString('latin1', at, at + 4) === MAGIC;
}

function looksExplicit(bytes: Buffer, at: number): boolean {
  return bytes.length >= at + 6 && VR_BY_CODE.has((bytes[at + 4]! << 8) | bytes[at + 5]!);
}

// Groups a data set can plausibly start with: the first standard groups (0008 in practice).
function plausibleFirstGroup(group: number): boolean {
  return group >= 0x0002 && group <= 0x0028 && (group & 1) === 0;
}

/**
 * Recognises the encoding of a bare data set from its first element: its group must be one a
 * data set starts with, read little or big endian; explicit VR when bytes 4-5 name a VR, else
 * implicit VR whose 32-bit length fits the bytes. Undefined when it looks like neither.
 */
export function detectDatasetSyntax(bytes: Buffer, offset = 0): TransferSyntax | undefined {
  if (offset + 8 > bytes.length) return undefined;
  const explicit = looksExplicit(bytes, offset);
  if (plausibleFirstGroup(bytes.readUInt16LE(offset))) {
    if (explicit) return EXPLICIT_VR_LITTLE_ENDIAN;
    const length = bytes.readUInt32LE(offset + 4);
    return length === 0xffffffff || offset + 8 + length <= bytes.length ? IMPLICIT_VR_LITTLE_ENDIAN : undefined;
  }
  if (plausibleFirstGroup(bytes.readUInt16BE(offset)) && explicit) return EXPLICIT_VR_BIG_ENDIAN;
  return undefined;
}

function toMeta(dataset: DicomDataset): FileMetaInformation {
  return {
    groupLength: dataset.number('FileMetaInformationGroupLength'),
    version: dataset.bytesOf('FileMetaInformationVersion'),
    mediaStorageSopClassUid: dataset.string('MediaStorageSOPClassUID'),
    mediaStorageSopInstanceUid: dataset.string('MediaStorageSOPInstanceUID'),
    transferSyntaxUid: dataset.string('TransferSyntaxUID'),
    implementationClassUid: dataset.string('ImplementationClassUID'),
    implementationVersionName: dataset.string('ImplementationVersionName'),
    sourceApplicationEntityTitle: dataset.string('SourceApplicationEntityTitle'),
    sendingApplicationEntityTitle: dataset.string('SendingApplicationEntityTitle'),
    receivingApplicationEntityTitle: dataset.string('ReceivingApplicationEntityTitle'),
    privateInformationCreatorUid: dataset.string('PrivateInformationCreatorUID'),
    dataset,
  };
}

/**
 * Reads the file meta group at `start`. PS3.10 7.1 says Explicit VR Little Endian; implicit VR
 * meta groups exist in the field and are read too. The group ends at the first tag outside group
 * 0002; the group length (0002,0000) bounds it only when it is consistent, because the bytes after
 * the meta group may be deflated and must not be read as a tag by accident.
 */
function readMetaGroup(
  bytes: Buffer,
  start: number,
  final: boolean,
): { status: 'complete'; dataset: DicomDataset; end: number } | DatasetReadNeedMoreBytes {
  if (start + 8 > bytes.length) {
    if (!final) return { status: 'need-more-bytes', needed: start + 8 };
    throw new DicomParseError('TRUNCATED', 'The file ends inside its meta information', start);
  }
  const encoding = looksExplicit(bytes, start) ? EXPLICIT_LE : IMPLICIT_LE;
  const untilTag = AFTER_META_GROUP;

  // (0002,0000) UL: its value sits at +8 in both forms ([tag][UL][len16] or [tag][len32]).
  let limit: number | undefined;
  if (makeTag(bytes.readUInt16LE(start), bytes.readUInt16LE(start + 2)) === META_GROUP_LENGTH_TAG) {
    if (start + 12 <= bytes.length) limit = start + 12 + bytes.readUInt32LE(start + 8);
    else if (!final) return { status: 'need-more-bytes', needed: start + 12 };
  }
  if (limit !== undefined && limit > bytes.length) {
    if (!final) return { status: 'need-more-bytes', needed: limit };
    limit = undefined; // read what is there; a cut inside an element still says TRUNCATED
  }

  let dataset = new DicomDataset(bytes, encoding);
  let read: ReturnType<typeof readElementsInto> | undefined;
  if (limit !== undefined) {
    try {
      read = readElementsInto(dataset, start, { untilTag, final: true, limit });
    } catch (error) {
      // An element crosses the declared group end: the group length is wrong, ignore it.
      if (!isDicomParseError(error, 'TRUNCATED')) throw error;
      dataset = new DicomDataset(bytes, encoding);
    }
  }
  if (read === undefined) {
    read = readElementsInto(dataset, start, { untilTag, final });
  } else if (read.status === 'complete' && read.stoppedAt === undefined) {
    // Group length reached. If group 0002 goes on, the length was too small: keep reading.
    const syntax = transferSyntaxOf(dataset.string('TransferSyntaxUID') ?? '');
    const continues = read.end + 4 <= bytes.length && bytes.readUInt16LE(read.end) === 0x0002;
    if (continues && !syntax?.deflated) read = readElementsInto(dataset, read.end, { untilTag, final });
  }
  if (read.status !== 'complete') return read;
  if (dataset.size === 0) throw new DicomParseError('INVALID_META', 'The file meta group is empty', start);
  return { status: 'complete', dataset, end: read.end };
}

/**
 * Reads the preamble, "DICM" and file meta group (PS3.10 7.1), or recognises a file without them,
 * and says where the data set starts and in which transfer syntax. With `final: false` the bytes
 * are the beginning of a stream and the answer may be 'need-more-bytes'.
 */
export function readPart10Header(bytes: Buffer, options: { final?: boolean } = {}): Part10HeaderResult {
  const final = options.final ?? true;
  let layout: Part10Layout;
  let metaStart: number | undefined;
  if (hasMagic(bytes, PREAMBLE_LENGTH)) {
    layout = 'part10';
    metaStart = PREAMBLE_LENGTH + 4;
  } else if (!final && bytes.length < PREAMBLE_LENGTH + 4) {
    return { status: 'need-more-bytes', needed: PREAMBLE_LENGTH + 4 };
  } else if (hasMagic(bytes, 0)) {
    layout = 'meta-without-preamble';
    metaStart = 4;
  } else if (bytes.length >= 8 && bytes.readUInt16LE(0) === 0x0002) {
    layout = 'meta-without-preamble';
    metaStart = 0;
  } else {
    const detected = detectDatasetSyntax(bytes, 0);
    if (!detected) {
      throw new DicomParseError('NOT_DICOM', 'No DICM prefix, file meta group or recognisable data set', 0);
    }
    return {
      status: 'complete',
      header: {
        layout: 'dataset-only',
        meta: undefined,
        dataSetOffset: 0,
        transferSyntax: detected,
        transferSyntaxDetected: true,
      },
    };
  }

  const metaRead = readMetaGroup(bytes, metaStart, final);
  if (metaRead.status !== 'complete') return metaRead;
  const meta = toMeta(metaRead.dataset);
  const dataSetOffset = metaRead.end;

  if (meta.transferSyntaxUid !== undefined) {
    const syntax = transferSyntaxOf(meta.transferSyntaxUid);
    if (!syntax) {
      const element = metaRead.dataset.get('TransferSyntaxUID')!;
      throw new DicomParseError(
        'UNSUPPORTED_TRANSFER_SYNTAX',
        `Unknown transfer syntax ${meta.transferSyntaxUid}`,
        element.offset,
        element.tag,
      );
    }
    return {
      status: 'complete',
      header: { layout, meta, dataSetOffset, transferSyntax: syntax, transferSyntaxDetected: false },
    };
  }
  // No (0002,0010): recognise the data set's encoding, or assume the default (PS3.5 10.1) for an
  // empty data set.
  if (!final && dataSetOffset + 8 > bytes.length) return { status: 'need-more-bytes', needed: dataSetOffset + 8 };
  const detected = detectDatasetSyntax(bytes, dataSetOffset) ?? IMPLICIT_VR_LITTLE_ENDIAN;
  return {
    status: 'complete',
    header: { layout, meta, dataSetOffset, transferSyntax: detected, transferSyntaxDetected: true },
  };
}

/**
 * Reads a DICOM file: header (readPart10Header) then data set (readDataset), whose element offsets
 * are offsets in `bytes` (except for deflated syntaxes, where they point into the inflated copy).
 * `untilTag: PIXEL_DATA_TAG` reads everything but the pixel data, without touching it.
 */
export function readPart10(bytes: Buffer, options: ReadPart10Options = {}): Part10ReadResult {
  const headerRead = readPart10Header(bytes, { final: options.final });
  if (headerRead.status !== 'complete') return headerRead;
  const header = headerRead.header;
  const read = readDataset(bytes, {
    transferSyntax: header.transferSyntax,
    offset: header.dataSetOffset,
    untilTag: options.untilTag,
    final: options.final,
    maxInflatedBytes: options.maxInflatedBytes,
  });
  return read.status === 'complete' ? { ...read, header } : read;
}
