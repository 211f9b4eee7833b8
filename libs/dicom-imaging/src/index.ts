export * from './imaging.errors';
export type { PixelDescription } from './pixel-description';
export { canDecodeTransferSyntax, DECODABLE_ENCAPSULATED_TRANSFER_SYNTAXES } from './pixel-codecs';
export { readFrames, type StoredFrames } from './read-frames';
export type { DecodedFrame } from './frame-decoder';
export { decodeFrames } from './decode-frames';
export { transcodeToExplicitVrLittleEndian } from './transcode';
export {
  MAX_VIEWPORT_SIZE,
  parseRenderQuery,
  type RenderOptions,
  type RenderViewport,
  type RenderWindow,
  type SourceRegion,
  type VoiLutFunction,
} from './render-options';
export { renderFrame } from './render-frame';
