import { ImagingError, renderFrame } from '@pacs/dicom-imaging';
import { parseFrameList } from './frame-list';
import { imagingProblem } from './imaging-problem';
import type { InstanceCatalog, InstanceRef } from './instance-catalog';
import { renderedForm, renderRequest } from './rendered-negotiation';
import type { WadoResponse } from './wado-response';
import { WadoProblem } from './wado-problem';
import { describeTarget, type WadoTarget } from './wado-target';

/** The size of a thumbnail when the request gives no viewport (PS3.18 8.3.5.1.3 viewport syntax). */
export const THUMBNAIL_VIEWPORT = '128,128';

/**
 * The instances that may stand for a study or series, best first: the middle instance of each
 * series (in the index's order: series, then instance number), then for a single series the others.
 */
export function representativeCandidates(refs: readonly InstanceRef[]): InstanceRef[] {
  const bySeries = new Map<string, InstanceRef[]>();
  for (const ref of refs) {
    const list = bySeries.get(ref.seriesInstanceUid) ?? [];
    list.push(ref);
    bySeries.set(ref.seriesInstanceUid, list);
  }
  const middles = [...bySeries.values()].map((list) => list[Math.floor((list.length - 1) / 2)]!);
  return [...middles, ...refs.filter((ref) => !middles.includes(ref))];
}

/**
 * WADO-RS Retrieve Thumbnail (PS3.18 10.4.1.1.4 thumbnail resources, rendering as 8.3.5): one small
 * image/jpeg or image/png standing for the study, series, instance or frames. A study or series is
 * shown by the middle instance of its first series with pixel data (an SR has none), an instance by
 * its first frame, a frame list by its first frame. The viewport defaults to 128x128; the window,
 * viewport and quality parameters of 8.3.5.1 apply as for Rendered.
 */
export class RetrieveThumbnailUseCase {
  constructor(private readonly catalog: InstanceCatalog) {}

  async execute(
    target: WadoTarget,
    url: string,
    acceptHeader: string | undefined,
    frameList?: string,
  ): Promise<WadoResponse> {
    const frame = frameList === undefined ? 1 : parseFrameList(frameList)[0]!;
    const { query, accept } = renderRequest(url, acceptHeader, { viewport: THUMBNAIL_VIEWPORT });
    const { format } = renderedForm(accept);
    const refs = await this.catalog.collect(target);
    const candidates = target.sopInstanceUid === undefined ? representativeCandidates(refs) : refs;
    for (const ref of candidates) {
      try {
        const image = await renderFrame(await this.catalog.read(ref), frame, { ...query, format });
        return {
          status: 200,
          headers: { 'Content-Type': format, 'Content-Length': String(image.length) },
          body: image,
        };
      } catch (error) {
        const skip =
          target.sopInstanceUid === undefined && error instanceof ImagingError && error.code === 'NO_PIXEL_DATA';
        if (!skip) throw imagingProblem(error, `instance ${ref.sopInstanceUid}`);
      }
    }
    throw new WadoProblem(404, `no instance of ${describeTarget(target)} has pixel data for a thumbnail`);
  }
}
