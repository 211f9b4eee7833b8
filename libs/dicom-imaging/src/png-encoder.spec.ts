import type { DisplayImage } from './display-image';
import { encodePng } from './png-encoder';
import { decodeImages } from './testing/python-tools';
import { readPng } from './testing/png-reader';

function image(width: number, height: number, channels: 1 | 3, seed: number): DisplayImage {
  const pixels = new Uint8Array(width * height * channels);
  let state = seed;
  for (let i = 0; i < pixels.length; i++) {
    // Half smooth gradient (where the filters matter), half noise (where they do not).
    state = (state * 1103515245 + 12345) >>> 0;
    pixels[i] = i % (width * channels) < (width * channels) / 2 ? (i * 3) & 0xff : state >>> 24;
  }
  return { width, height, channels, pixels };
}

describe('encodePng (ISO/IEC 15948)', () => {
  const images = [image(37, 23, 1, 1), image(64, 64, 3, 2), image(1, 1, 1, 3), image(5, 300, 3, 4)];

  it('writes what a strict reader gets back exactly: signature, CRCs, IHDR, filters, IDAT', () => {
    for (const source of images) {
      const png = readPng(encodePng(source));
      expect([png.width, png.height, png.colorType]).toEqual([
        source.width,
        source.height,
        source.channels === 3 ? 2 : 0,
      ]);
      expect(png.pixels.equals(Buffer.from(source.pixels))).toBe(true);
    }
  });

  it('writes what Pillow decodes to the same size, mode and pixels', () => {
    const decoded = decodeImages(images.map(encodePng));
    decoded.forEach((result, i) => {
      if ('error' in result) throw new Error(result.error);
      const source = images[i]!;
      expect([result.format, result.mode, result.width, result.height]).toEqual([
        'PNG',
        source.channels === 3 ? 'RGB' : 'L',
        source.width,
        source.height,
      ]);
      expect(result.pixels.equals(Buffer.from(source.pixels))).toBe(true);
    });
  });

  it('compresses a smooth image far below its raw size (adaptive filters)', () => {
    const width = 256;
    const pixels = new Uint8Array(width * width);
    for (let y = 0; y < width; y++) for (let x = 0; x < width; x++) pixels[y * width + x] = (x + y) >> 1;
    expect(encodePng({ width, height: width, channels: 1, pixels }).length).toBeLessThan(pixels.length / 20);
  });
});
