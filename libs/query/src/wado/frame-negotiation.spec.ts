import { parseAccept } from './accept-header';
import { acceptedFrameForms } from './frame-negotiation';

const EXPLICIT = '1.2.840.10008.1.2.1';
const IMPLICIT = '1.2.840.10008.1.2';
const JPEG_BASELINE = '1.2.840.10008.1.2.4.50';
const RLE = '1.2.840.10008.1.2.5';
const JPEG_LS = '1.2.840.10008.1.2.4.80';

const forms = (header: string | undefined, stored: string, singlePartAllowed = false) =>
  acceptedFrameForms(parseAccept(header), stored, { singlePartAllowed });
const first = (header: string | undefined, stored: string, singlePartAllowed = false) =>
  forms(header, stored, singlePartAllowed)?.representations[0];

describe('acceptedFrameForms (PS3.18 8.7.3.3)', () => {
  const octet = { mediaType: 'application/octet-stream', transferSyntaxUid: EXPLICIT };

  it('sends native frames as application/octet-stream in Explicit VR Little Endian', () => {
    expect(first('multipart/related; type="application/octet-stream"', IMPLICIT)).toEqual({
      ...octet,
      source: 'stored',
    });
    expect(first('multipart/related; type="application/octet-stream"; transfer-syntax=*', EXPLICIT)).toEqual({
      ...octet,
      source: 'stored',
    });
    expect(forms('multipart/related; type="image/jpeg"', EXPLICIT)).toBeUndefined();
  });

  it('decodes encapsulated frames for application/octet-stream, sends them as stored for * or their own type', () => {
    expect(first('multipart/related; type="application/octet-stream"', RLE)).toEqual({ ...octet, source: 'decoded' });
    expect(first('multipart/related; type="application/octet-stream"; transfer-syntax=*', JPEG_BASELINE)).toEqual({
      mediaType: 'image/jpeg',
      transferSyntaxUid: JPEG_BASELINE,
      source: 'stored',
    });
    expect(first('multipart/related; type="image/jpeg"', JPEG_BASELINE)).toEqual({
      mediaType: 'image/jpeg',
      transferSyntaxUid: JPEG_BASELINE,
      source: 'stored',
    });
    expect(first('multipart/related; type="image/x-jls"', JPEG_LS)?.mediaType).toBe('image/jls');
    expect(forms('multipart/related; type="image/jp2"', JPEG_BASELINE)).toBeUndefined();
  });

  it('lists every acceptable representation, best first, for a fallback when decoding fails', () => {
    const accept =
      'multipart/related; type="application/octet-stream", multipart/related; type="image/dicom-rle";q=0.5';
    expect(forms(accept, RLE)?.representations).toEqual([
      { ...octet, source: 'decoded' },
      { mediaType: 'image/dicom-rle', transferSyntaxUid: RLE, source: 'stored' },
    ]);
    expect(forms('*/*', RLE)?.representations.map((r) => r.source)).toEqual(['stored', 'decoded']);
  });

  it('allows a single part only when asked and allowed (one frame)', () => {
    expect(forms('image/jpeg', JPEG_BASELINE, true)?.singlePart).toBe(true);
    expect(forms('image/jpeg', JPEG_BASELINE, false)).toBeUndefined();
    expect(forms('application/octet-stream', EXPLICIT, true)).toMatchObject({ singlePart: true });
  });
});
