/** One marker segment of a JPEG or JPEG-LS stream: its marker code and its payload (after the length). */
interface MarkerSegment {
  readonly marker: number;
  readonly payload: Buffer;
}

const SOI = 0xd8;
const SOS = 0xda;

/**
 * The marker segments of a JPEG (ISO 10918-1 B.1.1) or JPEG-LS (ISO 14495-1 C.1) stream, from SOI to
 * the first SOS included; entropy-coded data is not walked. Stops quietly at anything malformed:
 * the decoder reports the stream's faults, this only peeks at headers.
 */
export function headerSegments(stream: Buffer): MarkerSegment[] {
  const segments: MarkerSegment[] = [];
  if (stream.length < 4 || stream[0] !== 0xff || stream[1] !== SOI) return segments;
  let p = 2;
  while (p + 4 <= stream.length) {
    if (stream[p] !== 0xff) break;
    let q = p + 1;
    while (stream[q] === 0xff) q++; // fill bytes (B.1.1.2)
    const marker = stream[q];
    if (marker === undefined || q + 3 > stream.length) break;
    const length = stream.readUInt16BE(q + 1);
    if (length < 2 || q + 1 + length > stream.length) break;
    segments.push({ marker, payload: stream.subarray(q + 3, q + 1 + length) });
    if (marker === SOS) break;
    p = q + 1 + length;
  }
  return segments;
}

/**
 * The transform flag of an Adobe APP14 segment (0 none: RGB or CMYK; 1 YCbCr; 2 YCCK), or
 * undefined without one. Of what pydicom, DCMTK and Pillow read to tell an RGB stream from YCbCr.
 */
export function adobeTransform(stream: Buffer): number | undefined {
  for (const { marker, payload } of headerSegments(stream)) {
    if (marker === 0xee && payload.length >= 12 && payload.toString('latin1', 0, 5) === 'Adobe') return payload[11];
  }
  return undefined;
}

/**
 * The interleave mode (ILV) of the first scan of a JPEG-LS stream (ISO 14495-1 C.2.3): 0 none (one
 * scan per component: the decoder returns planes), 1 line, 2 sample; undefined when not found.
 */
export function jpegLsInterleaveMode(stream: Buffer): number | undefined {
  const scan = headerSegments(stream).find((segment) => segment.marker === SOS);
  if (!scan || scan.payload.length < 1) return undefined;
  const components = scan.payload[0]!;
  // Ns, then Ns pairs (Ci, Tmi), then NEAR, ILV, point transform.
  return scan.payload[1 + components * 2 + 1];
}

/** What a JPEG frame header (SOF, ISO 10918-1 B.2.2) says. */
export interface JpegFrameHeader {
  /** The SOF marker: 0xC0 baseline, 0xC1 extended, 0xC3 lossless, 0xF7 JPEG-LS, ... */
  readonly marker: number;
  readonly precision: number;
  readonly rows: number;
  readonly columns: number;
  readonly components: number;
}

/** The first frame header of a JPEG or JPEG-LS stream, or undefined. */
export function jpegFrameHeader(stream: Buffer): JpegFrameHeader | undefined {
  const frame = headerSegments(stream).find(
    ({ marker }) =>
      (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) || marker === 0xf7,
  );
  if (!frame || frame.payload.length < 6) return undefined;
  const { marker, payload } = frame;
  return {
    marker,
    precision: payload[0]!,
    rows: payload.readUInt16BE(1),
    columns: payload.readUInt16BE(3),
    components: payload[5]!,
  };
}
