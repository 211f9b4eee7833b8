import type { DisplayImage } from './display-image';
import { ImagingError } from './imaging.errors';
import type { RenderViewport } from './render-options';

/** Source pixels and their weights for one output pixel along one axis. */
interface Taps {
  readonly first: number;
  readonly weights: Float64Array;
}

/**
 * The filter taps that map `from` pixels to `to` along an axis. Shrinking averages the source
 * pixels each output pixel covers, weighted by the part covered (area averaging: no aliasing of
 * fine structure such as noise or grid lines); enlarging interpolates linearly between the two
 * nearest source pixel centers.
 */
function taps(from: number, to: number): Taps[] {
  const out: Taps[] = [];
  const scale = to / from;
  for (let x = 0; x < to; x++) {
    if (scale < 1) {
      const start = x / scale;
      const end = (x + 1) / scale;
      const first = Math.floor(start);
      const last = Math.min(from - 1, Math.ceil(end) - 1);
      const weights = new Float64Array(last - first + 1);
      for (let j = first; j <= last; j++) {
        weights[j - first] = (Math.min(end, j + 1) - Math.max(start, j)) / (end - start);
      }
      out.push({ first, weights });
    } else {
      const center = Math.min(from - 1, Math.max(0, (x + 0.5) / scale - 0.5));
      const first = Math.min(Math.floor(center), Math.max(0, from - 2));
      const fraction = center - first;
      out.push(
        from === 1
          ? { first: 0, weights: Float64Array.of(1) }
          : { first, weights: Float64Array.of(1 - fraction, fraction) },
      );
    }
  }
  return out;
}

/** Resizes an image to width x height (separable: columns first, then rows). */
export function resize(image: DisplayImage, width: number, height: number): DisplayImage {
  if (width === image.width && height === image.height) return image;
  const c = image.channels;
  const horizontal = taps(image.width, width);
  const vertical = taps(image.height, height);
  const middle = new Float64Array(width * image.height * c);
  for (let y = 0; y < image.height; y++) {
    for (let x = 0; x < width; x++) {
      const { first, weights } = horizontal[x]!;
      for (let k = 0; k < c; k++) {
        let sum = 0;
        for (let j = 0; j < weights.length; j++)
          sum += weights[j]! * image.pixels[(y * image.width + first + j) * c + k]!;
        middle[(y * width + x) * c + k] = sum;
      }
    }
  }
  const pixels = new Uint8Array(width * height * c);
  for (let y = 0; y < height; y++) {
    const { first, weights } = vertical[y]!;
    for (let x = 0; x < width; x++) {
      for (let k = 0; k < c; k++) {
        let sum = 0;
        for (let j = 0; j < weights.length; j++) sum += weights[j]! * middle[((first + j) * width + x) * c + k]!;
        pixels[(y * width + x) * c + k] = Math.min(255, Math.max(0, Math.round(sum)));
      }
    }
  }
  return { width, height, channels: c, pixels };
}

/** Cuts the region out of an image; BAD_RENDER_OPTION when it does not lie inside it. */
export function crop(image: DisplayImage, region: NonNullable<RenderViewport['region']>): DisplayImage {
  const width = region.width === 0 ? image.width - region.x : region.width;
  const height = region.height === 0 ? image.height - region.y : region.height;
  if (width < 1 || height < 1 || region.x + width > image.width || region.y + height > image.height) {
    throw new ImagingError(
      'BAD_RENDER_OPTION',
      `Query parameter viewport: the source region ${region.x},${region.y} ${width}x${height} is not inside the ${image.width}x${image.height} image`,
      'viewport',
    );
  }
  const c = image.channels;
  const pixels = new Uint8Array(width * height * c);
  for (let y = 0; y < height; y++) {
    const from = ((region.y + y) * image.width + region.x) * c;
    pixels.set(image.pixels.subarray(from, from + width * c), y * width * c);
  }
  return { width, height, channels: c, pixels };
}

/**
 * Applies a viewport (PS3.18 8.3.5.1.3): the source region first, then the scale that makes the
 * image fit within vw x vh with its aspect ratio kept (the image fills one dimension, at least 1
 * pixel in the other).
 */
export function applyViewport(image: DisplayImage, viewport: RenderViewport | undefined): DisplayImage {
  if (!viewport) return image;
  const source = viewport.region ? crop(image, viewport.region) : image;
  const scale = Math.min(viewport.width / source.width, viewport.height / source.height);
  const width = Math.max(1, Math.min(viewport.width, Math.round(source.width * scale)));
  const height = Math.max(1, Math.min(viewport.height, Math.round(source.height * scale)));
  return resize(source, width, height);
}
