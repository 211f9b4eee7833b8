import { coversMediaType, type MediaRange } from './accept-header';
import { EXPLICIT_VR_LE, isEncapsulated, pixelMediaType } from './transfer-syntax-media';

const OCTET_STREAM = 'application/octet-stream';

/** One way to send frames: the part media type and syntax, and whether they are decoded to get there. */
export interface FrameRepresentation {
  readonly mediaType: string;
  readonly transferSyntaxUid: string;
  /** Frames as stored ('stored': the fragments or native samples) or decoded to native samples. */
  readonly source: 'stored' | 'decoded';
}

/** What the client accepts for the frames of one instance, best first. */
export interface FrameAcceptance {
  readonly singlePart: boolean;
  readonly representations: readonly FrameRepresentation[];
}

function representationsFor(partType: string, requested: string | undefined, stored: string): FrameRepresentation[] {
  const out: FrameRepresentation[] = [];
  const native = !isEncapsulated(stored);
  if (native) {
    // Uncompressed bulk data is Explicit VR Little Endian samples (PS3.18 Table 8.7.3-4): frames of
    // any native syntax are read little endian (big endian ones swapped).
    const syntaxOk = requested === undefined || requested === '*' || requested === EXPLICIT_VR_LE;
    if (coversMediaType(partType, OCTET_STREAM) && syntaxOk) {
      out.push({ mediaType: OCTET_STREAM, transferSyntaxUid: EXPLICIT_VR_LE, source: 'stored' });
    }
    return out;
  }
  const compressedType = pixelMediaType(stored);
  // The stored bit stream in its own media type (Table 8.7.3-5). Without a transfer-syntax
  // parameter the table's default for the media type applies, but a lossy stream cannot become
  // another syntax here, and PS3.18 8.7.3 lets the origin server send what it has. With
  // application/octet-stream, "*" or the stored UID asks for the stream as it is.
  // (application/octet-stream has a default of its own: Explicit VR Little Endian.)
  const anySyntax =
    requested === '*' || requested === stored || (requested === undefined && compressedType !== OCTET_STREAM);
  const ownType = coversMediaType(partType, compressedType) && anySyntax;
  const asIs = partType === OCTET_STREAM && (requested === '*' || requested === stored);
  if (ownType || asIs) out.push({ mediaType: compressedType, transferSyntaxUid: stored, source: 'stored' });
  if (coversMediaType(partType, OCTET_STREAM) && (requested === undefined || requested === EXPLICIT_VR_LE)) {
    out.push({ mediaType: OCTET_STREAM, transferSyntaxUid: EXPLICIT_VR_LE, source: 'decoded' });
  }
  return out;
}

/**
 * The representations of frames (PS3.18 10.4.1.1.3, media types of 8.7.3.3) the Accept header
 * allows for a stored syntax, best first: `multipart/related; type=...` (`*\/*`, `multipart/*` and a
 * missing type accept any part type), or a single part when only one frame is asked. Native frames
 * are application/octet-stream; encapsulated ones go in the media type of Table 8.7.3-5 as stored,
 * or decoded to application/octet-stream when that is what is asked (its default syntax is
 * Explicit VR Little Endian). Undefined when nothing acceptable can be produced (406).
 */
export function acceptedFrameForms(
  ranges: readonly MediaRange[],
  storedTransferSyntaxUid: string,
  options: { readonly singlePartAllowed: boolean },
): FrameAcceptance | undefined {
  const found: { singlePart: boolean; representation: FrameRepresentation }[] = [];
  for (const range of ranges) {
    let partType: string;
    let singlePart = false;
    if (range.mediaType === '*/*' || range.mediaType === 'multipart/*') partType = '*/*';
    else if (range.mediaType === 'multipart/related') partType = range.partType ?? '*/*';
    else if (options.singlePartAllowed && !range.mediaType.startsWith('multipart/')) {
      partType = range.mediaType;
      singlePart = true;
    } else continue;
    for (const representation of representationsFor(partType, range.transferSyntax, storedTransferSyntaxUid)) {
      found.push({ singlePart, representation });
    }
  }
  const first = found[0];
  if (!first) return undefined;
  const representations: FrameRepresentation[] = [];
  for (const { singlePart, representation } of found) {
    if (singlePart !== first.singlePart) continue;
    const seen = representations.some(
      (r) => r.mediaType === representation.mediaType && r.transferSyntaxUid === representation.transferSyntaxUid,
    );
    if (!seen) representations.push(representation);
  }
  return { singlePart: first.singlePart, representations };
}
