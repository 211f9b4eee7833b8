import {
  DicomAttributeError,
  EXPLICIT_VR_LITTLE_ENDIAN,
  encodePart10Header,
  PIXEL_DATA_TAG,
  tagOf,
  type DicomDataset,
  type DicomElement,
  type Tag,
} from '@pacs/dicom';
import { decodeSourceFrames } from './decode-frames';
import { encodeExplicitLittleEndian, type ElementValue } from './dataset-writer';
import type { DecodedFrame } from './frame-decoder';
import { littleEndianPixelValue } from './native-frames';
import { readPixelDescription } from './pixel-description';
import { parseInstance, type PixelSource } from './pixel-source';

const PHOTOMETRIC_INTERPRETATION = tagOf('PhotometricInterpretation');
const PLANAR_CONFIGURATION = tagOf('PlanarConfiguration');
// Attributes of encapsulated pixel data only (PS3.3 C.7.6.3, PS3.5 A.4): gone with the fragments.
const ENCAPSULATION_ONLY: ReadonlySet<Tag> = new Set([
  tagOf('ExtendedOffsetTable'),
  tagOf('ExtendedOffsetTableLengths'),
  tagOf('EncapsulatedPixelDataValueTotalLength'),
]);

type Parsed = ReturnType<typeof parseInstance>;

function csValue(text: string): ElementValue {
  return { vr: 'CS', bytes: Buffer.from(text, 'latin1') };
}

function usValue(value: number): ElementValue {
  const bytes = Buffer.alloc(2);
  bytes.writeUInt16LE(value, 0);
  return { vr: 'US', bytes };
}

/** Native Pixel Data from decoded frames: OB for samples of 8 bits or less, else OW (PS3.5 A.2). */
function pixelDataValue(frames: readonly DecodedFrame[], bitsAllocated: number): ElementValue {
  return { vr: bitsAllocated <= 8 ? 'OB' : 'OW', bytes: Buffer.concat(frames.map((frame) => frame.pixels)) };
}

/** Every encapsulated element below the top level (Icon Image Sequence pixel data, PS3.3 F.7). */
function nestedEncapsulated(dataset: DicomDataset, found: { item: DicomDataset; element: DicomElement }[]): void {
  for (const element of dataset) {
    for (const item of element.items ?? []) {
      for (const inner of item) {
        if (inner.fragments) found.push({ item, element: inner });
      }
      nestedEncapsulated(item, found);
    }
  }
}

async function decodeAll(parsed: Parsed, dataset: DicomDataset, element: DicomElement): Promise<DecodedFrame[]> {
  const description = readPixelDescription(dataset);
  const source: PixelSource = { ...parsed, dataset, pixelData: element, description };
  return decodeSourceFrames(
    source,
    Array.from({ length: description.numberOfFrames }, (_, i) => i),
  );
}

/**
 * The replacements that turn encapsulated pixel data native: Pixel Data itself (top level and in
 * nested items), Photometric Interpretation where the decoder changed the color space, Planar
 * Configuration 0 (decoded frames are color-by-pixel).
 */
async function nativePixelReplacements(parsed: Parsed): Promise<Map<DicomElement | Tag, ElementValue>> {
  const replace = new Map<DicomElement | Tag, ElementValue>();
  const targets: { item: DicomDataset; element: DicomElement }[] = [];
  const top = parsed.dataset.get(PIXEL_DATA_TAG);
  if (top?.fragments) targets.push({ item: parsed.dataset, element: top });
  nestedEncapsulated(parsed.dataset, targets);
  for (const { item, element } of targets) {
    const frames = await decodeAll(parsed, item, element);
    const first = frames[0]!;
    replace.set(element, pixelDataValue(frames, first.bitsAllocated));
    const photometric = item.get(PHOTOMETRIC_INTERPRETATION);
    if (photometric && item.string(PHOTOMETRIC_INTERPRETATION) !== first.photometricInterpretation) {
      replace.set(photometric, csValue(first.photometricInterpretation));
    }
    const planar = item.get(PLANAR_CONFIGURATION);
    if (planar) replace.set(planar, usValue(0));
    else if (item === parsed.dataset && first.samplesPerPixel > 1) replace.set(PLANAR_CONFIGURATION, usValue(0));
  }
  return replace;
}

