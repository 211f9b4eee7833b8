import type { DicomDataset } from '@pacs/dicom';
import { ImagingError } from './imaging.errors';

/** The three Palette Color Lookup Tables as 8-bit tables (PS3.3 C.7.6.3.1.5, C.7.6.3.1.6). */
export interface Palette {
  /** The stored value that maps to the first entry. */
  readonly firstMapped: number;
  readonly red: Uint8Array;
  readonly green: Uint8Array;
  readonly blue: Uint8Array;
}

const COLORS = ['Red', 'Green', 'Blue'] as const;

function readTable(dataset: DicomDataset, color: (typeof COLORS)[number]): { firstMapped: number; table: Uint8Array } {
  const descriptor = dataset.numbers(`${color}PaletteColorLookupTableDescriptor`);
  const data = dataset.bytesOf(`${color}PaletteColorLookupTableData`);
  if (descriptor.length < 3 || !data) {
    const segmented = dataset.has(`Segmented${color}PaletteColorLookupTableData`);
    throw new ImagingError(
      'UNSUPPORTED_PIXEL_FORMAT',
      segmented
        ? 'Segmented Palette Color Lookup Tables are not supported'
        : `PALETTE COLOR without ${color} Palette Color Lookup Table Descriptor and Data`,
    );
  }
  // Number of entries: 0 stands for 65536 (C.7.6.3.1.5); read as SS it may have come out negative.
  const entries = descriptor[0]! <= 0 ? descriptor[0]! + 65536 : descriptor[0]!;
  const firstMapped = descriptor[1]!;
  const bits = descriptor[2]!;
  const le = dataset.encoding.littleEndian;
  const table = new Uint8Array(entries);
  if (data.length >= entries * 2) {
    const words = Array.from({ length: entries }, (_, i) => (le ? data.readUInt16LE(i * 2) : data.readUInt16BE(i * 2)));
    // 8-bit entries in 16-bit words: in the low byte, or (some writers) in the high byte.
    const shift = bits === 8 && words.every((word) => word <= 0xff) ? 0 : 8;
    words.forEach((word, i) => (table[i] = word >> shift));
  } else if (bits === 8 && data.length >= entries) {
    table.set(data.subarray(0, entries));
  } else {
    throw new ImagingError(
      'UNSUPPORTED_PIXEL_FORMAT',
      `${color} Palette Color Lookup Table Data holds ${data.length} bytes for ${entries} entries of ${bits} bits`,
    );
  }
  return { firstMapped, table };
}

/** Reads the palette of a PALETTE COLOR image; UNSUPPORTED_PIXEL_FORMAT when it is absent or segmented. */
export function readPalette(dataset: DicomDataset): Palette {
  const [red, green, blue] = COLORS.map((color) => readTable(dataset, color)) as [
    ReturnType<typeof readTable>,
    ReturnType<typeof readTable>,
    ReturnType<typeof readTable>,
  ];
  return { firstMapped: red.firstMapped, red: red.table, green: green.table, blue: blue.table };
}

/**
 * Maps one stored value to RGB into `out` at `at`: values below the first mapped one take the
 * first entry, values past the last entry the last (C.7.6.3.1.5).
 */
export function paletteLookup(palette: Palette, value: number, out: Uint8Array, at: number): void {
  const pick = (table: Uint8Array): number => {
    const index = value - palette.firstMapped;
    return table[index < 0 ? 0 : index >= table.length ? table.length - 1 : index]!;
  };
  out[at] = pick(palette.red);
  out[at + 1] = pick(palette.green);
  out[at + 2] = pick(palette.blue);
}
