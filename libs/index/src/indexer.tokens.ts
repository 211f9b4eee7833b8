/** Injection token of the indexer's settings (IndexerConfig of @pacs/config). */
export const INDEXER_CONFIG = Symbol('INDEXER_CONFIG');
