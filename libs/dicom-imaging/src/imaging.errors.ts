/** Stable codes of failures to read, decode, transcode or render the pixels of an instance. */
export type ImagingErrorCode =
  /** The instance has no Pixel Data (7FE0,0010): not an image (SR, KO, PDF, ...). */
  | 'NO_PIXEL_DATA'
  /** A frame number below 1, above Number of Frames (0028,0008), or not an integer. */
  | 'FRAME_OUT_OF_RANGE'
  /** The pixel data is in a transfer syntax this library cannot split into frames or decode. */
  | 'UNSUPPORTED_TRANSFER_SYNTAX'
  /**
   * The Image Pixel module (PS3.3 C.7.6.3) describes samples this library does not handle, or is
   * inconsistent (e.g. Bits Stored above Bits Allocated, a missing Rows).
   */
  | 'UNSUPPORTED_PIXEL_FORMAT'
  /** A rendering option (PS3.18 8.3.5.1) that does not parse or is out of range; `parameter` names it. */
  | 'BAD_RENDER_OPTION'
  /**
   * The pixel data does not hold what the Image Pixel module says: native data shorter than its
   * frames, fragments that do not split into frames, or a bitstream the decoder refuses.
   */
  | 'INVALID_PIXEL_DATA';

/**
 * The pixels of an instance cannot be served as asked. Never retriable: the same bytes and options
 * fail the same way. Malformed DICOM (not the pixels) throws @pacs/dicom's DicomParseError instead.
 */
export class ImagingError extends Error {
  readonly retriable = false;

  constructor(
    readonly code: ImagingErrorCode,
    message: string,
    /** BAD_RENDER_OPTION: the query parameter at fault ("window", "viewport", "quality"). */
    readonly parameter?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ImagingError';
  }
}

/** Whether the error is an ImagingError, optionally with the given code. */
export function isImagingError(error: unknown, code?: ImagingErrorCode): error is ImagingError {
  return error instanceof ImagingError && (code === undefined || error.code === code);
}
