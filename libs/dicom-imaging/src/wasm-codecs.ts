import type * as DcmjsCodecs from 'dcmjs-codecs';
import { ImagingError } from './imaging.errors';
import type { PixelDescription } from './pixel-description';

// dcmjs-codecs (MIT) ships one WebAssembly build of the IJG JPEG libraries (8, 12 and 16 bit, as in
// DCMTK), CharLS, OpenJPEG, OpenJPH and libjxl. Only its frame-level NativeCodecs are used: the
// DICOM parsing, frame splitting and pixel layout stay in this library.
type Codecs = typeof DcmjsCodecs;

/** The decoders of the WebAssembly module, by the bitstream they read. */
export type WasmDecoder = 'decodeJpeg' | 'decodeJpegLs' | 'decodeJpeg2000' | 'decodeHtJpeg2000' | 'decodeJpegXl';

let loading: Promise<Codecs> | undefined;

async function instantiate(): Promise<Codecs> {
  const codecs = await import('dcmjs-codecs');
  // The module reports codec messages through this logger too; failures reach callers as errors.
  codecs.log.setLevel('silent');
  await codecs.NativeCodecs.initializeAsync({
    webAssemblyModulePathOrUrl: require.resolve('dcmjs-codecs/build/dcmjs-native-codecs.wasm'),
  });
  return codecs;
}

/** Loads and compiles the WebAssembly codecs once per process (about 50 ms, 4 MB). */
export function loadWasmCodecs(): Promise<Codecs> {
  if (!loading) {
    loading = instantiate().catch((error: unknown) => {
      loading = undefined; // a later call tries again
      throw error;
    });
  }
  return loading;
}

/** What the decoder returned: the samples and the layout it reports. */
export interface WasmDecoded {
  readonly pixels: Buffer;
  readonly photometricInterpretation: string | undefined;
}

/**
 * Decodes one compressed frame with a decoder of the WebAssembly module. The description tells the
 * decoder the expected geometry; no color conversion is asked (the caller decides, PS3.5 8.2).
 * INVALID_PIXEL_DATA, with the decoder's message, when the bitstream does not decode.
 */
export async function decodeWithWasm(
  decoder: WasmDecoder,
  frame: Buffer,
  description: PixelDescription,
): Promise<WasmDecoded> {
  const codecs = await loadWasmCodecs();
  const context = new codecs.Context({
    width: description.columns,
    height: description.rows,
    bitsAllocated: description.bitsAllocated,
    bitsStored: description.bitsStored,
    samplesPerPixel: description.samplesPerPixel,
    pixelRepresentation: description.pixelRepresentation,
    planarConfiguration: description.planarConfiguration,
    photometricInterpretation: description.photometricInterpretation,
    encodedBuffer: new Uint8Array(frame.buffer, frame.byteOffset, frame.length),
  });
  try {
    const decoded = codecs.NativeCodecs[decoder](context, { convertColorspaceToRgb: false });
    const pixels = decoded.getDecodedBuffer();
    if (!pixels) throw new Error('the decoder returned no pixels');
    return {
      pixels: Buffer.from(pixels.buffer, pixels.byteOffset, pixels.length),
      photometricInterpretation: decoded.getPhotometricInterpretation(),
    };
  } catch (error) {
    // The module traps ("unreachable") on some malformed streams and names the fault on others.
    const reason = error instanceof Error ? error.message : String(error);
    throw new ImagingError('INVALID_PIXEL_DATA', `The ${decoder.slice(6)} decoder failed: ${reason}`, undefined, {
      cause: error,
    });
  }
}
