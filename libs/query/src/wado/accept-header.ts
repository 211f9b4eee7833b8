import { isValidUid } from '@pacs/dicom';
import { parseContentType } from '@pacs/multipart';
import { WadoProblem } from './wado-problem';

/** One media range of an Accept header (RFC 9110 12.5.1), as the negotiation needs it. */
export interface MediaRange {
  /** "type/subtype" lower-cased, wildcards kept ("*\/*", "image/*"); aliases mapped (see ALIASES). */
  readonly mediaType: string;
  /** For multipart/related: the media type of its parts, the `type` parameter (RFC 2387 3.1). */
  readonly partType: string | undefined;
  /** The `transfer-syntax` parameter (PS3.18 8.7.3.5.2): a UID or "*"; undefined means the default. */
  readonly transferSyntax: string | undefined;
  /** Quality value; ranges with q=0 ("not acceptable") are left out by parseAccept. */
  readonly q: number;
}

// Names that clients send for the media types of PS3.18 Table 8.7.3-5 (dicomweb-client and older
// editions of the standard use the x- forms; HTJ2K has been image/jhc in drafts).
const ALIASES: Readonly<Record<string, string>> = {
  'image/x-jls': 'image/jls',
  'image/x-dicom-rle': 'image/dicom-rle',
  'image/jhc': 'image/jphc',
  'image/jpg': 'image/jpeg',
};

function canonical(mediaType: string): string {
  return ALIASES[mediaType] ?? mediaType;
}

// Splits on the commas that separate media ranges, not on those inside quoted parameter values.
function splitRanges(header: string): string[] {
  const out: string[] = [];
  let current = '';
  let quoted = false;
  for (let i = 0; i < header.length; i++) {
    const c = header[i]!;
    if (quoted && c === '\\') {
      current += c + (header[i + 1] ?? '');
      i += 1;
      continue;
    }
    if (c === '"') quoted = !quoted;
    if (c === ',' && !quoted) {
      out.push(current);
      current = '';
      continue;
    }
    current += c;
  }
  out.push(current);
  return out.map((s) => s.trim()).filter((s) => s !== '');
}

function parseQ(value: string | undefined, range: string): number {
  if (value === undefined) return 1;
  // qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] ) (RFC 9110 12.4.2)
  if (!/^(0(\.\d{0,3})?|1(\.0{0,3})?)$/.test(value)) {
    throw new WadoProblem(400, `Accept: q=${value} of "${range}" is not a quality value between 0 and 1`);
  }
  return Number(value);
}

function checkTransferSyntax(value: string | undefined, range: string): string | undefined {
  if (value === undefined || value === '*' || isValidUid(value)) return value;
  throw new WadoProblem(
    400,
    `Accept: transfer-syntax="${value}" of "${range}" is neither a Transfer Syntax UID nor "*" (PS3.18 8.7.3.5.2)`,
  );
}

function parseRange(text: string): MediaRange {
  let parsed;
  try {
    parsed = parseContentType(text);
  } catch (error) {
    throw new WadoProblem(400, `Accept: "${text}" is not a media range: ${(error as Error).message}`);
  }
  let partType: string | undefined;
  let innerSyntax: string | undefined;
  if (parsed.type !== undefined) {
    // Some clients put the part's parameters inside `type` (type="application/dicom; transfer-syntax=...").
    try {
      const inner = parseContentType(parsed.type);
      partType = canonical(inner.mediaType);
      innerSyntax = inner.transferSyntax;
    } catch {
      throw new WadoProblem(400, `Accept: type="${parsed.type}" of "${text}" is not a media type`);
    }
  }
  return {
    mediaType: canonical(parsed.mediaType),
    partType,
    transferSyntax: checkTransferSyntax(parsed.transferSyntax ?? innerSyntax, text),
    q: parseQ(parsed.parameters.get('q'), text),
  };
}

/**
 * The media ranges of an Accept header, most preferred first (by q, then in the order given), those
 * with q=0 left out. An absent or empty header is "*\/*" (RFC 9110 12.5.1: any media type). A
 * malformed range is a 400 naming it.
 */
export function parseAccept(header: string | readonly string[] | undefined): MediaRange[] {
  const text = Array.isArray(header) ? header.join(', ') : (header as string | undefined);
  const pieces = text === undefined ? [] : splitRanges(text);
  if (pieces.length === 0) return [{ mediaType: '*/*', partType: undefined, transferSyntax: undefined, q: 1 }];
  return pieces
    .map(parseRange)
    .map((range, index) => ({ range, index }))
    .filter(({ range }) => range.q > 0)
    .sort((a, b) => b.range.q - a.range.q || a.index - b.index)
    .map(({ range }) => range);
}

/** Whether a media range (or part type) covers a concrete media type, wildcards included. */
export function coversMediaType(range: string | undefined, mediaType: string): boolean {
  if (range === undefined || range === '*/*' || range === mediaType) return true;
  return range.endsWith('/*') && mediaType.startsWith(range.slice(0, -1));
}

/** The header as the client sent it, for the detail of a 406. */
export function describeAccept(header: string | readonly string[] | undefined): string {
  if (header === undefined) return '(no Accept header)';
  return `"${Array.isArray(header) ? header.join(', ') : (header as string)}"`;
}
