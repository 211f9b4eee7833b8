import { decodeFrames, readFrames } from '@pacs/dicom-imaging';
import { describeAccept, parseAccept } from './accept-header';
import { acceptedFrameForms, type FrameRepresentation } from './frame-negotiation';
import { parseFrameList } from './frame-list';
import { imagingProblem, isUnsupportedPixels } from './imaging-problem';
import type { InstanceCatalog } from './instance-catalog';
import { multipartBody, type WadoPart, type WadoResponse } from './wado-response';
import { WadoProblem } from './wado-problem';
import { instanceUrl, type WadoTarget } from './wado-target';

/** Frames of one instance in the representation chosen, ready to send. */
export interface FramesRead {
  readonly representation: FrameRepresentation;
  readonly frames: readonly Buffer[];
  readonly singlePart: boolean;
}

const OFFERED =
  'application/octet-stream (uncompressed, Explicit VR Little Endian) and, for encapsulated pixel data, the ' +
  'media type of its transfer syntax (PS3.18 Table 8.7.3-5), in multipart/related or, for one frame, single part';

/**
 * Reads the frames an Accept header allows, best representation first: a decoder that does not
 * handle the stored syntax makes the next acceptable representation be tried; none left is a 406.
 * A frame beyond the last is a 404 (the target resource does not exist, PS3.18 Table 10.4.3-1).
 */
export async function readAcceptableFrames(
  part10: Buffer,
  storedTransferSyntaxUid: string,
  frameNumbers: readonly number[] | undefined,
  accept: string | undefined,
  what: string,
  singlePartAllowed: boolean,
): Promise<FramesRead> {
  const acceptance = acceptedFrameForms(parseAccept(accept), storedTransferSyntaxUid, { singlePartAllowed });
  if (!acceptance) {
    throw new WadoProblem(
      406,
      `Accept ${describeAccept(accept)} allows no representation of the pixel data of ${what} (stored in ${storedTransferSyntaxUid}); this server sends ${OFFERED}`,
    );
  }
  let lastFailure: unknown;
  for (const representation of acceptance.representations) {
    try {
      const frames =
        representation.source === 'stored'
          ? readFrames(part10, frameNumbers).frames
          : (await decodeFrames(part10, frameNumbers)).map((frame) => frame.pixels);
      return { representation, frames, singlePart: acceptance.singlePart };
    } catch (error) {
      // A frame that does not decode may still go as stored when that is acceptable too.
      if (!isUnsupportedPixels(error) || representation.source === 'stored') throw imagingProblem(error, what);
      lastFailure = error;
    }
  }
  throw imagingProblem(lastFailure, what);
}

/**
 * WADO-RS Retrieve Frames (PS3.18 10.4.1.1.3): `.../instances/{i}/frames/{list}` in
 * `multipart/related` with one part per frame in the order asked, or a single part for one frame
 * when the Accept header names a single-part media type. Each part's Content-Type carries its
 * transfer syntax (PS3.18 8.7.3.5.2) and its Content-Location the frame's URL.
 */
export class RetrieveFramesUseCase {
  constructor(private readonly catalog: InstanceCatalog) {}

  async execute(target: WadoTarget, frameList: string, accept: string | undefined): Promise<WadoResponse> {
    const frameNumbers = parseFrameList(frameList);
    const ref = await this.catalog.one(target);
    const what = `instance ${ref.sopInstanceUid}`;
    const part10 = await this.catalog.read(ref);
    const read = await readAcceptableFrames(
      part10,
      ref.transferSyntaxUid,
      frameNumbers,
      accept,
      what,
      frameNumbers.length === 1,
    );
    const contentType = `${read.representation.mediaType}; transfer-syntax=${read.representation.transferSyntaxUid}`;
    if (read.singlePart) {
      const frame = read.frames[0]!;
      return {
        status: 200,
        headers: { 'Content-Type': contentType, 'Content-Length': String(frame.length) },
        body: frame,
      };
    }
    const url = instanceUrl(target.baseUrl, ref);
    const parts = async function* (): AsyncIterable<WadoPart> {
      for (const [index, frame] of read.frames.entries()) {
        yield {
          headers: {
            'Content-Type': contentType,
            'Content-Length': String(frame.length),
            'Content-Location': `${url}/frames/${frameNumbers[index]}`,
          },
          body: frame,
        };
      }
    };
    // The frames are in memory already: a failure here can only be the client going away.
    const writer = multipartBody(read.representation.mediaType, parts(), () => undefined);
    return { status: 200, headers: { 'Content-Type': writer.contentType }, body: writer };
  }
}