/**
 * Big endian native Pixel Data swapped by sample (PS3.5 A.3): 32-bit samples in OW are 4-byte
 * words, which the VR alone (16-bit words) would get wrong. Without a readable Image Pixel module
 * the writer's swap by VR applies.
 */
function bigEndianPixelReplacement(parsed: Parsed): Map<DicomElement | Tag, ElementValue> | undefined {
  const element = parsed.dataset.get(PIXEL_DATA_TAG);
  if (parsed.encoding.littleEndian || !element || element.fragments) return undefined;
  let description;
  try {
    description = readPixelDescription(parsed.dataset);
  } catch {
    return undefined;
  }
  const bytes = littleEndianPixelValue({ ...parsed, pixelData: element, description });
  return new Map([[element, { vr: element.vr, bytes }]]);
}

function isAlreadyExplicitLittleEndian(parsed: Parsed): boolean {
  const { header, transferSyntax, encoding } = parsed;
  return (
    header.layout === 'part10' &&
    !header.transferSyntaxDetected &&
    transferSyntax.uid === EXPLICIT_VR_LITTLE_ENDIAN.uid &&
    encoding.explicitVr &&
    encoding.littleEndian
  );
}

/**
 * The instance in Explicit VR Little Endian (1.2.840.10008.1.2.1), for a client that accepts only
 * the default transfer syntax of DICOMweb (PS3.18 8.7.3.5.2):
 * - already in it (a proper Part 10 file): the input itself;
 * - Implicit VR, Explicit Big Endian, Deflated: the data set re-encoded (numbers swapped where
 *   they were big endian), pixels untouched but for byte order;
 * - encapsulated syntaxes: every frame decoded (decodeFrames), Pixel Data written native (OB for
 *   8 bits, OW above), Photometric Interpretation as decoded (e.g. YBR_FULL_422 to RGB for lossy
 *   JPEG), Planar Configuration 0, offset tables dropped; Icon Image Sequence pixels likewise.
 * The file meta group is new (PS3.10 7.1): this implementation's class UID, the SOP Class and
 * Instance UIDs of the original. Lossy Image Compression (0028,2110) stays as it was: decoding a
 * lossy image leaves it lossy (PS3.3 C.7.6.1.1.5).
 * Throws ImagingError UNSUPPORTED_TRANSFER_SYNTAX when no decoder reads the pixel data (and the
 * other codes of decodeFrames), DicomAttributeError when the SOP Class or Instance UID is missing.
 */
export async function transcodeToExplicitVrLittleEndian(part10: Buffer): Promise<Buffer> {
  const parsed = parseInstance(part10);
  if (isAlreadyExplicitLittleEndian(parsed)) return part10;
  const { dataset, header } = parsed;
  const replace = parsed.transferSyntax.encapsulated
    ? await nativePixelReplacements(parsed)
    : bigEndianPixelReplacement(parsed);
  const body = encodeExplicitLittleEndian(dataset, {
    replace,
    omit: parsed.transferSyntax.encapsulated ? ENCAPSULATION_ONLY : undefined,
  });
  const sopClassUid = header.meta?.mediaStorageSopClassUid ?? dataset.string('SOPClassUID');
  const sopInstanceUid = header.meta?.mediaStorageSopInstanceUid ?? dataset.string('SOPInstanceUID');
  if (sopClassUid === undefined || sopInstanceUid === undefined) {
    const keyword = sopClassUid === undefined ? 'SOPClassUID' : 'SOPInstanceUID';
    throw new DicomAttributeError('MISSING_ATTRIBUTE', `${keyword} is needed for the file meta group`, keyword);
  }
  const meta = encodePart10Header({ sopClassUid, sopInstanceUid, transferSyntaxUid: EXPLICIT_VR_LITTLE_ENDIAN.uid });
  return Buffer.concat([meta, body]);
}
