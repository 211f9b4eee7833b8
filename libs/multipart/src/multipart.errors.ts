/** Stable codes of failures to read a multipart body or its Content-Type. */
export type MultipartErrorCode =
  /** The Content-Type header does not parse as a media type with parameters (RFC 9110 8.3.1). */
  | 'MALFORMED_CONTENT_TYPE'
  /** The body is not multipart/related, or its `type` parameter is not one the service accepts. */
  | 'UNSUPPORTED_MEDIA_TYPE'
  /** A multipart Content-Type without the mandatory `boundary` parameter (RFC 2046 5.1.1). */
  | 'MISSING_BOUNDARY'
  /** A boundary that is empty, longer than 70 characters, ends in a space or holds a control character. */
  | 'INVALID_BOUNDARY'
  /** A part's header block is not a list of `name: value` lines (RFC 2046 5.1.1, RFC 5322 2.2). */
  | 'MALFORMED_HEADERS'
  /** A boundary followed by something other than transport padding and CRLF, or "--" (RFC 2046 5.1.1). */
  | 'MALFORMED_DELIMITER'
  /** A part's header block is longer than the configured limit. */
  | 'HEADERS_TOO_LARGE'
  /** The body holds more parts than the configured limit. */
  | 'TOO_MANY_PARTS'
  /** The body is longer than the configured limit. */
  | 'BODY_TOO_LARGE'
  /** The body ended before the close delimiter: the part being read, if any, is incomplete. */
  | 'UNEXPECTED_END';

// What an HTTP service answers for each failure: limits are 413 Content Too Large (RFC 9110 15.5.14),
// a media type the service does not take is 415 (RFC 9110 15.5.16), anything malformed is 400.
const HTTP_STATUS: Readonly<Record<MultipartErrorCode, number>> = {
  MALFORMED_CONTENT_TYPE: 400,
  UNSUPPORTED_MEDIA_TYPE: 415,
  MISSING_BOUNDARY: 400,
  INVALID_BOUNDARY: 400,
  MALFORMED_HEADERS: 400,
  MALFORMED_DELIMITER: 400,
  HEADERS_TOO_LARGE: 413,
  TOO_MANY_PARTS: 413,
  BODY_TOO_LARGE: 413,
  UNEXPECTED_END: 400,
};

/**
 * A multipart body or Content-Type that cannot be read. Never retriable: the same bytes fail the
 * same way. `offset` is the byte offset in the body where it was noticed, when it is about the body.
 */
export class MultipartError extends Error {
  readonly retriable = false;
  /** The HTTP status a service answers with (400, 413 or 415). */
  readonly httpStatus: number;

  constructor(
    readonly code: MultipartErrorCode,
    message: string,
    readonly offset?: number,
    options?: { cause?: unknown },
  ) {
    super(offset === undefined ? message : `${message} (at byte ${offset} of the body)`, options);
    this.name = 'MultipartError';
    this.httpStatus = HTTP_STATUS[code];
  }
}

/** Whether the error is a MultipartError, optionally with the given code. */
export function isMultipartError(error: unknown, code?: MultipartErrorCode): error is MultipartError {
  return error instanceof MultipartError && (code === undefined || error.code === code);
}
