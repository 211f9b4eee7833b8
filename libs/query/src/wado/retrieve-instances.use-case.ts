import { canDecodeTransferSyntax, transcodeToExplicitVrLittleEndian } from '@pacs/dicom-imaging';
import type { Logger } from '@pacs/observability';
import { describeAccept, parseAccept } from './accept-header';
import { isUnsupportedPixels } from './imaging-problem';
import type { InstanceCatalog, InstanceRef } from './instance-catalog';
import {
  acceptedInstanceForms,
  chooseDelivery,
  type InstanceAcceptance,
  type InstanceDelivery,
} from './instance-negotiation';
import { multipartBody, type WadoPart, type WadoResponse } from './wado-response';
import { WadoProblem } from './wado-problem';
import { instanceUrl, type WadoTarget } from './wado-target';

interface Planned {
  readonly ref: InstanceRef;
  readonly delivery: InstanceDelivery;
}

const OFFERED =
  'multipart/related; type="application/dicom" with transfer-syntax=* (as stored), 1.2.840.10008.1.2.1 or none ' +
  '(the default, PS3.18 8.7.3.4), and application/dicom for one instance';

/**
 * WADO-RS Retrieve Study, Series or Instance (PS3.18 10.4.1.1.1-2): the current copy of each
 * instance in `multipart/related; type="application/dicom"`, or a single application/dicom body
 * for an instance when the Accept header prefers it. Each part is in its Selected Transfer Syntax
 * (PS3.18 8.7.8.2, carried in its Content-Type): as stored, or transcoded to Explicit VR Little
 * Endian. Stored copies are read from the blob store one after the other, a few buffers ahead of the
 * client (MultipartSender); a transcoded one is the only instance held in memory.
 *
 * Status (PS3.18 Table 10.4.3-1): 200 when every instance is sent; 206 when some cannot be given in
 * any acceptable syntax (a Warning header says which); 406 when none can; 404 when the target has
 * no instance. Which copies can be transcoded is settled before the first byte from their stored
 * syntax (the imaging library's decoders); should a copy still fail to decode once the answer has
 * begun, its part is left out and the failure logged, the status having gone by then.
 */
export class RetrieveInstancesUseCase {
  constructor(
    private readonly catalog: InstanceCatalog,
    private readonly logger: Logger,
  ) {}

  async execute(target: WadoTarget, accept: string | undefined): Promise<WadoResponse> {
    const singlePartAllowed = target.sopInstanceUid !== undefined;
    const acceptance = acceptedInstanceForms(parseAccept(accept), { singlePartAllowed });
    if (!acceptance) {
      throw new WadoProblem(
        406,
        `Accept ${describeAccept(accept)} names no representation this server has; it sends ${OFFERED}`,
      );
    }
    const refs = await this.catalog.collect(target);
    const { plan, prepared } = await this.plan(refs, acceptance);
    if (plan.length === 0) {
      const stored = [...new Set(refs.map((r) => r.transferSyntaxUid))].join(', ');
      throw new WadoProblem(
        406,
        `the instances (stored in ${stored}) cannot be given in a transfer syntax that Accept ${describeAccept(accept)} allows; this server sends ${OFFERED}`,
      );
    }
    const headers: Record<string, string> = {};
    let status = 200;
    if (plan.length < refs.length) {
      status = 206;
      const sent = new Set(plan.map((p) => p.ref));
      const left = refs.filter((r) => !sent.has(r));
      headers['Warning'] =
        `299 pacs "${left.length} of ${refs.length} instances cannot be given in an acceptable transfer syntax: ${left
          .slice(0, 5)
          .map((r) => `${r.sopInstanceUid} (${r.transferSyntaxUid})`)
          .join(', ')}${left.length > 5 ? ', ...' : ''}"`;
    }

    if (acceptance.singlePart) {
      const [{ ref, delivery }] = plan as [Planned];
      const body = prepared.get(ref.sopInstanceUid) ?? (await this.catalog.open(ref));
      return {
        status,
        headers: {
          ...headers,
          'Content-Type': `application/dicom; transfer-syntax=${delivery.transferSyntaxUid}`,
          'Content-Length': String(Buffer.isBuffer(body) ? body.length : ref.blob.size),
        },
        body,
      };
    }
    const writer = multipartBody('application/dicom', this.parts(plan, prepared, target), (error) =>
      this.logger.warn(
        { err: error, tenantId: target.tenantId, studyInstanceUid: target.studyInstanceUid },
        'WADO-RS retrieve cut short',
      ),
    );
    return { status, headers: { ...headers, 'Content-Type': writer.contentType }, body: writer };
  }

  // Chooses each instance's syntax: transcoding is planned only for stored syntaxes the imaging
  // library decodes. The first instance is prepared before answering, so that a copy that does not
  // transcode after all still changes the status (and an instance resource gets its 406).
  private async plan(
    refs: readonly InstanceRef[],
    acceptance: InstanceAcceptance,
  ): Promise<{ plan: Planned[]; prepared: Map<string, Buffer> }> {
    const choose = (ref: InstanceRef, canTranscode = canDecodeTransferSyntax(ref.transferSyntaxUid)) => {
      const delivery = chooseDelivery(acceptance, ref.transferSyntaxUid, canTranscode);
      return delivery ? [{ ref, delivery }] : [];
    };
    const plan: Planned[] = refs.flatMap((ref) => choose(ref));
    const prepared = new Map<string, Buffer>();
    while (plan[0]?.delivery.transcode) {
      const { ref } = plan[0];
      try {
        prepared.set(ref.sopInstanceUid, await transcodeToExplicitVrLittleEndian(await this.catalog.read(ref)));
        break;
      } catch (error) {
        if (!isUnsupportedPixels(error)) throw error;
        plan.splice(0, 1, ...choose(ref, false));
      }
    }
    return { plan, prepared };
  }

  private async *parts(
    plan: readonly Planned[],
    prepared: Map<string, Buffer>,
    target: WadoTarget,
  ): AsyncIterable<WadoPart> {
    for (const { ref, delivery } of plan) {
      let body: Buffer | undefined = prepared.get(ref.sopInstanceUid);
      prepared.delete(ref.sopInstanceUid);
      if (delivery.transcode && !body) {
        try {
          body = await transcodeToExplicitVrLittleEndian(await this.catalog.read(ref));
        } catch (error) {
          if (!isUnsupportedPixels(error)) throw error;
          this.logger.warn(
            { err: error, tenantId: target.tenantId, sopInstanceUid: ref.sopInstanceUid },
            'WADO-RS instance left out: cannot be transcoded',
          );
          continue;
        }
      }
      yield {
        headers: {
          'Content-Type': `application/dicom; transfer-syntax=${delivery.transferSyntaxUid}`,
          'Content-Length': String(body ? body.length : ref.blob.size),
          'Content-Location': instanceUrl(target.baseUrl, ref),
        },
        body: body ?? (await this.catalog.openForSending(ref)),
      };
    }
  }
}
