import { isPixelDataTag, readPart10 } from '@pacs/dicom';
import { coversMediaType, describeAccept, parseAccept } from './accept-header';
import { locateBulkData, littleEndianValue, parseBulkDataPath } from './bulkdata-path';
import type { InstanceCatalog } from './instance-catalog';
import { resolveRangeHeader } from './range-header';
import { readAcceptableFrames } from './retrieve-frames.use-case';
import { EXPLICIT_VR_LE } from './transfer-syntax-media';
import { multipartBody, type WadoPart, type WadoResponse } from './wado-response';
import { WadoProblem } from './wado-problem';
import { instanceUrl, type WadoTarget } from './wado-target';

const OCTET_STREAM = 'application/octet-stream';

/** Whether the Accept header allows uncompressed bulk data, and in which form (PS3.18 8.7.3.3.1). */
function octetStreamForm(accept: string | undefined): 'single' | 'multipart' | undefined {
  for (const range of parseAccept(accept)) {
    const syntaxOk =
      range.transferSyntax === undefined || range.transferSyntax === '*' || range.transferSyntax === EXPLICIT_VR_LE;
    if (!syntaxOk) continue;
    if (range.mediaType === '*/*' || range.mediaType === 'multipart/*') return 'multipart';
    if (range.mediaType === 'multipart/related' && coversMediaType(range.partType, OCTET_STREAM)) return 'multipart';
    if (range.mediaType === OCTET_STREAM || range.mediaType === 'application/*') return 'single';
  }
  return undefined;
}

/**
 * WADO-RS Retrieve Bulkdata (PS3.18 10.4.1.1.5) of the BulkDataURIs the metadata carries:
 * `.../instances/{i}/bulkdata/{tag[/item/tag...]}`. A value is sent as application/octet-stream,
 * Little Endian, in multipart/related (the default) or single part when the Accept header asks,
 * with its Content-Location. A Range header (RFC 9110 14) selects bytes of the value: 206 with
 * Content-Range (in the part's headers when multipart), 416 when unsatisfiable or malformed.
 * Encapsulated Pixel Data goes frame by frame, as Retrieve Frames sends them (no Range).
 */
export class RetrieveBulkDataUseCase {
  constructor(private readonly catalog: InstanceCatalog) {}

  async execute(
    target: WadoTarget,
    path: string,
    accept: string | undefined,
    range: string | undefined,
  ): Promise<WadoResponse> {
    const steps = parseBulkDataPath(path);
    const ref = await this.catalog.one(target);
    const part10 = await this.catalog.read(ref);
    const read = readPart10(part10);
    if (read.status !== 'complete') throw new Error(`stored copy ${ref.blob.key} is truncated`);
    const found = locateBulkData(read.dataset, steps);
    const url = `${instanceUrl(target.baseUrl, ref)}/bulkdata/${path}`;
    if (!found) throw new WadoProblem(404, `instance ${ref.sopInstanceUid} has no bulk data at ${path}`);
    const topLevelPixels = steps.length === 1 && isPixelDataTag(found.element.tag);

    if (topLevelPixels && found.element.fragments) {
      const what = `the pixel data of instance ${ref.sopInstanceUid}`;
      const frames = await readAcceptableFrames(part10, ref.transferSyntaxUid, undefined, accept, what, false);
      const { mediaType, transferSyntaxUid } = frames.representation;
      const parts = async function* (): AsyncIterable<WadoPart> {
        for (const [index, frame] of frames.frames.entries()) {
          yield {
            headers: {
              'Content-Type': `${mediaType}; transfer-syntax=${transferSyntaxUid}`,
              'Content-Length': String(frame.length),
              'Content-Location': `${instanceUrl(target.baseUrl, ref)}/frames/${index + 1}`,
            },
            body: frame,
          };
        }
      };
      const writer = multipartBody(mediaType, parts(), () => undefined);
      return { status: 200, headers: { 'Content-Type': writer.contentType }, body: writer };
    }

    const form = octetStreamForm(accept);
    if (!form) {
      throw new WadoProblem(
        406,
        `Accept ${describeAccept(accept)} does not allow application/octet-stream, the media type of this bulk data (PS3.18 8.7.3.3.1)`,
      );
    }
    const value = littleEndianValue(found.dataset, found.element);
    const selected = resolveRangeHeader(range, value.length);
    const body = selected ? value.subarray(selected.start, selected.end + 1) : value;
    const contentRange = selected ? `bytes ${selected.start}-${selected.end}/${value.length}` : undefined;
    const contentType = topLevelPixels ? `${OCTET_STREAM}; transfer-syntax=${EXPLICIT_VR_LE}` : OCTET_STREAM;
    const status = selected ? 206 : 200;
    if (form === 'single') {
      return {
        status,
        headers: {
          'Content-Type': contentType,
          'Content-Length': String(body.length),
          'Accept-Ranges': 'bytes',
          ...(contentRange ? { 'Content-Range': contentRange } : {}),
        },
        body,
      };
    }
    const parts = async function* (): AsyncIterable<WadoPart> {
      yield {
        headers: {
          'Content-Type': contentType,
          'Content-Length': String(body.length),
          'Content-Location': url,
          'Content-Range': contentRange,
        },
        body,
      };
    };
    const writer = multipartBody(OCTET_STREAM, parts(), () => undefined);
    return { status, headers: { 'Content-Type': writer.contentType, 'Accept-Ranges': 'bytes' }, body: writer };
  }
}
