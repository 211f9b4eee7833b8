import type { DicomJsonAttribute, DicomJsonDataset, DicomJsonValue } from '@pacs/dicom';

const ABSOLUTE = /^[A-Za-z][A-Za-z0-9+.-]*:/;

function isDataset(value: DicomJsonValue): value is DicomJsonDataset {
  // Items of a sequence are objects keyed by tags; person names are objects keyed by group names.
  return (
    typeof value === 'object' &&
    value !== null &&
    !('Alphabetic' in value || 'Ideographic' in value || 'Phonetic' in value)
  );
}

/**
 * The metadata of an instance with every BulkDataURI made absolute (PS3.18 F.2.6: the URI the
 * client retrieves the value from). The index stores them relative to the instance's URL
 * ("bulkdata/7FE00010", "bulkdata/00540016/0/00181072"); they resolve against
 * `<base>/studies/{s}/series/{se}/instances/{i}/`. Absolute ones are kept. The input is not changed.
 */
export function withAbsoluteBulkDataUris(dataset: DicomJsonDataset, instanceUrl: string): DicomJsonDataset {
  const base = instanceUrl.endsWith('/') ? instanceUrl : `${instanceUrl}/`;
  const visit = (data: DicomJsonDataset): DicomJsonDataset => {
    const out: DicomJsonDataset = {};
    for (const [tag, attribute] of Object.entries(data)) {
      let copy: DicomJsonAttribute = attribute;
      if (attribute.BulkDataURI !== undefined && !ABSOLUTE.test(attribute.BulkDataURI)) {
        copy = { ...attribute, BulkDataURI: new URL(attribute.BulkDataURI, base).href };
      } else if (attribute.vr === 'SQ' && attribute.Value) {
        copy = { ...attribute, Value: attribute.Value.map((item) => (isDataset(item) ? visit(item) : item)) };
      }
      out[tag] = copy;
    }
    return out;
  };
  return visit(dataset);
}
