import { ImagingError, renderFrame } from '@pacs/dicom-imaging';
import type { Logger } from '@pacs/observability';
import { parseFrameList } from './frame-list';
import { imagingProblem } from './imaging-problem';
import type { InstanceCatalog, InstanceRef } from './instance-catalog';
import { renderedForm, renderRequest, type RenderedFormat, type RenderQuery } from './rendered-negotiation';
import { multipartBody, type WadoPart, type WadoResponse } from './wado-response';
import { WadoProblem } from './wado-problem';
import { describeTarget, instanceUrl, type WadoTarget } from './wado-target';

/** One image to render: an instance and a frame of it, and the URL of the rendering. */
interface RenderItem {
  readonly ref: InstanceRef;
  readonly frame: number;
  readonly location: string;
}

/** Renders items of one request, reading each instance once even when several frames are asked. */
class Renderer {
  private last: { ref: InstanceRef; bytes: Buffer } | undefined;

  constructor(
    private readonly catalog: InstanceCatalog,
    private readonly query: RenderQuery,
    private readonly format: RenderedFormat,
  ) {}

  async render(item: RenderItem): Promise<Buffer> {
    if (this.last?.ref !== item.ref) this.last = { ref: item.ref, bytes: await this.catalog.read(item.ref) };
    return renderFrame(this.last.bytes, item.frame, { ...this.query, format: this.format });
  }

  async renderOrProblem(item: RenderItem): Promise<Buffer> {
    try {
      return await this.render(item);
    } catch (error) {
      throw imagingProblem(error, `instance ${item.ref.sopInstanceUid}`);
    }
  }
}

function lacksPixels(error: unknown): boolean {
  return error instanceof ImagingError && error.code === 'NO_PIXEL_DATA';
}

/**
 * WADO-RS Retrieve Rendered (PS3.18 10.4.1.1.4, rendering as 8.3.5): study, series, instance or
 * frames rendered to image/jpeg or image/png as the Accept header (or `accept` parameter) asks, with
 * the window, viewport and quality parameters of 8.3.5.1.
 * - an instance: its first frame; frames: each frame asked, in order (beyond the last is a 404);
 * - a study or series: the first frame of each instance that has pixel data, in multipart/related
 *   (instances without pixel data, e.g. structured reports, are left out).
 * One image is a single part unless multipart/related was asked; several are always multipart.
 * The first image, and every frame asked of an instance, is rendered before answering, so that a
 * failure is still a status; the images of a study are then rendered one by one as the client reads.
 */
export class RetrieveRenderedUseCase {
  constructor(
    private readonly catalog: InstanceCatalog,
    private readonly logger: Logger,
  ) {}

  async execute(
    target: WadoTarget,
    url: string,
    acceptHeader: string | undefined,
    frameList?: string,
  ): Promise<WadoResponse> {
    const frames = frameList === undefined ? undefined : parseFrameList(frameList);
    const { query, accept } = renderRequest(url, acceptHeader);
    const form = renderedForm(accept);
    const refs = await this.catalog.collect(target);
    const items: RenderItem[] = refs.flatMap((ref) => {
      const base = instanceUrl(target.baseUrl, ref);
      if (frames) return frames.map((frame) => ({ ref, frame, location: `${base}/frames/${frame}/rendered` }));
      return [{ ref, frame: 1, location: `${base}/rendered` }];
    });
    const renderer = new Renderer(this.catalog, query, form.format);

    const ready: { item: RenderItem; image: Buffer }[] = [];
    let pending: readonly RenderItem[];
    if (target.sopInstanceUid !== undefined) {
      for (const item of items) ready.push({ item, image: await renderer.renderOrProblem(item) });
      pending = [];
    } else {
      const index = await this.firstRenderable(items, renderer, target, ready);
      pending = items.slice(index + 1);
    }
    if (!form.multipart && ready.length === 1 && pending.length === 0) {
      const { image } = ready[0]!;
      return {
        status: 200,
        headers: { 'Content-Type': form.format, 'Content-Length': String(image.length) },
        body: image,
      };
    }
    const logger = this.logger;
    const parts = async function* (): AsyncIterable<WadoPart> {
      for (const { item, image } of ready) {
        yield { headers: { 'Content-Type': form.format, 'Content-Location': item.location }, body: image };
      }
      for (const item of pending) {
        let image: Buffer;
        try {
          image = await renderer.render(item);
        } catch (error) {
          if (!(error instanceof ImagingError)) throw error;
          logger.warn(
            { err: error, tenantId: target.tenantId, sopInstanceUid: item.ref.sopInstanceUid },
            'WADO-RS rendered image left out',
          );
          continue;
        }
        yield { headers: { 'Content-Type': form.format, 'Content-Location': item.location }, body: image };
      }
    };
    const writer = multipartBody(form.format, parts(), (error) =>
      logger.warn(
        { err: error, tenantId: target.tenantId, studyInstanceUid: target.studyInstanceUid },
        'WADO-RS rendered cut short',
      ),
    );
    return { status: 200, headers: { 'Content-Type': writer.contentType }, body: writer };
  }

  // A study or series: the first instance with pixel data; its index in `items`.
  private async firstRenderable(
    items: readonly RenderItem[],
    renderer: Renderer,
    target: WadoTarget,
    ready: { item: RenderItem; image: Buffer }[],
  ): Promise<number> {
    for (const [index, item] of items.entries()) {
      try {
        ready.push({ item, image: await renderer.render(item) });
        return index;
      } catch (error) {
        if (lacksPixels(error)) continue;
        throw imagingProblem(error, `instance ${item.ref.sopInstanceUid}`);
      }
    }
    throw new WadoProblem(404, `no instance of ${describeTarget(target)} has pixel data to render`);
  }
}
