import { ImagingError } from '@pacs/dicom-imaging';
import { WadoProblem } from './wado-problem';

/**
 * Whether the error says these pixels cannot be decoded here: no codec for the syntax, a sample
 * format the decoder does not handle, or a bitstream it refuses. Another representation (the copy
 * as stored) may still be sent.
 */
export function isUnsupportedPixels(error: unknown): error is ImagingError {
  return (
    error instanceof ImagingError &&
    (error.code === 'UNSUPPORTED_TRANSFER_SYNTAX' ||
      error.code === 'UNSUPPORTED_PIXEL_FORMAT' ||
      error.code === 'INVALID_PIXEL_DATA')
  );
}

/**
 * The answer to an imaging failure, or the error itself when it is none of the known ones:
 * - no pixel data, or a frame beyond the last: the target resource does not exist (404,
 *   PS3.18 Table 10.4.3-1);
 * - pixels this server cannot decode or encode: no acceptable representation (406);
 * - pixel data that contradicts its description (INVALID_PIXEL_DATA) is the archive's fault, not
 *   the request's: left as an error (500);
 * - a rendering parameter out of its domain (PS3.18 8.3.5.1): 400.
 */
export function imagingProblem(error: unknown, what: string): unknown {
  if (!(error instanceof ImagingError)) return error;
  switch (error.code) {
    case 'NO_PIXEL_DATA':
    case 'FRAME_OUT_OF_RANGE':
      return new WadoProblem(404, `${what}: ${error.message}`);
    case 'UNSUPPORTED_TRANSFER_SYNTAX':
    case 'UNSUPPORTED_PIXEL_FORMAT':
      return new WadoProblem(406, `${what} cannot be given in an acceptable form: ${error.message}`);
    case 'BAD_RENDER_OPTION':
      return new WadoProblem(400, error.message);
    default:
      return error;
  }
}
