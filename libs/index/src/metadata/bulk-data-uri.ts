/** What every BulkDataURI of the recorded metadata starts with. */
export const BULK_DATA_PREFIX = 'bulkdata/';

/**
 * The BulkDataURI the indexer records for a value left out of the metadata: `bulkdata/` and the
 * value's tag path in the data set (BulkDataReference.path of @pacs/dicom): `bulkdata/7FE00010`
 * for Pixel Data, `bulkdata/00540016/0/00181072` for a value in the first item (0-based) of a
 * sequence. Relative to the instance: the gateway serves it at `{instance URL}/bulkdata/{path}`
 * (PS3.18 10.4.1.1.5, Bulkdata Resources) by reading the stored copy down that path, so the URI
 * does not depend on byte offsets, which a new copy of the instance may change.
 */
export function bulkDataUri(path: string): string {
  return `${BULK_DATA_PREFIX}${path}`;
}
