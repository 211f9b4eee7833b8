import type { DicomJsonDataset } from '@pacs/dicom';
import { withAbsoluteBulkDataUris } from './bulkdata-uri';

describe('withAbsoluteBulkDataUris (PS3.18 F.2.6)', () => {
  const instance = 'http://pacs:8080/tenants/onc/dicomweb/studies/1.2/series/1.3/instances/1.4';

  it('resolves relative URIs against the instance URL, in sequences too, without changing the input', () => {
    const metadata: DicomJsonDataset = {
      '00100010': { vr: 'PN', Value: [{ Alphabetic: 'Doe^Jane' }] },
      '7FE00010': { vr: 'OW', BulkDataURI: 'bulkdata/7FE00010' },
      '00540016': {
        vr: 'SQ',
        Value: [{ '00181072': { vr: 'OB', BulkDataURI: 'bulkdata/00540016/0/00181072' } }],
      },
      '00091010': { vr: 'OB', BulkDataURI: 'https://elsewhere/x' },
    };
    const copy = JSON.parse(JSON.stringify(metadata)) as DicomJsonDataset;
    const out = withAbsoluteBulkDataUris(metadata, instance);
    expect(out['7FE00010']!.BulkDataURI).toBe(`${instance}/bulkdata/7FE00010`);
    const item = out['00540016']!.Value![0] as DicomJsonDataset;
    expect(item['00181072']!.BulkDataURI).toBe(`${instance}/bulkdata/00540016/0/00181072`);
    expect(out['00091010']!.BulkDataURI).toBe('https://elsewhere/x');
    expect(out['00100010']).toEqual(metadata['00100010']);
    expect(metadata).toEqual(copy);
  });
});
