import { MultipartError } from './multipart.errors';

/** Headers of one part, as given to the writer: a map or a record (undefined values are left out). */
export type PartHeaders = ReadonlyMap<string, string> | Readonly<Record<string, string | undefined>>;

const FIELD_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
// CR, LF and NUL never belong in a field value (RFC 9110 5.5); other controls are let through as sent.
const FORBIDDEN_IN_VALUE = /[\r\n\0]/;

/**
 * Parses a part's header block: the bytes from after the delimiter line up to and including the
 * empty line that ends it. Names are lower-cased; a repeated field is joined with ", " (RFC 9110
 * 5.3); obsolete line folding (a line starting with a space or tab) is unfolded (RFC 5322 2.2.3).
 * Bytes are decoded as Latin-1, as HTTP fields are, so that no byte is lost or altered.
 */
export function parsePartHeaders(block: Buffer, offset: number, partIndex: number): Map<string, string> {
  const headers = new Map<string, string>();
  const lines = block.toString('latin1').split('\r\n');
  let last: string | undefined;
  for (const line of lines) {
    if (line === '') break;
    const bad = (why: string): MultipartError =>
      new MultipartError(
        'MALFORMED_HEADERS',
        `Part ${partIndex + 1} has a malformed header line ${JSON.stringify(line.slice(0, 100))}: ${why}`,
        offset,
      );
    if (FORBIDDEN_IN_VALUE.test(line)) throw bad('it holds a bare CR, LF or NUL');
    if (line.startsWith(' ') || line.startsWith('\t')) {
      if (last === undefined) throw bad('a continuation line with no header before it');
      headers.set(last, `${headers.get(last) ?? ''} ${line.trim()}`.trim());
      continue;
    }
    const colon = line.indexOf(':');
    if (colon === -1) throw bad('no ":"');
    const name = line.slice(0, colon);
    // No whitespace before the colon (RFC 9110 5.1: it has been used to smuggle fields).
    if (!FIELD_NAME.test(name)) throw bad('the field name is not a token');
    const key = name.toLowerCase();
    const value = line.slice(colon + 1).replace(/^[ \t]+|[ \t]+$/g, '');
    const previous = headers.get(key);
    headers.set(key, previous === undefined ? value : `${previous}, ${value}`);
    last = key;
  }
  return headers;
}

/** The header block of a part as the writer sends it (to be encoded as Latin-1), empty line included. */
export function formatPartHeaders(headers: PartHeaders): string {
  const entries = Symbol.iterator in headers ? [...(headers as ReadonlyMap<string, string>)] : Object.entries(headers);
  let block = '';
  for (const [name, value] of entries as [string, string | undefined][]) {
    if (value === undefined) continue;
    if (!FIELD_NAME.test(name)) throw new TypeError(`Invalid part header name ${JSON.stringify(name)}`);
    if (FORBIDDEN_IN_VALUE.test(value)) throw new TypeError(`Part header ${name} holds a CR, LF or NUL`);
    // Sent as Latin-1, as the reader decodes it; a character beyond U+00FF would be mangled.
    if (/[\u0100-\uffff]/.test(value)) throw new TypeError(`Part header ${name} holds a character beyond Latin-1`);
    block += `${name}: ${value}\r\n`;
  }
  return `${block}\r\n`;
}
