import { readFileSync } from 'node:fs';
import { decode as decodeJpegJs } from 'jpeg-js';
import { pydicomPath } from '@pacs/dicom/testing';
import { decodeFrames } from './decode-frames';
import { ImagingError } from './imaging.errors';
import { jpegFrameHeader } from './jpeg-markers';
import type { RenderOptions } from './render-options';
import { renderFrame } from './render-frame';
import { renderWithDcmtk } from './testing/dcmtk';
import { readPng } from './testing/png-reader';
import { decodeImage, decodeImages } from './testing/python-tools';
import { syntheticImageFile } from './testing/synthetic-images';

const corpus = (name: string): Buffer => readFileSync(pydicomPath(`test_files/${name}`));
const PNG: RenderOptions = { format: 'image/png' };

/** A 16-bit signed CT-like image whose stored values are given, rescaled to HU with intercept -1024. */
function ctFile(
  values: readonly number[],
  columns: number,
  extra: Parameters<typeof syntheticImageFile>[0]['elements'] = [],
): Buffer {
  const pixels = Buffer.alloc(values.length * 2);
  values.forEach((value, i) => pixels.writeInt16LE(value, i * 2));
  return syntheticImageFile({
    rows: values.length / columns,
    columns,
    bitsAllocated: 16,
    signed: true,
    pixels,
    elements: [
      ...[
        { tag: 'RescaleIntercept', value: '-1024' },
        { tag: 'RescaleSlope', value: '1' },
      ].filter((element) => !extra?.some((e) => e.tag === element.tag)),
      ...(extra ?? []),
    ],
  });
}

async function renderedGray(file: Buffer, options: RenderOptions = PNG, frame = 1): Promise<number[]> {
  const png = readPng(await renderFrame(file, frame, options));
  expect(png.colorType).toBe(0);
  return [...png.pixels];
}

async function failure(promise: Promise<unknown>): Promise<ImagingError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ImagingError) return error;
    throw error;
  }
  throw new Error('no failure');
}

// Stored values for HU -1000 (air), -160, -159, 40, 240, 241, 1000 with intercept -1024.
const HU = [-1000, -160, -159, 40, 240, 241, 1000, 3000];
const STORED = HU.map((hu) => hu + 1024);

