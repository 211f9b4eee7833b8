import { transferSyntaxOf } from '@pacs/dicom';
import {
  canDecodeTransferSyntax,
  DECODABLE_ENCAPSULATED_TRANSFER_SYNTAXES,
  frameStartTest,
  isVideoSyntax,
} from './pixel-codecs';

const syntax = (uid: string) => {
  const found = transferSyntaxOf(uid);
  if (!found) throw new Error(uid);
  return found;
};

describe('transfer syntax support', () => {
  it.each([
    ['1.2.840.10008.1.2', true],
    ['1.2.840.10008.1.2.1', true],
    ['1.2.840.10008.1.2.1.99', true],
    ['1.2.840.10008.1.2.2', true],
    ['1.2.840.10008.1.2.5', true],
    ['1.2.840.10008.1.2.4.50', true],
    ['1.2.840.10008.1.2.4.70', true],
    ['1.2.840.10008.1.2.4.81', true],
    ['1.2.840.10008.1.2.4.91', true],
    ['1.2.840.10008.1.2.4.203', true],
    ['1.2.840.10008.1.2.4.55', false], // retired progressive JPEG
    ['1.2.840.10008.1.2.4.100', false], // MPEG-2
    ['1.2.840.10008.1.2.4.94', false], // JPIP
    ['1.2.840.10008.1.2.6.2', false], // XML encoding
    ['1.2.3.4', false],
  ])('decodes %s: %s', (uid, expected) => {
    expect(canDecodeTransferSyntax(uid)).toBe(expected);
  });

  it('lists only encapsulated syntaxes as decodable encapsulated ones', () => {
    expect(DECODABLE_ENCAPSULATED_TRANSFER_SYNTAXES.every((uid) => syntax(uid).encapsulated)).toBe(true);
  });

  it('tells video syntaxes (one stream for all frames) from frame syntaxes', () => {
    expect(
      ['1.2.840.10008.1.2.4.100', '1.2.840.10008.1.2.4.102.1', '1.2.840.10008.1.2.4.108', '1.2.840.10008.1.2.7.1'].map(
        (uid) => isVideoSyntax(syntax(uid)),
      ),
    ).toEqual([true, true, true, true]);
    expect(
      ['1.2.840.10008.1.2.4.50', '1.2.840.10008.1.2.4.90', '1.2.840.10008.1.2.4.110', '1.2.840.10008.1.2.5'].map(
        (uid) => isVideoSyntax(syntax(uid)),
      ),
    ).toEqual([false, false, false, false]);
  });

  it('recognizes the start of a JPEG, JPEG 2000 and JPEG XL bitstream, nothing for RLE', () => {
    const jpeg = frameStartTest(syntax('1.2.840.10008.1.2.4.70'))!;
    expect([jpeg(Buffer.from([0xff, 0xd8, 0xff, 0xc3])), jpeg(Buffer.from([0xd8, 0xff, 0xd8]))]).toEqual([true, false]);
    const j2k = frameStartTest(syntax('1.2.840.10008.1.2.4.91'))!;
    expect([
      j2k(Buffer.from([0xff, 0x4f, 0xff, 0x51, 0])),
      j2k(Buffer.from('0000000c6a5020200d0a870a', 'hex')),
      j2k(Buffer.from([0xff, 0x4f, 0xff, 0x52])),
    ]).toEqual([true, true, false]);
    const jxl = frameStartTest(syntax('1.2.840.10008.1.2.4.110'))!;
    expect([jxl(Buffer.from([0xff, 0x0a, 1])), jxl(Buffer.from([0xff, 0xd8]))]).toEqual([true, false]);
    expect(frameStartTest(syntax('1.2.840.10008.1.2.5'))).toBeUndefined();
  });
});
