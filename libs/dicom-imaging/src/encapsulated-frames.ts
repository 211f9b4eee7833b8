import type { ByteRange } from '@pacs/dicom';
import { ImagingError } from './imaging.errors';
import { frameStartTest, isVideoSyntax } from './pixel-codecs';
import type { PixelSource } from './pixel-source';

/** The fragments of one frame, and its exact length when an Extended Offset Table gives it. */
interface FrameFragments {
  readonly fragments: readonly ByteRange[];
  readonly length?: number;
}

const ITEM_HEADER = 8;

/**
 * Offsets of the Item Tag of each fragment after the Basic Offset Table, relative to the first of
 * them: what the Basic and Extended Offset Tables point at (PS3.5 A.4, PS3.3 C.7.6.3.1.8).
 */
function itemOffsets(fragments: readonly ByteRange[]): Map<number, number> {
  const byOffset = new Map<number, number>();
  const base = fragments[0]!.offset - ITEM_HEADER;
  fragments.forEach((fragment, index) => byOffset.set(fragment.offset - ITEM_HEADER - base, index));
  return byOffset;
}

/**
 * Groups fragments by frame starting at the given item offsets; undefined when an offset is not
 * the start of a fragment or the offsets do not ascend (a wrong table: the caller falls back).
 */
function groupByOffsets(fragments: readonly ByteRange[], offsets: readonly number[]): ByteRange[][] | undefined {
  const byOffset = itemOffsets(fragments);
  const starts: number[] = [];
  for (const offset of offsets) {
    const index = byOffset.get(offset);
    if (index === undefined || (starts.length > 0 && index <= starts[starts.length - 1]!)) return undefined;
    starts.push(index);
  }
  if (starts[0] !== 0) return undefined;
  return starts.map((start, i) => fragments.slice(start, starts[i + 1] ?? fragments.length));
}

function basicOffsetTable(source: PixelSource, table: ByteRange): number[] {
  const bytes = source.dataset.bytes;
  const offsets: number[] = [];
  for (let p = table.offset; p + 4 <= table.offset + table.length; p += 4) offsets.push(bytes.readUInt32LE(p));
  return offsets;
}

/**
 * Splits the fragments of encapsulated Pixel Data into frames (PS3.5 A.4):
 * 1. the Extended Offset Table (7FE0,0001) with its lengths (7FE0,0002), when present;
 * 2. the Basic Offset Table (the first item), when it has one offset per frame;
 * 3. without a usable table: one frame takes every fragment; as many fragments as frames are one
 *    frame each; otherwise a frame starts at each fragment that opens with its codec's start
 *    marker (every frame starts a new fragment, PS3.5 A.4).
 * INVALID_PIXEL_DATA when none of these gives Number of Frames frames.
 */
function splitFrames(source: PixelSource): FrameFragments[] {
  const { dataset, pixelData, description, transferSyntax } = source;
  const all = pixelData.fragments!;
  const frameCount = description.numberOfFrames;
  if (all.length === 0) throw new ImagingError('INVALID_PIXEL_DATA', 'Encapsulated Pixel Data has no items');
  const table = all[0]!;
  const fragments = all.slice(1);
  if (!fragments.some((fragment) => fragment.length > 0))
    throw new ImagingError('INVALID_PIXEL_DATA', 'Encapsulated Pixel Data has no fragments');

  const extended = dataset.numbers('ExtendedOffsetTable');
  if (extended.length > 0) {
    const lengths = dataset.numbers('ExtendedOffsetTableLengths');
    const groups = extended.length === frameCount ? groupByOffsets(fragments, extended) : undefined;
    if (!groups) {
      throw new ImagingError(
        'INVALID_PIXEL_DATA',
        `The Extended Offset Table (${extended.length} offsets) does not point at ${frameCount} frames' fragments`,
      );
    }
    return groups.map((group, i) => ({ fragments: group, length: lengths[i] }));
  }

  if (table.length > 0) {
    const groups = groupByOffsets(fragments, basicOffsetTable(source, table));
    if (groups && groups.length === frameCount) return groups.map((group) => ({ fragments: group }));
  }
  // Empty fragments carry nothing and start nothing (some writers leave one at the end).
  const filled = fragments.filter((fragment) => fragment.length > 0);
  if (frameCount === 1) return [{ fragments: filled }];
  if (filled.length === frameCount) return filled.map((fragment) => ({ fragments: [fragment] }));

  const startsFrame = frameStartTest(transferSyntax);
  if (startsFrame) {
    const groups: ByteRange[][] = [];
    for (const fragment of filled) {
      const bytes = dataset.bytes.subarray(fragment.offset, fragment.offset + fragment.length);
      if (groups.length === 0 || startsFrame(bytes)) groups.push([fragment]);
      else groups[groups.length - 1]!.push(fragment);
    }
    if (groups.length === frameCount) return groups.map((group) => ({ fragments: group }));
  }
  throw new ImagingError(
    'INVALID_PIXEL_DATA',
    `Cannot tell which of ${filled.length} fragments make up each of ${frameCount} frames: no usable offset table`,
  );
}

function concatenate(source: PixelSource, frame: FrameFragments): Buffer {
  const bytes = source.dataset.bytes;
  const parts = frame.fragments.map((f) => bytes.subarray(f.offset, f.offset + f.length));
  const joined = parts.length === 1 ? parts[0]! : Buffer.concat(parts);
  // The Extended Offset Table Lengths give the frame without the padding byte of an odd frame.
  return frame.length !== undefined && frame.length <= joined.length ? joined.subarray(0, frame.length) : joined;
}

/**
 * The compressed bitstream of each frame asked for (0-based indexes), fragments of a frame joined.
 * A frame in one fragment is a view into the input. UNSUPPORTED_TRANSFER_SYNTAX for video syntaxes,
 * whose bitstream does not split into frames.
 */
export function encapsulatedFrames(source: PixelSource, indexes: readonly number[]): Buffer[] {
  if (isVideoSyntax(source.transferSyntax)) {
    throw new ImagingError(
      'UNSUPPORTED_TRANSFER_SYNTAX',
      `${source.transferSyntax.name} (${source.transferSyntax.uid}) is a video stream, not separate frames`,
    );
  }
  const frames = splitFrames(source);
  return indexes.map((index) => concatenate(source, frames[index]!));
}