describe('renderFrame: grayscale (PS3.4 N.2, PS3.3 C.11)', () => {
  it('applies Rescale Intercept and a LINEAR window: c=40.5, w=401 spans HU -160..240 (C.11.2.1.2.1)', async () => {
    // c - 0.5 - (w-1)/2 = -160 and c - 0.5 + (w-1)/2 = 240
    const gray = await renderedGray(ctFile(STORED, 4), { ...PNG, window: { center: 40.5, width: 401 } });
    // -1000 and -160 at the bottom; -159 just above (0.6375 rounds to 1); 40 at c - 0.5: half way
    // (127.5 rounds to 128); 240 and above at the top.
    expect(gray).toEqual([0, 0, 1, 128, 255, 255, 255, 255]);
  });

  it("takes the data set's first window when the request has none", async () => {
    const file = ctFile(STORED, 4, [
      { tag: 'WindowCenter', value: ['40.5', '500'] },
      { tag: 'WindowWidth', value: ['401', '2000'] },
    ]);
    expect(await renderedGray(file)).toEqual([0, 0, 1, 128, 255, 255, 255, 255]);
  });

  it('maps the frame minimum to 0 and maximum to 255 without any window', async () => {
    const gray = await renderedGray(ctFile(STORED, 4));
    expect(gray[0]).toBe(0);
    expect(gray[7]).toBe(255);
    expect(gray).toEqual([...gray].sort((a, b) => a - b));
  });

  it('inverts MONOCHROME1 after the window (low values bright, PS3.3 C.7.6.3.1.2)', async () => {
    const mono1 = ctFile(STORED, 4, [{ tag: 'PhotometricInterpretation', value: 'MONOCHROME1' }]);
    const window = { center: 40.5, width: 401 };
    const inverted = await renderedGray(mono1, { ...PNG, window });
    expect(inverted).toEqual([255, 255, 254, 127, 0, 0, 0, 0]);
  });

  it('applies Rescale Slope before the window', async () => {
    // slope 2, intercept 0: stored 20 is 40, at c - 0.5 of c=40.5; 90 is 180
    const pixels = [0, 20, 90];
    const file = ctFile(pixels, 3, [
      { tag: 'RescaleSlope', value: '2' },
      { tag: 'RescaleIntercept', value: '0' },
    ]);
    expect(await renderedGray(file, { ...PNG, window: { center: 40.5, width: 401 } })).toEqual([
      Math.round(((0 - 40) / 400 + 0.5) * 255),
      128,
      Math.round(((180 - 40) / 400 + 0.5) * 255),
    ]);
  });

  it('masks the bits above Bits Stored and sign-extends from it (12 of 16 bits)', async () => {
    // 0xF800 is -2048 in 12 bits with junk (overlay-like) bits above; 0x07FF is 2047.
    const pixels = Buffer.alloc(6);
    [0xf800, 0x0000, 0x77ff].forEach((value, i) => pixels.writeUInt16LE(value, i * 2));
    const file = syntheticImageFile({ rows: 1, columns: 3, bitsAllocated: 16, bitsStored: 12, signed: true, pixels });
    expect(await renderedGray(file)).toEqual([0, 128, 255]);
  });

  it.each([
    ['CT_small.dcm: window 40/400', 'CT_small.dcm', { center: 40, width: 400 }, ['+Ww', '40', '400'], 1],
    [
      'CT_small.dcm: SIGMOID 40/400',
      'CT_small.dcm',
      { center: 40, width: 400, function: 'SIGMOID' },
      ['+Ww', '40', '400', '+Wfs'],
      1,
    ],
    ['CT_small.dcm: min/max', 'CT_small.dcm', undefined, ['+Wm'], 1],
    ['MR_small.dcm: window of the file', 'MR_small.dcm', undefined, ['+Wi', '1'], 1],
    ['MR_small_RLE.dcm: window of the file', 'MR_small_RLE.dcm', undefined, ['+Wi', '1'], 1],
    ['CR MONOCHROME1 with slope 0.684', 'dicomdirtests/77654033/CR3/6278', undefined, ['+Wi', '1'], 1],
    ['rtdose.dcm frame 5 of 15, 32 bits: min/max', 'rtdose.dcm', undefined, ['+Wm', '+F', '5'], 5],
    ['JPEG-lossy.dcm 12 bits: min/max', 'JPEG-lossy.dcm', undefined, ['+Wm'], 1],
    ['liver_1frame.dcm 1 bit: min/max', 'liver_1frame.dcm', undefined, ['+Wm'], 1],
  ] as const)('renders %s as DCMTK does (within 1)', async (_name, file, window, args, frame) => {
    const dicom = corpus(file);
    const ours = readPng(await renderFrame(dicom, frame, { ...PNG, window }));
    const dcmtk = renderWithDcmtk(dicom, args);
    expect([ours.width, ours.height]).toEqual([dcmtk.width, dcmtk.height]);
    let max = 0;
    for (let i = 0; i < ours.pixels.length; i++) max = Math.max(max, Math.abs(ours.pixels[i]! - dcmtk.pixels[i]!));
    expect(max).toBeLessThanOrEqual(1);
    expect(new Set(ours.pixels).size).toBeGreaterThan(1); // not a blank image
  });
});

