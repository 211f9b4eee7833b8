import { checkBoundary } from './multipart-boundary';
import { MultipartError } from './multipart.errors';

/** A parsed Content-Type header value (RFC 9110 8.3.1). */
export interface ContentType {
  /** "type/subtype", lower-cased (media types are case-insensitive, RFC 9110 8.3.1). */
  readonly mediaType: string;
  /** Parameters by lower-cased name; values as sent, quotes and escapes removed. */
  readonly parameters: ReadonlyMap<string, string>;
  /** The `boundary` parameter of a multipart type (RFC 2046 5.1.1). */
  readonly boundary: string | undefined;
  /** The `type` parameter of multipart/related: the media type of the root part (RFC 2387 3.1). */
  readonly type: string | undefined;
  /** The `start` parameter of multipart/related: the Content-ID of the root part (RFC 2387 3.2). */
  readonly start: string | undefined;
  /** The `transfer-syntax` parameter of a DICOM media type (PS3.18 8.7.3.4). */
  readonly transferSyntax: string | undefined;
}

/** A multipart/related Content-Type, which always has a boundary. */
export interface MultipartRelatedContentType extends ContentType {
  readonly boundary: string;
}

/** What `parseMultipartRelated` accepts beyond the media type. */
export interface MultipartRelatedOptions {
  /**
   * Root media types the service takes (e.g. application/dicom for STOW-RS, PS3.18 10.5); compared
   * case-insensitively, parameters inside the `type` value ignored. A body without a `type`
   * parameter is let through (`type` undefined): whether to require it is the service's call.
   */
  readonly types?: readonly string[];
}

