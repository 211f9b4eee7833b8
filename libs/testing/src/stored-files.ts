import { existsSync, readdirSync, statSync } from 'node:fs';
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
