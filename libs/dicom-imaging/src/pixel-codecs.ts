import { transferSyntaxOf, type TransferSyntax } from '@pacs/dicom';

/**
 * How the frames of a transfer syntax are encoded, as this library decodes them:
 * - native: uncompressed samples in the data set (PS3.5 8.1, A.1-A.3, A.5);
 * - encapsulated-uncompressed: native frames, one per fragment (PS3.5 A.4.11);
 * - deflate: each frame deflated on its own (PS3.5 A.4.13);
 * - rle: RLE Lossless (PS3.5 Annex G);
 * - jpeg: ISO 10918-1 lossy, 8 or 12 bits (PS3.5 A.4.1, 8.2.1);
 * - jpeg-lossless: ISO 10918-1 lossless, processes 14 (PS3.5 A.4.1, 8.2.1);
 * - jpeg-ls: ISO 14495-1 (PS3.5 A.4.3, 8.2.3);
 * - jpeg-2000: ISO 15444-1 (PS3.5 A.4.4, 8.2.4);
 * - htj2k: ISO 15444-15 High-Throughput JPEG 2000 (PS3.5 A.4.12, 8.2.8);
 * - jpeg-xl: ISO 18181-1 (PS3.5 A.4.14, 8.2.9).
 */
export type PixelCodec =
  | 'native'
  | 'encapsulated-uncompressed'
  | 'deflate'
  | 'rle'
  | 'jpeg'
  | 'jpeg-lossless'
  | 'jpeg-ls'
  | 'jpeg-2000'
  | 'htj2k'
  | 'jpeg-xl';

const P = '1.2.840.10008.1.2';

// Encapsulated syntaxes whose frames this library decodes. Retired JPEG processes (hierarchical,
// progressive, spectral selection), JPEG 2000 Part 2 and JPEG XL JPEG Recompression are left out:
// no test data to vouch for them.
const DECODED: ReadonlyMap<string, PixelCodec> = new Map<string, PixelCodec>([
  [`${P}.1.98`, 'encapsulated-uncompressed'],
  [`${P}.8.1`, 'deflate'],
  [`${P}.5`, 'rle'],
  [`${P}.4.50`, 'jpeg'],
  [`${P}.4.51`, 'jpeg'],
  [`${P}.4.57`, 'jpeg-lossless'],
  [`${P}.4.70`, 'jpeg-lossless'],
  [`${P}.4.80`, 'jpeg-ls'],
  [`${P}.4.81`, 'jpeg-ls'],
  [`${P}.4.90`, 'jpeg-2000'],
  [`${P}.4.91`, 'jpeg-2000'],
  [`${P}.4.201`, 'htj2k'],
  [`${P}.4.202`, 'htj2k'],
  [`${P}.4.203`, 'htj2k'],
  [`${P}.4.110`, 'jpeg-xl'],
  [`${P}.4.112`, 'jpeg-xl'],
]);

/** The codec that decodes the frames of a transfer syntax, or undefined when none here does. */
export function pixelCodecOf(syntax: TransferSyntax): PixelCodec | undefined {
  if (!syntax.encapsulated) return syntax.referencedPixelData || syntax.unparseable ? undefined : 'native';
  return DECODED.get(syntax.uid);
}

/**
 * Whether the encapsulated pixel data of a syntax is a stream rather than frames: MPEG-2, MPEG-4
 * AVC, HEVC (PS3.5 A.4.5-A.4.10) and SMPTE ST 2110 (A.4.15-A.4.17) hold one video bitstream
 * across all fragments, with no frame boundaries at the fragment level.
 */
export function isVideoSyntax(syntax: TransferSyntax): boolean {
  const uid = syntax.uid;
  if (uid.startsWith(`${P}.7.`)) return true;
  if (!uid.startsWith(`${P}.4.`)) return false;
  const process = Number(uid.slice(`${P}.4.`.length).split('.')[0]);
  return process >= 100 && process <= 108;
}

/**
 * Whether a fragment starts a new compressed frame, for syntaxes whose bitstreams open with a
 * marker no bitstream can hold inside: JPEG and JPEG-LS SOI (ISO 10918-1 B.2.1), the JPEG 2000
 * codestream SOC+SIZ (ISO 15444-1 A.4.1) or JP2 signature box, the JPEG XL codestream or
 * container signature (ISO 18181-1/-2). Undefined for syntaxes without such a marker.
 */
export function frameStartTest(syntax: TransferSyntax): ((fragment: Buffer) => boolean) | undefined {
  const uid = syntax.uid;
  const process = uid.startsWith(`${P}.4.`) ? Number(uid.slice(`${P}.4.`.length).split('.')[0]) : undefined;
  if (process === undefined) return undefined;
  if ((process >= 50 && process <= 70) || process === 80 || process === 81) {
    return (f) => f.length >= 3 && f[0] === 0xff && f[1] === 0xd8 && f[2] === 0xff;
  }
  if ((process >= 90 && process <= 93) || (process >= 201 && process <= 203)) {
    return (f) => startsWith(f, J2K_CODESTREAM) || startsWith(f, JP2_SIGNATURE);
  }
  if (process >= 110 && process <= 112) {
    return (f) => startsWith(f, JXL_CODESTREAM) || startsWith(f, JXL_SIGNATURE);
  }
  return undefined;
}

const J2K_CODESTREAM = Buffer.from([0xff, 0x4f, 0xff, 0x51]);
const JP2_SIGNATURE = Buffer.from([0x00, 0x00, 0x00, 0x0c, 0x6a, 0x50, 0x20, 0x20]);
const JXL_CODESTREAM = Buffer.from([0xff, 0x0a]);
const JXL_SIGNATURE = Buffer.from([0x00, 0x00, 0x00, 0x0c, 0x4a, 0x58, 0x4c, 0x20]);

function startsWith(bytes: Buffer, prefix: Buffer): boolean {
  return bytes.length >= prefix.length && bytes.subarray(0, prefix.length).equals(prefix);
}

/**
 * Whether decodeFrames, transcodeToExplicitVrLittleEndian and renderFrame read pixel data in this
 * transfer syntax (native syntaxes included), e.g. to choose what to offer a client.
 */
export function canDecodeTransferSyntax(uid: string): boolean {
  const syntax = transferSyntaxOf(uid);
  return syntax !== undefined && pixelCodecOf(syntax) !== undefined;
}

/** The UIDs of the encapsulated transfer syntaxes decodeFrames decodes (native ones come on top). */
export const DECODABLE_ENCAPSULATED_TRANSFER_SYNTAXES: readonly string[] = Object.freeze([...DECODED.keys()]);
