/** A transfer syntax of PS3.5 Annex A (registry: PS3.6 Table A-1), as the parser needs it. */
export interface TransferSyntax {
  readonly uid: string;
  readonly name: string;
  /** VR written in each element (PS3.5 7.1.2); implicit only for Implicit VR Little Endian. */
  readonly explicitVr: boolean;
  readonly littleEndian: boolean;
  /** The whole data set after the file meta group is deflated, RFC 1951 (PS3.5 A.5). */
  readonly deflated: boolean;
  /** Pixel Data is a sequence of fragments (PS3.5 A.4) rather than native samples. */
  readonly encapsulated: boolean;
  /** Pixel data is not in the data set but referenced by Pixel Data Provider URL (JPIP, PS3.5 A.6). */
  readonly referencedPixelData: boolean;
  readonly retired: boolean;
  /** Encoding of the data set is not binary DICOM (retired XML and MIME encodings): not parseable. */
  readonly unparseable: boolean;
}

type Flags = Partial<Omit<TransferSyntax, 'uid' | 'name'>>;

const UNCOMPRESSED: Flags = {};
const ENCAPSULATED: Flags = { encapsulated: true };
const RETIRED_ENCAPSULATED: Flags = { encapsulated: true, retired: true };

function define(uid: string, name: string, flags: Flags): TransferSyntax {
  return Object.freeze({
    uid,
    name,
    explicitVr: flags.explicitVr ?? true,
    littleEndian: flags.littleEndian ?? true,
    deflated: flags.deflated ?? false,
    encapsulated: flags.encapsulated ?? false,
    referencedPixelData: flags.referencedPixelData ?? false,
    retired: flags.retired ?? false,
    unparseable: flags.unparseable ?? false,
  });
}

const P = '1.2.840.10008.1.2';

