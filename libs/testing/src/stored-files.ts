import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { readPart10 } from '@pacs/dicom';

/** Every file under a folder, recursively; none when the folder does not exist (yet). */
export function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

/** The data set bytes of a Part 10 file: what follows its file meta group. */
export function datasetOf(file: Buffer): Buffer {
  const read = readPart10(file);
  if (read.status !== 'complete') throw new Error('incomplete file');
  return file.subarray(read.header.dataSetOffset);
}

/**
 * The complete DICOM files a receiver (storescp) wrote into a folder: SOP Instance UID → data set
 * bytes, and how many files there are. A receiver writes in place: a file it is still writing
 * (empty, cut short, not DICOM yet) is left for the next look.
 */
export function receivedDatasets(dir: string): { bySop: Map<string, Buffer>; files: number } {
  const bySop = new Map<string, Buffer>();
  const files = filesUnder(dir).filter((f) => !f.endsWith('.tmp'));
  for (const file of files) {
    const bytes = readFileSync(file);
    let read: ReturnType<typeof readPart10> | undefined;
    try {
      read = readPart10(bytes);
    } catch {
      read = undefined;
    }
    if (read?.status !== 'complete') continue;
    bySop.set(read.dataset.string('SOPInstanceUID')!, bytes.subarray(read.header.dataSetOffset));
  }
  return { bySop, files: files.length };
}
