import { decodeSourceFrames } from './decode-frames';
import { toDisplayImage } from './display-image';
import { encodeJpeg } from './jpeg-encoder';
import { frameIndexes, openPixelSource } from './pixel-source';
import { encodePng } from './png-encoder';
import { checkRenderOptions, type RenderOptions } from './render-options';
import { applyViewport } from './resample';

/**
 * A frame (1-based) rendered as image/jpeg or image/png (PS3.18 8.3.5.1 rendered media types,
 * 8.7.4): decoded (decodeFrames), then the pixel transformations of PS3.4 N.2 for grayscale
 * (Modality LUT from Rescale Slope/Intercept, VOI window from `options.window`, else the data set's
 * first window, else the frame's min/max; MONOCHROME1 inverted), RGB and YBR as color, PALETTE
 * COLOR through its lookup tables; then the viewport (source region, then scaled to fit within
 * vw x vh with the aspect ratio kept); JPEG at `options.quality` (default 90).
 * Throws ImagingError: BAD_RENDER_OPTION for options out of range, and the codes of decodeFrames.
 */
export async function renderFrame(part10: Buffer, frameNumber: number, options: RenderOptions): Promise<Buffer> {
  checkRenderOptions(options);
  const source = openPixelSource(part10);
  const [index] = frameIndexes([frameNumber], source.description.numberOfFrames);
  const [frame] = await decodeSourceFrames(source, [index!]);
  const display = toDisplayImage(frame!, source.dataset, index!, options.window);
  const image = applyViewport(display, options.viewport);
  return options.format === 'image/png' ? encodePng(image) : encodeJpeg(image, options.quality);
}
