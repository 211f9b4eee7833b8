import { encode } from 'jpeg-js';
import type { DisplayImage } from './display-image';

/** JPEG quality when the request gives none (PS3.18 8.3.5.1.2 leaves it to the origin server). */
export const DEFAULT_JPEG_QUALITY = 90;

/**
 * Encodes 8-bit gray or RGB pixels as a baseline JFIF JPEG (ISO 10918-1) with jpeg-js (BSD-3-Clause,
 * pure JavaScript). jpeg-js takes RGBA and writes three YCbCr components, gray images included.
 */
export function encodeJpeg(image: DisplayImage, quality = DEFAULT_JPEG_QUALITY): Buffer {
  const { width, height, channels, pixels } = image;
  const rgba = Buffer.alloc(width * height * 4, 0xff);
  for (let i = 0, j = 0; i < width * height; i++, j += channels) {
    rgba[i * 4] = pixels[j]!;
    rgba[i * 4 + 1] = pixels[channels === 1 ? j : j + 1]!;
    rgba[i * 4 + 2] = pixels[channels === 1 ? j : j + 2]!;
  }
  return encode({ data: rgba, width, height }, quality).data;
}
