import { coversMediaType, parseAccept } from './accept-header';
import { WadoProblem } from './wado-problem';

describe('parseAccept', () => {
  it('reads multipart/related with its type and transfer-syntax, quoted or not', () => {
    expect(parseAccept('multipart/related; type="application/dicom"; transfer-syntax=1.2.840.10008.1.2.4.50')).toEqual([
      { mediaType: 'multipart/related', partType: 'application/dicom', transferSyntax: '1.2.840.10008.1.2.4.50', q: 1 },
    ]);
    expect(parseAccept('multipart/related; type=application/dicom; transfer-syntax=*')[0]).toMatchObject({
      partType: 'application/dicom',
      transferSyntax: '*',
    });
  });

  it('takes a transfer-syntax written inside the type parameter', () => {
    expect(
      parseAccept('multipart/related; type="application/dicom; transfer-syntax=1.2.840.10008.1.2.1"')[0],
    ).toMatchObject({
      partType: 'application/dicom',
      transferSyntax: '1.2.840.10008.1.2.1',
    });
  });

  it('orders by q, keeps the given order among equals, and drops q=0', () => {
    const ranges = parseAccept('image/png;q=0.5, image/jpeg, application/dicom;q=0, image/gif;q=0.5');
    expect(ranges.map((r) => r.mediaType)).toEqual(['image/jpeg', 'image/png', 'image/gif']);
  });

  it('does not split on commas inside quotes, and maps the x- aliases', () => {
    const ranges = parseAccept('multipart/related; type="image/x-jls"; boundary="a,b", image/jpeg');
    expect(ranges.map((r) => [r.mediaType, r.partType])).toEqual([
      ['multipart/related', 'image/jls'],
      ['image/jpeg', undefined],
    ]);
  });

  it('reads an absent or empty header as */*', () => {
    expect(parseAccept(undefined)).toEqual([
      { mediaType: '*/*', partType: undefined, transferSyntax: undefined, q: 1 },
    ]);
    expect(parseAccept(' ')[0]!.mediaType).toBe('*/*');
  });

  it('answers 400 naming a malformed range, a bad q or a bad transfer syntax', () => {
    const fault = (header: string) => {
      try {
        parseAccept(header);
      } catch (error) {
        expect(error).toBeInstanceOf(WadoProblem);
        return `${(error as WadoProblem).status} ${(error as WadoProblem).detail}`;
      }
      throw new Error(`${header} was accepted`);
    };
    expect(fault('application')).toMatch(/^400 Accept: "application" is not a media range/);
    expect(fault('image/jpeg;q=2')).toMatch(/^400 Accept: q=2 of "image\/jpeg;q=2"/);
    expect(fault('multipart/related; transfer-syntax=jpeg')).toMatch(/^400 Accept: transfer-syntax="jpeg"/);
  });
});

describe('coversMediaType', () => {
  it('matches exactly, by */* and by type/*', () => {
    expect(coversMediaType('image/jpeg', 'image/jpeg')).toBe(true);
    expect(coversMediaType('image/*', 'image/png')).toBe(true);
    expect(coversMediaType('*/*', 'application/dicom')).toBe(true);
    expect(coversMediaType(undefined, 'application/dicom')).toBe(true);
    expect(coversMediaType('image/*', 'application/octet-stream')).toBe(false);
    expect(coversMediaType('image/png', 'image/jpeg')).toBe(false);
  });
});
