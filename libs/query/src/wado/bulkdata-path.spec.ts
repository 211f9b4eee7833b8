import { readDataset } from '@pacs/dicom';
import { encodeDataset, type TestElement } from '@pacs/dicom/testing';
import { littleEndianValue, locateBulkData, parseBulkDataPath } from './bulkdata-path';
import { WadoProblem } from './wado-problem';

const words = Buffer.from([0x01, 0x02, 0x03, 0x04]); // the two OW words below, little endian

function dataset(syntax: string) {
  const elements: TestElement[] = [
    { tag: 'PatientName', value: 'Doe^Jane' },
    {
      tag: '00540016', // Radiopharmaceutical Information Sequence
      value: [
        [{ tag: 'Radiopharmaceutical', value: 'FDG' }],
        [{ tag: '00181072', vr: 'OB', value: Buffer.from([9, 8, 7, 6]) }],
      ],
    },
    { tag: 'PixelData', vr: 'OW', value: [0x0201, 0x0403] },
  ];
  const read = readDataset(encodeDataset(elements, syntax), { transferSyntax: syntax });
  if (read.status !== 'complete') throw new Error('incomplete');
  return read.dataset;
}

describe('parseBulkDataPath', () => {
  it('reads a tag, or tags and item numbers through sequences', () => {
    expect(parseBulkDataPath('7FE00010')).toEqual([{ tag: 0x7fe00010 }]);
    expect(parseBulkDataPath('00540016/1/00181072')).toEqual([{ tag: 0x00540016 }, { item: 1 }, { tag: 0x00181072 }]);
  });

  it.each(['', '7FE0001', '7FE00010/0', '00540016/x/00181072', 'ZZZZZZZZ', '00540016/-1/00181072'])(
    'answers 400 for "%s"',
    (path) => {
      expect(() => parseBulkDataPath(path)).toThrow(WadoProblem);
    },
  );
});

describe('locateBulkData and littleEndianValue', () => {
  it('finds top-level and nested values, undefined for what is not there', () => {
    const data = dataset('1.2.840.10008.1.2.1');
    const nested = locateBulkData(data, parseBulkDataPath('00540016/1/00181072'));
    expect(littleEndianValue(nested!.dataset, nested!.element)).toEqual(Buffer.from([9, 8, 7, 6]));
    expect(locateBulkData(data, parseBulkDataPath('00540016/2/00181072'))).toBeUndefined();
    expect(locateBulkData(data, parseBulkDataPath('00540016/0/00181072'))).toBeUndefined();
    expect(locateBulkData(data, parseBulkDataPath('00280010'))).toBeUndefined();
  });

  it('gives words of a big endian data set little endian', () => {
    for (const syntax of ['1.2.840.10008.1.2.1', '1.2.840.10008.1.2.2', '1.2.840.10008.1.2']) {
      const data = dataset(syntax);
      const pixels = locateBulkData(data, parseBulkDataPath('7FE00010'))!;
      expect(littleEndianValue(pixels.dataset, pixels.element)).toEqual(words);
    }
  });
});
