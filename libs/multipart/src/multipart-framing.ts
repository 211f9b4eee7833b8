import { formatContentType } from './content-type';
import { checkBoundary, generateBoundary } from './multipart-boundary';
import { formatPartHeaders, type PartHeaders } from './part-headers';

/** What frames a multipart/related body (RFC 2046 5.1.1, RFC 2387). */
export interface MultipartFramingOptions {
  /** Media type of the root part, the `type` parameter (RFC 2387 3.1), e.g. application/dicom. */
  readonly type: string;
  /**
   * Boundary; a random one by default. A given boundary must be made of RFC 2046 bchars, and must not
   * occur in any part: the writers do not scan the bodies for it.
   */
  readonly boundary?: string;
  /** Other Content-Type parameters, e.g. `transfer-syntax` (PS3.18 8.7.3.4) or `start` (RFC 2387 3.2). */
  readonly parameters?: Readonly<Record<string, string>>;
}

/** The boundary, the Content-Type and the delimiters of a body: what MultipartWriter and MultipartSender share. */
export class MultipartFraming {
  readonly boundary: string;
  readonly contentType: string;

  constructor(options: MultipartFramingOptions) {
    this.boundary = options.boundary ?? generateBoundary();
    checkBoundary(this.boundary, true);
    this.contentType = formatContentType('multipart/related', {
      type: options.type,
      ...options.parameters,
      boundary: this.boundary,
    });
  }

  /**
   * The delimiter line and header block that open part `index` (from 0). RFC 2046 5.1.1: the first
   * dash-boundary needs no CRLF before it (there is no preamble). Throws a TypeError for a header
   * name that is no token or a value with CR, LF or NUL.
   */
  head(index: number, headers: PartHeaders): Buffer {
    return Buffer.from(`${index === 0 ? '' : '\r\n'}--${this.boundary}\r\n${formatPartHeaders(headers)}`, 'latin1');
  }

  /** The close delimiter after `parts` parts. */
  close(parts: number): Buffer {
    return Buffer.from(`${parts === 0 ? '' : '\r\n'}--${this.boundary}--\r\n`, 'latin1');
  }
}
