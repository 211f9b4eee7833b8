import { formatContentType, parseContentType, parseMultipartRelated } from './content-type';
import { generateBoundary } from './multipart-boundary';
import { isMultipartError, type MultipartErrorCode } from './multipart.errors';

function codeOf(run: () => unknown): MultipartErrorCode | undefined {
  try {
    run();
    return undefined;
  } catch (error) {
    if (!isMultipartError(error)) throw error;
    return error.code;
  }
}

describe('parseContentType', () => {
  it('parses a STOW-RS Content-Type', () => {
    const parsed = parseContentType(
      'Multipart/Related; Type="application/dicom"; BOUNDARY=abc123; start="<root@x>"; transfer-syntax=1.2.840.10008.1.2.1',
    );
    expect(parsed.mediaType).toBe('multipart/related');
    expect(parsed.type).toBe('application/dicom');
    expect(parsed.boundary).toBe('abc123');
    expect(parsed.start).toBe('<root@x>');
    expect(parsed.transferSyntax).toBe('1.2.840.10008.1.2.1');
    expect([...parsed.parameters.keys()]).toEqual(['type', 'boundary', 'start', 'transfer-syntax']);
  });

  it('unquotes quoted values with escapes and special characters', () => {
    expect(parseContentType(`multipart/related; boundary="a'()+_,-./:=? b"`).boundary).toBe("a'()+_,-./:=? b");
    expect(parseContentType('a/b; x="say \\"hi\\" \\\\ ;="; y=z').parameters).toEqual(
      new Map([
        ['x', 'say "hi" \\ ;='],
        ['y', 'z'],
      ]),
    );
    expect(parseContentType('a/b; x=""').parameters.get('x')).toBe('');
  });

  it('takes unquoted media types in the type parameter, empty parameters and whitespace', () => {
    const parsed = parseContentType('  multipart/related ;type=application/dicom;; boundary = xyz ;  ');
    expect(parsed.type).toBe('application/dicom');
    expect(parsed.boundary).toBe('xyz');
  });

  it('names what is malformed', () => {
    const cases: [string, string][] = [
      ['', 'expected a media type'],
      ['multipart', 'expected "/"'],
      ['multipart/', 'expected a subtype'],
      ['multipart/related boundary=x', 'unexpected "b"'],
      ['multipart/related; =x', 'expected a parameter name'],
      ['multipart/related; boundary', 'parameter "boundary" has no "="'],
      ['multipart/related; boundary=', 'parameter "boundary" has an empty or invalid value'],
      ['multipart/related; boundary="abc', 'quoted value of parameter "boundary" is not closed'],
      ['multipart/related; boundary="a\u0001"', 'control character'],
      ['multipart/related; boundary=a; Boundary=b', 'parameter "boundary" is given twice'],
    ];
    for (const [header, message] of cases) {
      expect(() => parseContentType(header)).toThrow(message);
      expect(codeOf(() => parseContentType(header))).toBe('MALFORMED_CONTENT_TYPE');
    }
  });
});

describe('parseMultipartRelated', () => {
  it('returns the boundary and the root type', () => {
    const parsed = parseMultipartRelated('multipart/related; type="application/dicom"; boundary="x y"', {
      types: ['application/dicom'],
    });
    expect(parsed.boundary).toBe('x y');
    expect(parsed.type).toBe('application/dicom');
  });

  it('answers 415 for a missing or wrong media type, or a root type the service does not take', () => {
    const types = ['application/dicom'];
    for (const header of [undefined, '', 'application/dicom', 'multipart/form-data; boundary=x']) {
      expect(codeOf(() => parseMultipartRelated(header, { types }))).toBe('UNSUPPORTED_MEDIA_TYPE');
    }
    expect(
      codeOf(() => parseMultipartRelated('multipart/related; type="application/dicom+json"; boundary=x', { types })),
    ).toBe('UNSUPPORTED_MEDIA_TYPE');
    // Case and parameters inside `type` do not matter; a missing `type` is the service's call.
    expect(
      parseMultipartRelated(
        'multipart/related; type="Application/DICOM; transfer-syntax=1.2.840.10008.1.2"; boundary=x',
        { types },
      ).boundary,
    ).toBe('x');
    expect(parseMultipartRelated('multipart/related; boundary=x', { types }).type).toBeUndefined();
  });

  it('answers 400 for a missing or invalid boundary', () => {
    expect(codeOf(() => parseMultipartRelated('multipart/related; type="application/dicom"'))).toBe('MISSING_BOUNDARY');
    expect(codeOf(() => parseMultipartRelated('multipart/related; boundary=""'))).toBe('INVALID_BOUNDARY');
    expect(codeOf(() => parseMultipartRelated(`multipart/related; boundary=${'b'.repeat(71)}`))).toBe(
      'INVALID_BOUNDARY',
    );
    expect(codeOf(() => parseMultipartRelated('multipart/related; boundary="ends with space "'))).toBe(
      'INVALID_BOUNDARY',
    );
    expect(codeOf(() => parseMultipartRelated('multipart/related; boundary="tab\there"'))).toBe('INVALID_BOUNDARY');
    expect(codeOf(() => parseMultipartRelated('multipart/related; boundary="with#hash*"'))).toBeUndefined();
    try {
      parseMultipartRelated('multipart/related; type=application/dicom');
    } catch (error) {
      expect(error).toMatchObject({ httpStatus: 400, retriable: false, message: expect.stringContaining('boundary') });
    }
  });
});

describe('formatContentType', () => {
  it('quotes values that are not tokens and round-trips through the parser', () => {
    const boundary = generateBoundary();
    const header = formatContentType('multipart/related', { type: 'application/dicom', boundary, note: 'a "b" \\c' });
    expect(header).toBe(`multipart/related; type="application/dicom"; boundary=${boundary}; note="a \\"b\\" \\\\c"`);
    const parsed = parseContentType(header);
    expect(parsed.parameters.get('note')).toBe('a "b" \\c');
    expect(parsed.boundary).toBe(boundary);
  });

  it('refuses parameter names that are not tokens and values with control characters', () => {
    expect(() => formatContentType('a/b', { 'bad name': 'x' })).toThrow(TypeError);
    expect(() => formatContentType('a/b', { x: 'line\r\nbreak' })).toThrow(TypeError);
  });
});

describe('generateBoundary', () => {
  it('is random, at most 70 characters, and needs no quoting', () => {
    const a = generateBoundary();
    expect(a).not.toBe(generateBoundary());
    expect(a.length).toBeLessThanOrEqual(70);
    expect(a).toMatch(/^[A-Za-z0-9_-]+$/);
  });
});