const TOKEN = /[!#$%&'*+.^_`|~0-9A-Za-z-]+/y;
const OWS = /[ \t]*/y;
// Unquoted parameter values: RFC 9110 wants a token, but DICOMweb clients commonly send
// `type=application/dicom` unquoted, and "/" is no token character; so anything up to the next ";"
// or whitespace is taken, quotes and control characters excepted.
const LOOSE_VALUE = /[^\s;"\p{Cc}]+/uy;

function malformed(header: string, detail: string): MultipartError {
  const shown = header.length > 200 ? `${header.slice(0, 200)}...` : header;
  return new MultipartError('MALFORMED_CONTENT_TYPE', `Content-Type ${JSON.stringify(shown)} is malformed: ${detail}`);
}

function matchAt(pattern: RegExp, text: string, at: number): string {
  pattern.lastIndex = at;
  const match = pattern.exec(text);
  return match === null ? '' : match[0];
}

/** Parses a Content-Type value; throws a MALFORMED_CONTENT_TYPE MultipartError saying what is wrong. */
export function parseContentType(header: string): ContentType {
  let i = matchAt(OWS, header, 0).length;
  const type = matchAt(TOKEN, header, i);
  if (type === '') throw malformed(header, `expected a media type such as "multipart/related" at character ${i}`);
  i += type.length;
  if (header[i] !== '/') throw malformed(header, `expected "/" after "${type}" at character ${i}`);
  i += 1;
  const subtype = matchAt(TOKEN, header, i);
  if (subtype === '') throw malformed(header, `expected a subtype after "${type}/" at character ${i}`);
  i += subtype.length;

  const parameters = new Map<string, string>();
  for (;;) {
    i += matchAt(OWS, header, i).length;
    if (i >= header.length) break;
    if (header[i] !== ';') throw malformed(header, `unexpected ${JSON.stringify(header[i])} at character ${i}`);
    i += 1;
    i += matchAt(OWS, header, i).length;
    // Empty parameters (";;" or a trailing ";") are allowed by RFC 9110 5.6.6.
    if (i >= header.length || header[i] === ';') continue;
    const name = matchAt(TOKEN, header, i);
    if (name === '') throw malformed(header, `expected a parameter name at character ${i}`);
    i += name.length;
    i += matchAt(OWS, header, i).length;
    if (header[i] !== '=') throw malformed(header, `parameter "${name}" has no "=" and value`);
    i += 1;
    i += matchAt(OWS, header, i).length;
    let value: string;
    if (header[i] === '"') {
      [value, i] = readQuotedString(header, i, name);
    } else {
      value = matchAt(LOOSE_VALUE, header, i);
      if (value === '') throw malformed(header, `parameter "${name}" has an empty or invalid value at character ${i}`);
      i += value.length;
    }
    const key = name.toLowerCase();
    // Two boundaries (or two types) leave it to chance which one a peer uses: refuse.
    if (parameters.has(key)) throw malformed(header, `parameter "${key}" is given twice`);
    parameters.set(key, value);
  }

  return {
    mediaType: `${type}/${subtype}`.toLowerCase(),
    parameters,
    boundary: parameters.get('boundary'),
    type: parameters.get('type'),
    start: parameters.get('start'),
    transferSyntax: parameters.get('transfer-syntax'),
  };
}

// quoted-string = DQUOTE *( qdtext / quoted-pair ) DQUOTE; quoted-pair = "\" ( HTAB / SP / VCHAR /
// obs-text ) (RFC 9110 5.6.4). Returns the unescaped value and the index after the closing quote.
function readQuotedString(header: string, start: number, name: string): [string, number] {
  let value = '';
  let i = start + 1;
  while (i < header.length) {
    const c = header.charCodeAt(i);
    if (c === 0x22) return [value, i + 1];
    if (c === 0x5c) {
      i += 1;
      if (i >= header.length) break;
    }
    const d = header.charCodeAt(i);
    if ((d < 0x20 && d !== 0x09) || d === 0x7f) {
      throw malformed(header, `parameter "${name}" holds a control character at character ${i}`);
    }
    value += header[i];
    i += 1;
  }
  throw malformed(header, `the quoted value of parameter "${name}" is not closed`);
}

/**
 * Parses the Content-Type of a multipart/related body (RFC 2387) as received by STOW-RS (PS3.18 10.5):
 * - missing, or another media type: UNSUPPORTED_MEDIA_TYPE (415);
 * - malformed: MALFORMED_CONTENT_TYPE; no boundary: MISSING_BOUNDARY; a bad one: INVALID_BOUNDARY (400);
 * - a `type` parameter outside `options.types`: UNSUPPORTED_MEDIA_TYPE (415).
 */
export function parseMultipartRelated(
  header: string | undefined,
  options: MultipartRelatedOptions = {},
): MultipartRelatedContentType {
  if (header === undefined || header.trim() === '') {
    throw new MultipartError('UNSUPPORTED_MEDIA_TYPE', 'The request has no Content-Type; expected multipart/related');
  }
  const parsed = parseContentType(header);
  if (parsed.mediaType !== 'multipart/related') {
    throw new MultipartError(
      'UNSUPPORTED_MEDIA_TYPE',
      `Content-Type ${parsed.mediaType} is not supported; expected multipart/related`,
    );
  }
  const { boundary } = parsed;
  if (boundary === undefined) {
    throw new MultipartError('MISSING_BOUNDARY', 'Content-Type multipart/related has no boundary parameter');
  }
  checkBoundary(boundary, false);
  if (options.types !== undefined && parsed.type !== undefined) {
    const root = rootMediaType(parsed.type);
    if (!options.types.some((t) => t.toLowerCase() === root)) {
      throw new MultipartError(
        'UNSUPPORTED_MEDIA_TYPE',
        `multipart/related type "${parsed.type}" is not supported; expected ${options.types.join(' or ')}`,
      );
    }
  }
  return { ...parsed, boundary };
}

// Some clients put the root's parameters inside `type` (type="application/dicom;transfer-syntax=...").
function rootMediaType(type: string): string {
  const semicolon = type.indexOf(';');
  return (semicolon === -1 ? type : type.slice(0, semicolon)).trim().toLowerCase();
}

/** Formats a Content-Type value, quoting (and escaping) the parameter values that are not tokens. */
export function formatContentType(
  mediaType: string,
  parameters: Readonly<Record<string, string>> | Iterable<readonly [string, string]> = {},
): string {
  const entries = Symbol.iterator in parameters ? [...parameters] : Object.entries(parameters);
  let out = mediaType;
  for (const [name, value] of entries) {
    if (matchAt(TOKEN, name, 0) !== name)
      throw new TypeError(`Invalid media type parameter name ${JSON.stringify(name)}`);
    if (/(?!\t)\p{Cc}/u.test(value)) {
      throw new TypeError(`Media type parameter ${name} holds a control character`);
    }
    const token = value !== '' && matchAt(TOKEN, value, 0) === value;
    out += `; ${name}=${token ? value : `"${value.replace(/["\\]/g, '\\$&')}"`}`;
  }
  return out;
}
