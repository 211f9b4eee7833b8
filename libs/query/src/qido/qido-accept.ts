import { coversMediaType, describeAccept, parseAccept } from '../wado/accept-header';
import { WadoProblem } from '../wado/wado-problem';

/**
 * The media types a search answers in (PS3.18 10.6.3.3, the Search Transaction's response: DICOM JSON;
 * `application/json` as clients that predate the DICOM media type ask for it). The XML answer
 * (multipart/related; type="application/dicom+xml") is not offered.
 */
const SEARCH_MEDIA_TYPES = ['application/dicom+json', 'application/json'] as const;

/** Why a search's Accept header cannot be satisfied (400: malformed, 406: nothing acceptable); undefined when it can. */
export function searchAcceptProblem(
  header: string | readonly string[] | undefined,
): { status: 400 | 406; detail: string } | undefined {
  let ranges;
  try {
    ranges = parseAccept(header);
  } catch (error) {
    if (error instanceof WadoProblem) return { status: 400, detail: error.detail };
    throw error;
  }
  if (ranges.some((range) => SEARCH_MEDIA_TYPES.some((type) => coversMediaType(range.mediaType, type)))) {
    return undefined;
  }
  return {
    status: 406,
    detail: `searches answer in application/dicom+json only; Accept ${describeAccept(header)} allows none of it`,
  };
}
