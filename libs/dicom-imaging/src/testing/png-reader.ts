import { crc32, inflateSync } from 'node:zlib';

/** A PNG as read back: size, color type and 8-bit samples row by row. */
export interface PngImage {
  readonly width: number;
  readonly height: number;
  readonly colorType: number;
  readonly pixels: Buffer;
}

const SIGNATURE = '89504e470d0a1a0a';

/**
 * A minimal PNG reader for tests (8-bit gray and RGB, no interlace): checks the signature, each
 * chunk's CRC and the chunk order, inflates IDAT and undoes the five filters of PNG 9.2.
 */
export function readPng(png: Buffer): PngImage {
  if (png.subarray(0, 8).toString('hex') !== SIGNATURE) throw new Error('not a PNG signature');
  let p = 8;
  let header: Buffer | undefined;
  const data: Buffer[] = [];
  let ended = false;
  while (p < png.length) {
    const length = png.readUInt32BE(p);
    const type = png.toString('latin1', p + 4, p + 8);
    const body = png.subarray(p + 8, p + 8 + length);
    if (png.readUInt32BE(p + 8 + length) !== crc32(png.subarray(p + 4, p + 8 + length))) {
      throw new Error(`bad CRC in ${type}`);
    }
    if (type === 'IHDR') header = body;
    else if (type === 'IDAT') data.push(body);
    else if (type === 'IEND') ended = true;
    p += 12 + length;
  }
  if (!header || !ended || data.length === 0) throw new Error('IHDR, IDAT or IEND missing');
  const width = header.readUInt32BE(0);
  const height = header.readUInt32BE(4);
  const [depth, colorType, , , interlace] = header.subarray(8);
  if (depth !== 8 || (colorType !== 0 && colorType !== 2) || interlace !== 0) throw new Error('unsupported PNG');
  const bpp = colorType === 2 ? 3 : 1;
  const stride = width * bpp;
  const raw = inflateSync(Buffer.concat(data));
  if (raw.length !== (stride + 1) * height) throw new Error(`IDAT inflates to ${raw.length} bytes`);
  const pixels = Buffer.alloc(stride * height);
  for (let y = 0; y < height; y++) {
    const type = raw[y * (stride + 1)]!;
    for (let x = 0; x < stride; x++) {
      const a = x >= bpp ? pixels[y * stride + x - bpp]! : 0;
      const b = y > 0 ? pixels[(y - 1) * stride + x]! : 0;
      const c = x >= bpp && y > 0 ? pixels[(y - 1) * stride + x - bpp]! : 0;
      const pa = Math.abs(b - c);
      const pb = Math.abs(a - c);
      const pc = Math.abs(a + b - 2 * c);
      const predictor = [0, a, b, (a + b) >> 1, pa <= pb && pa <= pc ? a : pb <= pc ? b : c][type];
      if (predictor === undefined) throw new Error(`filter type ${type}`);
      pixels[y * stride + x] = (raw[y * (stride + 1) + 1 + x]! + predictor) & 0xff;
    }
  }
  return { width, height, colorType, pixels };
}
