import { parseAccept } from './accept-header';
import { acceptedInstanceForms, chooseDelivery, type InstanceAcceptance } from './instance-negotiation';

const EXPLICIT = '1.2.840.10008.1.2.1';
const IMPLICIT = '1.2.840.10008.1.2';
const BIG_ENDIAN = '1.2.840.10008.1.2.2';
const JPEG_BASELINE = '1.2.840.10008.1.2.4.50';
const JPEG_LOSSLESS = '1.2.840.10008.1.2.4.70';
const RLE = '1.2.840.10008.1.2.5';

function acceptance(header: string | undefined, singlePartAllowed = false): InstanceAcceptance {
  const result = acceptedInstanceForms(parseAccept(header), { singlePartAllowed });
  if (!result) throw new Error(`${header} not acceptable`);
  return result;
}

const choose = (header: string | undefined, stored: string, canTranscode = true) =>
  chooseDelivery(acceptance(header), stored, canTranscode);

describe('acceptedInstanceForms', () => {
  it('takes multipart/related application/dicom, its wildcards and, for one instance, application/dicom', () => {
    expect(acceptance('multipart/related; type="application/dicom"').singlePart).toBe(false);
    expect(acceptance('*/*').singlePart).toBe(false);
    expect(acceptance(undefined).acceptable).toEqual([{ transferSyntax: undefined, q: 1 }]);
    expect(acceptance('application/dicom', true).singlePart).toBe(true);
    expect(acceptedInstanceForms(parseAccept('application/dicom'), { singlePartAllowed: false })).toBeUndefined();
    expect(
      acceptedInstanceForms(parseAccept('multipart/related; type="image/jpeg"'), { singlePartAllowed: true }),
    ).toBeUndefined();
    expect(acceptedInstanceForms(parseAccept('application/dicom+json'), { singlePartAllowed: true })).toBeUndefined();
  });

  it('keeps the form of the preferred range and only the ranges of that form', () => {
    const both = acceptance('application/dicom; transfer-syntax=*, multipart/related; type="application/dicom"', true);
    expect(both).toEqual({ singlePart: true, acceptable: [{ transferSyntax: '*', q: 1 }] });
  });
});

describe('chooseDelivery (PS3.18 8.7.3)', () => {
  const asStored = (uid: string) => ({ transferSyntaxUid: uid, transcode: false });
  const transcoded = { transferSyntaxUid: EXPLICIT, transcode: true };
  const any = 'multipart/related; type="application/dicom"; transfer-syntax=*';
  const explicit = `multipart/related; type="application/dicom"; transfer-syntax=${EXPLICIT}`;
  const byDefault = 'multipart/related; type="application/dicom"';

  it('sends a copy as stored for transfer-syntax=*, except the syntaxes the web must not use', () => {
    expect(choose(any, JPEG_LOSSLESS)).toEqual(asStored(JPEG_LOSSLESS));
    expect(choose(any, EXPLICIT)).toEqual(asStored(EXPLICIT));
    expect(choose(any, IMPLICIT)).toEqual(transcoded);
    expect(choose(any, BIG_ENDIAN)).toEqual(transcoded);
  });

  it('uses Explicit VR Little Endian by default, but sends lossy copies as stored (8.7.3.4)', () => {
    expect(choose(byDefault, RLE)).toEqual(transcoded);
    expect(choose(byDefault, IMPLICIT)).toEqual(transcoded);
    expect(choose(byDefault, EXPLICIT)).toEqual(asStored(EXPLICIT));
    expect(choose(byDefault, JPEG_BASELINE)).toEqual(asStored(JPEG_BASELINE));
    expect(choose(byDefault, RLE, false)).toBeUndefined();
  });

  it('transcodes when Explicit VR Little Endian is named, even a lossy copy', () => {
    expect(choose(explicit, JPEG_BASELINE)).toEqual(transcoded);
    expect(choose(explicit, JPEG_BASELINE, false)).toBeUndefined();
  });

  it('sends a named syntax only when stored in it, and never Implicit VR or Big Endian', () => {
    const jpeg = `multipart/related; type="application/dicom"; transfer-syntax=${JPEG_BASELINE}`;
    expect(choose(jpeg, JPEG_BASELINE)).toEqual(asStored(JPEG_BASELINE));
    expect(choose(jpeg, RLE)).toBeUndefined();
    expect(
      choose(`multipart/related; type="application/dicom"; transfer-syntax=${IMPLICIT}`, IMPLICIT),
    ).toBeUndefined();
  });

  it('follows q, and among equal q prefers what needs no transcoding', () => {
    expect(choose(`${explicit}, ${any}`, RLE)).toEqual(asStored(RLE));
    expect(choose(`${explicit};q=0.5, ${any}`, RLE)).toEqual(asStored(RLE));
    expect(choose(`${explicit}, ${any};q=0.5`, RLE)).toEqual(transcoded);
    expect(choose(`${explicit}, ${any}`, RLE, false)).toEqual(asStored(RLE));
  });
});
