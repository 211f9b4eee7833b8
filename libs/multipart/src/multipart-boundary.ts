import { randomBytes } from 'node:crypto';
import { MultipartError } from './multipart.errors';

/** Longest boundary RFC 2046 5.1.1 allows. */
export const MAX_BOUNDARY_LENGTH = 70;

// bcharsnospace of RFC 2046 5.1.1, plus the space that may occur anywhere but at the end.
const STRICT_BOUNDARY = /^[0-9A-Za-z'()+_,\-./:=? ]*[0-9A-Za-z'()+_,\-./:=?]$/;
// What the reader takes: any visible ASCII or space. Senders that stray from bchars (a "#", a "*")
// exist, and matching the boundary byte for byte is as safe with them; control characters, CR and
// LF are refused because they would make the delimiter line ambiguous.
const LENIENT_BOUNDARY = /^[\x20-\x7e]*[\x21-\x7e]$/;

/**
 * Checks a boundary: 1 to 70 characters, not ending in a space (RFC 2046 5.1.1). `strict` also
 * requires the bchars of the RFC (what we send); the reader takes any visible ASCII (what we accept).
 */
export function checkBoundary(boundary: string, strict: boolean): void {
  if (boundary.length === 0) throw new MultipartError('INVALID_BOUNDARY', 'The multipart boundary is empty');
  if (boundary.length > MAX_BOUNDARY_LENGTH) {
    throw new MultipartError(
      'INVALID_BOUNDARY',
      `The multipart boundary is ${boundary.length} characters long, more than the ${MAX_BOUNDARY_LENGTH} of RFC 2046 5.1.1`,
    );
  }
  if (!(strict ? STRICT_BOUNDARY : LENIENT_BOUNDARY).test(boundary)) {
    throw new MultipartError(
      'INVALID_BOUNDARY',
      `The multipart boundary ${JSON.stringify(boundary)} ${
        boundary.endsWith(' ') ? 'ends in a space' : 'holds characters that RFC 2046 5.1.1 does not allow'
      }`,
    );
  }
}

/**
 * A fresh random boundary: 192 random bits in base64url (letters, digits, "-" and "_", all bchars and
 * token characters, so it needs no quoting). A collision with a part's bytes is beyond unlikely, which
 * is why the writer never scans the bodies it sends for it.
 */
export function generateBoundary(): string {
  return `pacs-${randomBytes(24).toString('base64url')}`;
}
