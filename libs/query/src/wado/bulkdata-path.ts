import { binaryValueSize, elementBytes, parseTag, type DicomDataset, type DicomElement, type Tag } from '@pacs/dicom';
import { WadoProblem } from './wado-problem';

/** A step of a bulk data path: an element of the current data set, or an item of its sequence. */
export type BulkDataStep = { readonly tag: Tag } | { readonly item: number };

/**
 * Parses the path after `bulkdata/` in a BulkDataURI as the indexer writes them: a tag
 * ("7FE00010"), or tags and 0-based item numbers through sequences ("00540016/0/00181072").
 * Anything else is a 400 naming the bad segment.
 */
export function parseBulkDataPath(path: string): BulkDataStep[] {
  const segments = path.split('/');
  const bad = (why: string) => new WadoProblem(400, `bulk data path "${path}": ${why}`);
  if (segments.length % 2 === 0) throw bad('it must end with a tag (tag[/item/tag]...)');
  return segments.map((segment, index): BulkDataStep => {
    if (index % 2 === 1) {
      if (!/^(0|[1-9][0-9]{0,8})$/.test(segment)) throw bad(`"${segment}" is not an item number (from 0)`);
      return { item: Number(segment) };
    }
    const tag = /^[0-9A-Fa-f]{8}$/.test(segment) ? parseTag(segment) : undefined;
    if (tag === undefined) throw bad(`"${segment}" is not a tag of 8 hexadecimal digits`);
    return { tag };
  });
}

/** The element a path leads to, with the data set that holds it; undefined when absent. */
export function locateBulkData(
  dataset: DicomDataset,
  steps: readonly BulkDataStep[],
): { readonly dataset: DicomDataset; readonly element: DicomElement } | undefined {
  let current = dataset;
  let element: DicomElement | undefined;
  for (const step of steps) {
    if ('tag' in step) {
      element = current.elements.get(step.tag);
      if (!element) return undefined;
    } else {
      const item = element?.items?.[step.item];
      if (!item) return undefined;
      current = item;
      element = undefined;
    }
  }
  return element ? { dataset: current, element } : undefined;
}

/**
 * The value's bytes as bulk data carries them: Little Endian (PS3.18 8.7.3.3.1), so the words of a
 * big endian data set are swapped (a copy; the stored bytes are untouched).
 */
export function littleEndianValue(dataset: DicomDataset, element: DicomElement): Buffer {
  const bytes = elementBytes(dataset, element);
  const size = binaryValueSize(element.vr);
  if (dataset.encoding.littleEndian || size <= 1 || bytes.length % size !== 0) return bytes;
  const swapped = Buffer.from(bytes);
  if (size === 2) swapped.swap16();
  else if (size === 4) swapped.swap32();
  else swapped.swap64();
  return swapped;
}
