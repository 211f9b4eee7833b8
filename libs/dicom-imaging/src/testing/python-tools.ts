import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// Debian's interpreter, the one that sees python3-pydicom, python3-numpy and python3-pil.
const PYTHON = '/usr/bin/python3';
const SCRIPTS = join(__dirname, '..', '..', 'scripts');

/** What pydicom (or DCMTK, then pydicom) decodes from one file (scripts/pixel-reference.py). */
export interface PixelReference {
  readonly route: string;
  /** numpy dtype without byte order: u1, i1, u2, i2, u4, i4. */
  readonly dtype: string;
  readonly shape: readonly number[];
  readonly photometric: string;
  /** The array, little endian, C order (frames, rows, columns, samples). */
  readonly pixels: Buffer;
}

/** Pillow's reading of an image file (scripts/decode-image.py). */
export interface DecodedImage {
  readonly format: string;
  readonly mode: string;
  readonly width: number;
  readonly height: number;
  /** Row by row, one byte a sample. */
  readonly pixels: Buffer;
}

function run<T extends { raw?: string }>(
  script: string,
  inputs: readonly string[],
  folder: string,
): Map<string, T | { error: string }> {
  if (!existsSync(PYTHON)) throw new Error(`${PYTHON} is missing: install python3-pydicom, python3-numpy, python3-pil`);
  const output = execFileSync(PYTHON, [join(SCRIPTS, script), folder, ...inputs], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  const parsed = JSON.parse(output) as Record<string, T | { error: string }>;
  const error = (parsed as Record<string, unknown>)['__error__'];
  if (typeof error === 'string') throw new Error(error);
  return new Map(Object.entries(parsed));
}

function inFolder<T>(body: (folder: string) => T): T {
  const folder = mkdtempSync(join(tmpdir(), 'dicom-imaging-'));
  try {
    return body(folder);
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

/** The reference pixels of each file, or the reason pydicom and DCMTK could not decode it. */
export function pixelReference(paths: readonly string[]): Map<string, PixelReference | { error: string }> {
  return inFolder((folder) => {
    const entries = run<Omit<PixelReference, 'pixels'> & { raw: string }>('pixel-reference.py', paths, folder);
    const out = new Map<string, PixelReference | { error: string }>();
    for (const [path, entry] of entries) {
      out.set(path, 'error' in entry ? entry : { ...entry, pixels: readFileSync(entry.raw) });
    }
    return out;
  });
}

/** Pillow's decoding of image bytes (PNG, JPEG), in the order given. */
export function decodeImages(images: readonly Buffer[]): (DecodedImage | { error: string })[] {
  return inFolder((folder) => {
    const paths = images.map((image, i) => {
      const path = join(folder, `image-${i}`);
      writeFileSync(path, image);
      return path;
    });
    const entries = run<Omit<DecodedImage, 'pixels'> & { raw: string }>('decode-image.py', paths, folder);
    return paths.map((path) => {
      const entry = entries.get(path) ?? { error: 'not decoded' };
      return 'error' in entry ? entry : { ...entry, pixels: readFileSync(entry.raw) };
    });
  });
}

/** Pillow's decoding of one image; throws with Pillow's reason when it refuses it. */
export function decodeImage(image: Buffer): DecodedImage {
  const [decoded] = decodeImages([image]);
  if (!decoded || 'error' in decoded) throw new Error(`Pillow cannot decode the image: ${decoded?.error}`);
  return decoded;
}
