import { decodeFrames } from './decode-frames';
import { differences, joinedSamples } from './testing/pixel-compare';
import { patternPixels, syntheticImageFile, type SyntheticImage } from './testing/synthetic-images';
import { loadWasmCodecs } from './wasm-codecs';

// JPEG 2000, HTJ2K and JPEG XL files with no DICOM writer at hand here: frames encoded losslessly
// with the encoders of the same WebAssembly module, wrapped in DICOM by the test builder. The codec
// is the module's; what this checks is this library's side: frame splitting, sample layout, sign,
// color after decoding, 8- and 16-bit words.

type Encoder = 'encodeJpeg2000' | 'encodeHtJpeg2000' | 'encodeJpegXl';

const IMAGES: Readonly<Record<string, SyntheticImage>> = {
  '16-bit signed gray': { rows: 20, columns: 30, frames: 2, bitsAllocated: 16, signed: true },
  '12-bit unsigned gray': { rows: 17, columns: 23, frames: 2, bitsAllocated: 16, bitsStored: 12 },
  '8-bit gray': { rows: 32, columns: 32, frames: 2, bitsAllocated: 8 },
  '8-bit RGB': { rows: 24, columns: 40, frames: 2, bitsAllocated: 8, samplesPerPixel: 3 },
};

async function encodeFrames(
  encoder: Encoder,
  image: SyntheticImage,
  parameters: Record<string, unknown>,
): Promise<Buffer[]> {
  const codecs = await loadWasmCodecs();
  const all = patternPixels(image);
  const frames = image.frames ?? 1;
  const size = all.length / frames;
  return Array.from({ length: frames }, (_, i) => {
    const context = new codecs.Context({
      width: image.columns,
      height: image.rows,
      bitsAllocated: image.bitsAllocated ?? 16,
      bitsStored: image.bitsStored ?? image.bitsAllocated ?? 16,
      samplesPerPixel: image.samplesPerPixel ?? 1,
      pixelRepresentation: image.signed ? 1 : 0,
      planarConfiguration: 0,
      photometricInterpretation: (image.samplesPerPixel ?? 1) === 3 ? 'RGB' : 'MONOCHROME2',
      decodedBuffer: new Uint8Array(all.subarray(i * size, (i + 1) * size)),
    });
    const encoded = codecs.NativeCodecs[encoder](context, { lossy: false, ...parameters }).getEncodedBuffer()!;
    const bytes = Buffer.from(encoded);
    return bytes.length % 2 === 0 ? bytes : Buffer.concat([bytes, Buffer.alloc(1)]);
  });
}

describe.each([
  ['JPEG 2000 lossless', 'encodeJpeg2000', '1.2.840.10008.1.2.4.90', {}],
  ['HTJ2K lossless', 'encodeHtJpeg2000', '1.2.840.10008.1.2.4.201', {}],
  ['HTJ2K lossless RPCL', 'encodeHtJpeg2000', '1.2.840.10008.1.2.4.202', { progressionOrder: 2 }],
  ['JPEG XL lossless', 'encodeJpegXl', '1.2.840.10008.1.2.4.110', {}],
] as const)('%s', (_name, encoder, uid, parameters) => {
  it.each(Object.keys(IMAGES))('decodes %s frames to the pixels encoded', async (key) => {
    const image = IMAGES[key]!;
    const color = (image.samplesPerPixel ?? 1) === 3;
    // A reversible color transform makes the photometric interpretation YBR_RCT (PS3.5 8.2.4).
    const photometric = color && encoder !== 'encodeJpegXl' ? 'YBR_RCT' : undefined;
    const file = syntheticImageFile({
      ...image,
      transferSyntaxUid: uid,
      photometricInterpretation: photometric,
      fragments: [Buffer.alloc(0), ...(await encodeFrames(encoder, image, parameters))],
    });
    const decoded = await decodeFrames(file);
    expect(decoded).toHaveLength(2);
    expect(decoded[0]!.photometricInterpretation).toBe(color ? 'RGB' : 'MONOCHROME2');
    const original = await decodeFrames(syntheticImageFile(image));
    expect(differences(joinedSamples(decoded), joinedSamples(original)).max).toBe(0);
  });
});