describe('renderFrame: color', () => {
  it.each(['SC_rgb_rle.dcm', 'SC_rgb_rle_16bit.dcm', 'SC_ybr_full_422_uncompressed.dcm', 'SC_rgb_jpeg_dcmtk.dcm'])(
    'renders %s as RGB as DCMTK does (within 1)',
    async (name) => {
      const ours = readPng(await renderFrame(corpus(name), 1, PNG));
      const dcmtk = renderWithDcmtk(corpus(name), []);
      expect([ours.colorType, dcmtk.channels]).toEqual([2, 3]);
      let max = 0;
      for (let i = 0; i < ours.pixels.length; i++) max = Math.max(max, Math.abs(ours.pixels[i]! - dcmtk.pixels[i]!));
      expect(max).toBeLessThanOrEqual(1);
    },
  );

  it('renders 8-bit RGB pixels exactly as decoded, ignoring a window', async () => {
    const file = corpus('SC_rgb_rle.dcm');
    const [decoded] = await decodeFrames(file);
    const png = readPng(await renderFrame(file, 1, { ...PNG, window: { center: 10, width: 2 } }));
    expect(png.pixels.equals(decoded!.pixels)).toBe(true);
  });

  it('looks PALETTE COLOR up in its 16-bit tables, clamping below the first mapped value', async () => {
    const entries = 200;
    const firstMapped = 10;
    const table = (f: (i: number) => number): Buffer => {
      const out = Buffer.alloc(entries * 2);
      for (let i = 0; i < entries; i++) out.writeUInt16LE(f(i) * 257, i * 2);
      return out;
    };
    const red = (i: number): number => i;
    const green = (i: number): number => 255 - i;
    const blue = (i: number): number => (i * 7) % 256;
    const stored = [0, 10, 11, 100, 209, 250]; // below, first, ..., last entry, past the end
    const file = syntheticImageFile({
      rows: 2,
      columns: 3,
      bitsAllocated: 8,
      photometricInterpretation: 'PALETTE COLOR',
      pixels: Buffer.from(stored),
      elements: [
        { tag: 'RedPaletteColorLookupTableDescriptor', vr: 'US', value: [entries, firstMapped, 16] },
        { tag: 'GreenPaletteColorLookupTableDescriptor', vr: 'US', value: [entries, firstMapped, 16] },
        { tag: 'BluePaletteColorLookupTableDescriptor', vr: 'US', value: [entries, firstMapped, 16] },
        { tag: 'RedPaletteColorLookupTableData', vr: 'OW', value: table(red) },
        { tag: 'GreenPaletteColorLookupTableData', vr: 'OW', value: table(green) },
        { tag: 'BluePaletteColorLookupTableData', vr: 'OW', value: table(blue) },
      ],
    });
    const png = readPng(await renderFrame(file, 1, PNG));
    expect(png.colorType).toBe(2);
    const expected = stored.flatMap((value) => {
      const index = Math.min(entries - 1, Math.max(0, value - firstMapped));
      return [red(index), green(index), blue(index)];
    });
    expect([...png.pixels]).toEqual(expected);
  });

  it('refuses PALETTE COLOR without its tables', async () => {
    const file = syntheticImageFile({
      rows: 1,
      columns: 1,
      bitsAllocated: 8,
      photometricInterpretation: 'PALETTE COLOR',
    });
    const error = await failure(renderFrame(file, 1, PNG));
    expect(error.code).toBe('UNSUPPORTED_PIXEL_FORMAT');
    expect(error.message).toMatch(/without Red Palette Color Lookup Table/);
  });
});

describe('renderFrame: viewport (PS3.18 8.3.5.1.3)', () => {
  it.each([
    ['CT_small.dcm', 64, 32, 32, 32],
    ['CT_small.dcm', 512, 512, 512, 512],
    ['JPEG-lossy.dcm', 100, 100, 25, 100], // 256 wide, 1024 high
    ['JPEG-lossy.dcm', 1000, 100, 25, 100],
    ['dicomdirtests/77654033/CR3/6278', 50, 64, 50, 50], // 16 x 16 enlarged
  ])('fits %s within %ix%i keeping its aspect ratio: %ix%i', async (name, vw, vh, width, height) => {
    const png = readPng(await renderFrame(corpus(name), 1, { ...PNG, viewport: { width: vw, height: vh } }));
    expect([png.width, png.height]).toEqual([width, height]);
  });

  it('averages the pixels each output pixel covers when shrinking (2x: 2x2 blocks)', async () => {
    const file = corpus('CT_small.dcm');
    const full = readPng(await renderFrame(file, 1, PNG));
    const half = readPng(await renderFrame(file, 1, { ...PNG, viewport: { width: 64, height: 64 } }));
    for (let y = 0; y < 64; y++) {
      for (let x = 0; x < 64; x++) {
        const at = (yy: number, xx: number): number => full.pixels[yy * 128 + xx]!;
        const mean = (at(2 * y, 2 * x) + at(2 * y, 2 * x + 1) + at(2 * y + 1, 2 * x) + at(2 * y + 1, 2 * x + 1)) / 4;
        expect(Math.abs(half.pixels[y * 64 + x]! - mean)).toBeLessThanOrEqual(0.5);
      }
    }
  });

  it('cuts the source region out first: sx,sy,sw,sh at scale 1 is the same pixels', async () => {
    const file = corpus('CT_small.dcm');
    const full = readPng(await renderFrame(file, 1, PNG));
    const region = readPng(
      await renderFrame(file, 1, {
        ...PNG,
        viewport: { width: 40, height: 30, region: { x: 10, y: 20, width: 40, height: 30 } },
      }),
    );
    expect([region.width, region.height]).toEqual([40, 30]);
    for (let y = 0; y < 30; y++) {
      expect(
        region.pixels
          .subarray(y * 40, (y + 1) * 40)
          .equals(full.pixels.subarray((20 + y) * 128 + 10, (20 + y) * 128 + 50)),
      ).toBe(true);
    }
  });

  it('refuses a source region outside the image, naming the viewport parameter', async () => {
    const error = await failure(
      renderFrame(corpus('CT_small.dcm'), 1, {
        ...PNG,
        viewport: { width: 10, height: 10, region: { x: 100, y: 0, width: 50, height: 10 } },
      }),
    );
    expect([error.code, error.parameter]).toEqual(['BAD_RENDER_OPTION', 'viewport']);
    expect(error.message).toMatch(/not inside the 128x128 image/);
  });
});

