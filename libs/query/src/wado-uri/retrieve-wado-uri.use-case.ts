import { parseRenderQuery, renderFrame, transcodeToExplicitVrLittleEndian } from '@pacs/dicom-imaging';
import { imagingProblem, isUnsupportedPixels } from '../wado/imaging-problem';
import type { InstanceCatalog } from '../wado/instance-catalog';
import { chooseDelivery } from '../wado/instance-negotiation';
import type { WadoResponse } from '../wado/wado-response';
import { WadoProblem } from '../wado/wado-problem';
import type { WadoTarget } from '../wado/wado-target';
import type { WadoUriRequest } from './wado-uri-request';

/**
 * The two WADO-URI transactions (PS3.18 9.4 Retrieve DICOM Instance, 9.5 Retrieve Rendered
 * Instance) on one instance of the tenant.
 * - application/dicom: the instance in the transferSyntax asked, or by default Explicit VR Little
 *   Endian (9.4.2.4; a lossy compressed copy is sent as stored, 8.7.3.4), transcoded when needed; a
 *   syntax it cannot be given in is a 406. The Content-Type has no transfer-syntax parameter: URI
 *   service responses must not carry one (8.7.3.5.2); the file meta information says it.
 * - image/jpeg or image/png: the frame (frameNumber, default 1) rendered with the viewport, window
 *   and quality asked; a frame beyond the last is a 404, like WADO-RS.
 */
export class RetrieveWadoUriUseCase {
  constructor(private readonly catalog: InstanceCatalog) {}

  async execute(request: WadoUriRequest, target: WadoTarget): Promise<WadoResponse> {
    const ref = await this.catalog.one(target);
    if (request.kind === 'rendered') {
      let query;
      try {
        query = parseRenderQuery(request.renderParams);
      } catch (error) {
        throw imagingProblem(error, 'rendering');
      }
      let image: Buffer;
      try {
        image = await renderFrame(await this.catalog.read(ref), request.frameNumber, {
          ...query,
          format: request.format,
        });
      } catch (error) {
        throw imagingProblem(error, `instance ${ref.sopInstanceUid}`);
      }
      return {
        status: 200,
        headers: { 'Content-Type': request.format, 'Content-Length': String(image.length) },
        body: image,
      };
    }
    const acceptance = { singlePart: true, acceptable: [{ transferSyntax: request.transferSyntax, q: 1 }] };
    const delivery = chooseDelivery(acceptance, ref.transferSyntaxUid);
    const cannot = () =>
      new WadoProblem(
        406,
        `instance ${ref.sopInstanceUid} (stored in ${ref.transferSyntaxUid}) cannot be given in transfer syntax ${
          request.transferSyntax ?? '1.2.840.10008.1.2.1 (the default)'
        }; this server sends the stored syntax or Explicit VR Little Endian`,
      );
    if (!delivery) throw cannot();
    let body: Buffer | undefined;
    if (delivery.transcode) {
      try {
        body = await transcodeToExplicitVrLittleEndian(await this.catalog.read(ref));
      } catch (error) {
        if (isUnsupportedPixels(error)) throw cannot();
        throw error;
      }
    }
    return {
      status: 200,
      headers: { 'Content-Type': 'application/dicom', 'Content-Length': String(body?.length ?? ref.blob.size) },
      body: body ?? (await this.catalog.open(ref)),
    };
  }
}
