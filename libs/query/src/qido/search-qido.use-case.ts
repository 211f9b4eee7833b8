import type { DicomJsonDataset } from '@pacs/dicom';
import { extraKeyLevels, type MetadataIndex, type SearchLevel } from '@pacs/metadata-index';
import { parseQidoSearch, type QidoPathUids, type QidoSearch } from './parse-qido-search';
import { qidoResult, returnedTags, withMatchingItems } from './qido-results';

/** The answer of a search: its page of results, and whether more matched beyond it. */
export interface QidoAnswer {
  readonly results: readonly DicomJsonDataset[];
  readonly more: boolean;
}

/**
 * QIDO-RS Search (PS3.18 10.6) in one tenant's index: the records of the level within the path's
 * scope that match every key (PS3.4 C.2.2.2 semantics, see MetadataIndex.search), paged with
 * limit and offset, each reduced to its returned attributes with its Retrieve URL under `baseUrl`
 * (the tenant's `/dicomweb` root), a sequence key's sequence to its matching items. A scope that
 * names no stored study or series finds nothing.
 */
export class SearchQidoUseCase {
  constructor(private readonly index: Pick<MetadataIndex, 'search' | 'getExtraAttributes'>) {}

  /**
   * Reads a search of the tenant (parseQidoSearch), whose extra attributes are keys at their level
   * besides the built-in ones. A QueryError names a bad parameter.
   */
  async parse(
    tenantId: string,
    level: SearchLevel,
    path: QidoPathUids,
    params: Iterable<readonly [string, string]>,
  ): Promise<QidoSearch> {
    const { attributes } = await this.index.getExtraAttributes(tenantId);
    return parseQidoSearch(level, path, params, extraKeyLevels(attributes));
  }

  async execute(tenantId: string, search: QidoSearch, baseUrl: string): Promise<QidoAnswer> {
    const { query } = search;
    const { results, more } = await this.index.search(
      tenantId,
      search.level,
      search.scope,
      query.keys,
      { ...(query.limit !== undefined ? { limit: query.limit } : {}), offset: query.offset },
      { fuzzy: query.fuzzy },
    );
    const returned = returnedTags(search);
    return {
      results: results.map((record) =>
        qidoResult(withMatchingItems(record, query.keys, { fuzzy: query.fuzzy }), search.level, returned, baseUrl),
      ),
      more,
    };
  }
}