/** Every transfer syntax of PS3.6 Table A-1 (2025), active and retired. */
export const TRANSFER_SYNTAXES: readonly TransferSyntax[] = Object.freeze([
  define(P, 'Implicit VR Little Endian', { explicitVr: false }),
  define(`${P}.1`, 'Explicit VR Little Endian', UNCOMPRESSED),
  define(`${P}.1.98`, 'Encapsulated Uncompressed Explicit VR Little Endian', ENCAPSULATED),
  define(`${P}.1.99`, 'Deflated Explicit VR Little Endian', { deflated: true }),
  define(`${P}.2`, 'Explicit VR Big Endian', { littleEndian: false, retired: true }),
  define(`${P}.4.50`, 'JPEG Baseline (Process 1)', ENCAPSULATED),
  define(`${P}.4.51`, 'JPEG Extended (Process 2 & 4)', ENCAPSULATED),
  define(`${P}.4.52`, 'JPEG Extended (Process 3 & 5)', RETIRED_ENCAPSULATED),
  define(`${P}.4.53`, 'JPEG Spectral Selection, Non-Hierarchical (Process 6 & 8)', RETIRED_ENCAPSULATED),
  define(`${P}.4.54`, 'JPEG Spectral Selection, Non-Hierarchical (Process 7 & 9)', RETIRED_ENCAPSULATED),
  define(`${P}.4.55`, 'JPEG Full Progression, Non-Hierarchical (Process 10 & 12)', RETIRED_ENCAPSULATED),
  define(`${P}.4.56`, 'JPEG Full Progression, Non-Hierarchical (Process 11 & 13)', RETIRED_ENCAPSULATED),
  define(`${P}.4.57`, 'JPEG Lossless, Non-Hierarchical (Process 14)', ENCAPSULATED),
  define(`${P}.4.58`, 'JPEG Lossless, Non-Hierarchical (Process 15)', RETIRED_ENCAPSULATED),
  define(`${P}.4.59`, 'JPEG Extended, Hierarchical (Process 16 & 18)', RETIRED_ENCAPSULATED),
  define(`${P}.4.60`, 'JPEG Extended, Hierarchical (Process 17 & 19)', RETIRED_ENCAPSULATED),
  define(`${P}.4.61`, 'JPEG Spectral Selection, Hierarchical (Process 20 & 22)', RETIRED_ENCAPSULATED),
  define(`${P}.4.62`, 'JPEG Spectral Selection, Hierarchical (Process 21 & 23)', RETIRED_ENCAPSULATED),
  define(`${P}.4.63`, 'JPEG Full Progression, Hierarchical (Process 24 & 26)', RETIRED_ENCAPSULATED),
  define(`${P}.4.64`, 'JPEG Full Progression, Hierarchical (Process 25 & 27)', RETIRED_ENCAPSULATED),
  define(`${P}.4.65`, 'JPEG Lossless, Hierarchical (Process 28)', RETIRED_ENCAPSULATED),
  define(`${P}.4.66`, 'JPEG Lossless, Hierarchical (Process 29)', RETIRED_ENCAPSULATED),
  define(
    `${P}.4.70`,
    'JPEG Lossless, Non-Hierarchical, First-Order Prediction (Process 14 [Selection Value 1])',
    ENCAPSULATED,
  ),
  define(`${P}.4.80`, 'JPEG-LS Lossless Image Compression', ENCAPSULATED),
  define(`${P}.4.81`, 'JPEG-LS Lossy (Near-Lossless) Image Compression', ENCAPSULATED),
  define(`${P}.4.90`, 'JPEG 2000 Image Compression (Lossless Only)', ENCAPSULATED),
  define(`${P}.4.91`, 'JPEG 2000 Image Compression', ENCAPSULATED),
  define(`${P}.4.92`, 'JPEG 2000 Part 2 Multi-component Image Compression (Lossless Only)', ENCAPSULATED),
  define(`${P}.4.93`, 'JPEG 2000 Part 2 Multi-component Image Compression', ENCAPSULATED),
  define(`${P}.4.94`, 'JPIP Referenced', { referencedPixelData: true }),
  define(`${P}.4.95`, 'JPIP Referenced Deflate', { referencedPixelData: true, deflated: true }),
  define(`${P}.4.100`, 'MPEG2 Main Profile / Main Level', ENCAPSULATED),
  define(`${P}.4.100.1`, 'Fragmentable MPEG2 Main Profile / Main Level', ENCAPSULATED),
  define(`${P}.4.101`, 'MPEG2 Main Profile / High Level', ENCAPSULATED),
  define(`${P}.4.101.1`, 'Fragmentable MPEG2 Main Profile / High Level', ENCAPSULATED),
  define(`${P}.4.102`, 'MPEG-4 AVC/H.264 High Profile / Level 4.1', ENCAPSULATED),
  define(`${P}.4.102.1`, 'Fragmentable MPEG-4 AVC/H.264 High Profile / Level 4.1', ENCAPSULATED),
  define(`${P}.4.103`, 'MPEG-4 AVC/H.264 BD-compatible High Profile / Level 4.1', ENCAPSULATED),
  define(`${P}.4.103.1`, 'Fragmentable MPEG-4 AVC/H.264 BD-compatible High Profile / Level 4.1', ENCAPSULATED),
  define(`${P}.4.104`, 'MPEG-4 AVC/H.264 High Profile / Level 4.2 For 2D Video', ENCAPSULATED),
  define(`${P}.4.104.1`, 'Fragmentable MPEG-4 AVC/H.264 High Profile / Level 4.2 For 2D Video', ENCAPSULATED),
  define(`${P}.4.105`, 'MPEG-4 AVC/H.264 High Profile / Level 4.2 For 3D Video', ENCAPSULATED),
  define(`${P}.4.105.1`, 'Fragmentable MPEG-4 AVC/H.264 High Profile / Level 4.2 For 3D Video', ENCAPSULATED),
  define(`${P}.4.106`, 'MPEG-4 AVC/H.264 Stereo High Profile / Level 4.2', ENCAPSULATED),
  define(`${P}.4.106.1`, 'Fragmentable MPEG-4 AVC/H.264 Stereo High Profile / Level 4.2', ENCAPSULATED),
  define(`${P}.4.107`, 'HEVC/H.265 Main Profile / Level 5.1', ENCAPSULATED),
  define(`${P}.4.108`, 'HEVC/H.265 Main 10 Profile / Level 5.1', ENCAPSULATED),
  define(`${P}.4.110`, 'JPEG XL Lossless', ENCAPSULATED),
  define(`${P}.4.111`, 'JPEG XL JPEG Recompression', ENCAPSULATED),
  define(`${P}.4.112`, 'JPEG XL', ENCAPSULATED),
  define(`${P}.4.201`, 'High-Throughput JPEG 2000 Image Compression (Lossless Only)', ENCAPSULATED),
  define(`${P}.4.202`, 'High-Throughput JPEG 2000 with RPCL Options Image Compression (Lossless Only)', ENCAPSULATED),
  define(`${P}.4.203`, 'High-Throughput JPEG 2000 Image Compression', ENCAPSULATED),
  define(`${P}.4.204`, 'JPIP HTJ2K Referenced', { referencedPixelData: true }),
  define(`${P}.4.205`, 'JPIP HTJ2K Referenced Deflate', { referencedPixelData: true, deflated: true }),
  define(`${P}.5`, 'RLE Lossless', ENCAPSULATED),
  define(`${P}.6.1`, 'RFC 2557 MIME encapsulation', { retired: true, unparseable: true }),
  define(`${P}.6.2`, 'XML Encoding', { retired: true, unparseable: true }),
  define(`${P}.7.1`, 'SMPTE ST 2110-20 Uncompressed Progressive Active Video', ENCAPSULATED),
  define(`${P}.7.2`, 'SMPTE ST 2110-20 Uncompressed Interlaced Active Video', ENCAPSULATED),
  define(`${P}.7.3`, 'SMPTE ST 2110-30 PCM Digital Audio', ENCAPSULATED),
  // Each frame deflated on its own and encapsulated (PS3.5 A.4.13); the data set itself is not.
  define(`${P}.8.1`, 'Deflated Image Frame Compression', ENCAPSULATED),
  // Retired, and numbered outside 1.2.840.10008.1.2 (PS3.6 Table A-1): Papyrus 3 files.
  define('1.2.840.10008.1.20', 'Papyrus 3 Implicit VR Little Endian', { explicitVr: false, retired: true }),
]);

const BY_UID: ReadonlyMap<string, TransferSyntax> = new Map(TRANSFER_SYNTAXES.map((ts) => [ts.uid, ts]));

/** The transfer syntax of a UID, or undefined for an unknown (e.g. private) one. */
export function transferSyntaxOf(uid: string): TransferSyntax | undefined {
  return BY_UID.get(uid);
}

/** Implicit VR Little Endian: the default transfer syntax (PS3.5 10.1), of every DIMSE command set. */
export const IMPLICIT_VR_LITTLE_ENDIAN = BY_UID.get(P)!;
/** Explicit VR Little Endian (PS3.5 A.2): the file meta group is always in it (PS3.10 7.1). */
export const EXPLICIT_VR_LITTLE_ENDIAN = BY_UID.get(`${P}.1`)!;
/** Explicit VR Big Endian (PS3.5 A.3, retired). */
export const EXPLICIT_VR_BIG_ENDIAN = BY_UID.get(`${P}.2`)!;
/** Deflated Explicit VR Little Endian (PS3.5 A.5). */
export const DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN = BY_UID.get(`${P}.1.99`)!;
