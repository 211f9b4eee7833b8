import { transferSyntaxOf } from '@pacs/dicom';

/** Explicit VR Little Endian: the default of DICOMweb (PS3.18 8.7.3.4). */
export const EXPLICIT_VR_LE = '1.2.840.10008.1.2.1';
const IMPLICIT_VR_LE = '1.2.840.10008.1.2';
const EXPLICIT_VR_BE = '1.2.840.10008.1.2.2';
const P = '1.2.840.10008.1.2.4';

/**
 * PS3.18 8.7.3: Implicit VR Little Endian and Explicit VR Big Endian "shall not be used with Web
 * Services"; an instance stored in one of them is sent in Explicit VR Little Endian instead.
 */
export function usableOnTheWeb(transferSyntaxUid: string): boolean {
  return transferSyntaxUid !== IMPLICIT_VR_LE && transferSyntaxUid !== EXPLICIT_VR_BE;
}

// prettier-ignore
const MEDIA_TYPES: Readonly<Record<string, string>> = {
  // PS3.18 Table 8.7.3-5 (compressed bulk data: single and multi-frame images, video).
  [`${P}.50`]: 'image/jpeg', [`${P}.51`]: 'image/jpeg', [`${P}.57`]: 'image/jpeg', [`${P}.70`]: 'image/jpeg',
  '1.2.840.10008.1.2.5': 'image/dicom-rle',
  [`${P}.80`]: 'image/jls', [`${P}.81`]: 'image/jls',
  [`${P}.90`]: 'image/jp2', [`${P}.91`]: 'image/jp2',
  [`${P}.92`]: 'image/jpx', [`${P}.93`]: 'image/jpx',
  [`${P}.201`]: 'image/jphc', [`${P}.202`]: 'image/jphc', [`${P}.203`]: 'image/jphc',
  [`${P}.110`]: 'image/jxl', [`${P}.111`]: 'image/jxl', [`${P}.112`]: 'image/jxl',
  [`${P}.100`]: 'video/mpeg2', [`${P}.100.1`]: 'video/mpeg2', [`${P}.101`]: 'video/mpeg2', [`${P}.101.1`]: 'video/mpeg2',
  [`${P}.102`]: 'video/mp4', [`${P}.102.1`]: 'video/mp4', [`${P}.103`]: 'video/mp4', [`${P}.103.1`]: 'video/mp4',
  [`${P}.104`]: 'video/mp4', [`${P}.104.1`]: 'video/mp4', [`${P}.105`]: 'video/mp4', [`${P}.105.1`]: 'video/mp4',
  [`${P}.106`]: 'video/mp4', [`${P}.106.1`]: 'video/mp4', [`${P}.107`]: 'video/H265', [`${P}.108`]: 'video/H265',
};

/**
 * The media type of a frame or of pixel data in the transfer syntax, as it is sent in a part:
 * Table 8.7.3-5 for the compressed ones; application/octet-stream (Table 8.7.3-4) for the
 * uncompressed ones and for encapsulated syntaxes the table does not name.
 */
export function pixelMediaType(transferSyntaxUid: string): string {
  return MEDIA_TYPES[transferSyntaxUid] ?? 'application/octet-stream';
}

// Syntaxes whose pixel data is (or may be) lossy: JPEG lossy processes, JPEG-LS near-lossless,
// JPEG 2000 / HTJ2K / JPEG XL that allow loss, and the video codecs.
// prettier-ignore
const LOSSY: ReadonlySet<string> = new Set([
  `${P}.50`, `${P}.51`, `${P}.52`, `${P}.53`, `${P}.54`, `${P}.55`, `${P}.56`, `${P}.59`, `${P}.60`,
  `${P}.61`, `${P}.62`, `${P}.63`, `${P}.64`, `${P}.81`, `${P}.91`, `${P}.93`, `${P}.203`, `${P}.111`,
  `${P}.112`, `${P}.100`, `${P}.100.1`, `${P}.101`, `${P}.101.1`, `${P}.102`, `${P}.102.1`, `${P}.103`,
  `${P}.103.1`, `${P}.104`, `${P}.104.1`, `${P}.105`, `${P}.105.1`, `${P}.106`, `${P}.106.1`, `${P}.107`,
  `${P}.108`,
]);

/**
 * Whether the stored pixel data is lossy compressed, so that the default transfer syntax need not
 * be used: PS3.18 8.7.3.4 lets the origin server return "the lossy compressed Transfer Syntax
 * appropriate to the lossy form that was received" (decompressing would not restore the loss).
 * Judged by the syntax: a JPEG 2000 (.91) stream that is in fact lossless counts as lossy.
 */
export function isLossy(transferSyntaxUid: string): boolean {
  return LOSSY.has(transferSyntaxUid);
}

/** Whether the pixel data of the syntax is encapsulated (PS3.5 A.4), i.e. frames are fragments. */
export function isEncapsulated(transferSyntaxUid: string): boolean {
  return transferSyntaxOf(transferSyntaxUid)?.encapsulated ?? false;
}