describe('renderFrame: JPEG', () => {
  it('writes a baseline JPEG of the right size that jpeg-js and Pillow decode to the PNG rendering', async () => {
    const file = corpus('CT_small.dcm');
    const options = { viewport: { width: 100, height: 100 }, window: { center: 40, width: 400 } };
    const jpeg = await renderFrame(file, 1, { format: 'image/jpeg', quality: 95, ...options });
    const png = readPng(await renderFrame(file, 1, { format: 'image/png', ...options }));
    expect(jpegFrameHeader(jpeg)).toMatchObject({ marker: 0xc0, precision: 8, rows: 100, columns: 100 });
    const byJpegJs = decodeJpegJs(jpeg, { useTArray: true });
    expect([byJpegJs.width, byJpegJs.height]).toEqual([100, 100]);
    const byPillow = decodeImage(jpeg);
    expect([byPillow.format, byPillow.width, byPillow.height]).toEqual(['JPEG', 100, 100]);
    // Gray rendered as three equal components: compare the luminance with the PNG.
    const rgb = byPillow.mode === 'RGB' ? 3 : 1;
    let sum = 0;
    for (let i = 0; i < png.pixels.length; i++) sum += Math.abs(byPillow.pixels[i * rgb]! - png.pixels[i]!);
    expect(sum / png.pixels.length).toBeLessThan(2);
  });

  it('writes smaller files at lower quality (1-100)', async () => {
    const file = corpus('MR_small.dcm');
    const sizes = await Promise.all(
      [5, 50, 100].map((quality) => renderFrame(file, 1, { format: 'image/jpeg', quality })),
    );
    expect(sizes[0]!.length).toBeLessThan(sizes[1]!.length);
    expect(sizes[1]!.length).toBeLessThan(sizes[2]!.length);
  });

  it('renders color as color JPEG', async () => {
    const jpeg = await renderFrame(corpus('SC_rgb_rle.dcm'), 1, { format: 'image/jpeg' });
    const [decoded] = decodeImages([jpeg]);
    if (!decoded || 'error' in decoded) throw new Error('not decoded');
    expect([decoded.mode, decoded.width, decoded.height]).toEqual(['RGB', 100, 100]);
    // The first row of SC_rgb_rle is pure red.
    expect([...decoded.pixels.subarray(0, 3)].map((v) => Math.round(v / 16))).toEqual([16, 0, 0]);
  });
});

describe('renderFrame: bad input', () => {
  it('NO_PIXEL_DATA for an instance without Pixel Data', async () => {
    expect((await failure(renderFrame(corpus('rtplan.dcm'), 1, PNG))).code).toBe('NO_PIXEL_DATA');
  });

  it.each([0, 16, 2.5])('FRAME_OUT_OF_RANGE for frame %s of a 15-frame instance', async (frame) => {
    const error = await failure(renderFrame(corpus('rtdose.dcm'), frame, PNG));
    expect(error.code).toBe('FRAME_OUT_OF_RANGE');
    expect(error.message).toContain(`Frame ${frame} is out of range`);
  });

  it.each([
    [{ ...PNG, quality: 0 }, 'quality'],
    [{ format: 'image/jpeg', quality: 101 }, 'quality'],
    [{ ...PNG, window: { center: 40, width: 0 } }, 'window'],
    [{ ...PNG, window: { center: Number.NaN, width: 10 } }, 'window'],
    [{ ...PNG, viewport: { width: 0, height: 10 } }, 'viewport'],
    [{ format: 'image/gif' }, 'accept'],
  ] as [RenderOptions, string][])('BAD_RENDER_OPTION for options given in code: %j', async (options, parameter) => {
    const error = await failure(renderFrame(corpus('CT_small.dcm'), 1, options));
    expect([error.code, error.parameter]).toEqual(['BAD_RENDER_OPTION', parameter]);
  });
});
