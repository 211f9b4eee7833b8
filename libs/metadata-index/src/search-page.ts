import type { DicomJsonDataset } from '@pacs/dicom';
import type { SearchOptions, SearchPage, SearchResult } from './metadata-index.port';
import { matchKey } from './query/match-attribute';
import type { QueryKey } from './query/parse-qido-query';

/**
 * The page of a search from the candidate records an adapter narrowed down, in their order: each
 * is checked against every key with matchKey (the reference semantics), `offset` matches
 * are skipped, and at most `limit` (and `maxResults`) returned, with whether more matched.
 */
export async function collectPage(
  candidates: AsyncIterable<DicomJsonDataset> | Iterable<DicomJsonDataset>,
  keys: readonly QueryKey[],
  page: SearchPage,
  options: SearchOptions,
  maxResults: number,
): Promise<SearchResult> {
  const limit = Math.min(page.limit ?? maxResults, maxResults);
  const offset = page.offset ?? 0;
  const results: DicomJsonDataset[] = [];
  let skipped = 0;
  for await (const record of candidates) {
    if (!keys.every((key) => matchKey(key, record, options))) continue;
    if (skipped < offset) {
      skipped += 1;
      continue;
    }
    if (results.length === limit) return { results, more: true };
    results.push(record);
  }
  return { results, more: false };
}
