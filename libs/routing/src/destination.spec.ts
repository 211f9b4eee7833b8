import { parseDestination, parseDestinations, type Destination } from './destination';

function problemsOf(input: unknown): readonly string[] {
  const result = parseDestinations(input);
  if (result.ok) throw new Error(`expected a refusal, got ${JSON.stringify(result.value)}`);
  return result.error.problems;
}

function valid(input: unknown): Destination[] {
  const result = parseDestinations(input);
  if (!result.ok) throw result.error;
  return result.value;
}

const dimse = { id: 'archive', kind: 'dimse', aeTitle: 'STORESCP', host: 'archive.example.org', port: 11112 };
const dicomweb = { id: 'orthanc', kind: 'dicomweb', stowUrl: 'http://orthanc:8042/dicom-web/studies' };

describe('parseDestinations', () => {
  it('accepts both kinds and fills the defaults', () => {
    expect(valid([dimse, dicomweb])).toEqual([
      { ...dimse, tls: false, maxConcurrency: 4 },
      { ...dicomweb, headers: {}, maxConcurrency: 4 },
    ]);
  });

  it('keeps the optional fields and trims AE titles (padding is not significant, PS3.5 6.2)', () => {
    const [destination] = valid([
      { ...dimse, name: 'Main archive', aeTitle: ' STORESCP ', callingAeTitle: 'PACS', tls: true, maxConcurrency: 16 },
    ]);
    expect(destination).toEqual({
      ...dimse,
      name: 'Main archive',
      aeTitle: 'STORESCP',
      callingAeTitle: 'PACS',
      tls: true,
      maxConcurrency: 16,
    });
  });

  it('accepts IPv4, IPv6 and service names with underscores as hosts', () => {
    for (const host of ['10.0.0.7', '::1', 'fe80::1', 'orthanc_1', 'localhost']) {
      expect(valid([{ ...dimse, host }])[0]).toMatchObject({ host });
    }
  });

  it('accepts an empty list', () => {
    expect(valid([])).toEqual([]);
  });

  it('names a port out of range with the value', () => {
    expect(problemsOf([dimse, { ...dimse, id: 'b', port: 70000 }])).toEqual([
      'destinations[1].port: expected an integer from 1 to 65535 (got 70000)',
    ]);
    expect(problemsOf([{ ...dimse, port: 0 }])).toEqual([
      'destinations[0].port: expected an integer from 1 to 65535 (got 0)',
    ]);
    expect(problemsOf([{ ...dimse, port: '104' }])).toEqual([
      'destinations[0].port: expected an integer from 1 to 65535 (got "104")',
    ]);
    expect(problemsOf([{ ...dimse, port: 104.5 }])).toEqual([
      'destinations[0].port: expected an integer from 1 to 65535 (got 104.5)',
    ]);
  });

  it('names a missing field', () => {
    const { port: _port, ...withoutPort } = dimse;
    expect(problemsOf([withoutPort])).toEqual(['destinations[0].port: missing, expected an integer from 1 to 65535']);
  });

  it.each([
    ['ABCDEFGHIJKLMNOPQ', 'an AE title has at most 16 characters (PS3.5 6.2) (got "ABCDEFGHIJKLMNOPQ")'],
    ['    ', 'an AE title must not be empty nor all spaces (PS3.5 6.2) (got "    ")'],
    ['', 'an AE title must not be empty nor all spaces (PS3.5 6.2) (got "")'],
    [
      'STORE\\SCP',
      'an AE title holds ASCII characters without backslash nor control characters (PS3.5 6.2) (got "STORE\\\\SCP")',
    ],
    [
      'STORE\tSCP',
      'an AE title holds ASCII characters without backslash nor control characters (PS3.5 6.2) (got "STORE\\tSCP")',
    ],
  ])('refuses the AE title %j', (aeTitle, message) => {
    expect(problemsOf([{ ...dimse, aeTitle }])).toEqual([`destinations[0].aeTitle: ${message}`]);
  });

  it('checks the calling AE title as an AE title too', () => {
    expect(problemsOf([{ ...dimse, callingAeTitle: 'A\\B' }])).toEqual([
      'destinations[0].callingAeTitle: an AE title holds ASCII characters without backslash nor control characters (PS3.5 6.2) (got "A\\\\B")',
    ]);
  });

  it('refuses a host that is no host name nor address', () => {
    expect(problemsOf([{ ...dimse, host: 'archive..example' }])).toEqual([
      'destinations[0].host: expected a host name or an IPv4 or IPv6 address (got "archive..example")',
    ]);
    expect(problemsOf([{ ...dimse, host: 'http://archive' }])).toHaveLength(1);
  });

  it('refuses a maxConcurrency outside 1 to 64', () => {
    expect(problemsOf([{ ...dimse, maxConcurrency: 65 }])).toEqual([
      'destinations[0].maxConcurrency: expected an integer from 1 to 64 (got 65)',
    ]);
  });

  it.each([
    ['orthanc/dicom-web/studies', 'expected an absolute http or https URL (got "orthanc/dicom-web/studies")'],
    ['ftp://orthanc/studies', 'expected an http or https URL (got scheme "ftp")'],
    ['https://user:secret@orthanc/studies', 'credentials do not belong in the URL: put them in headers'],
  ])('refuses the STOW-RS URL %j', (stowUrl, message) => {
    expect(problemsOf([{ ...dicomweb, stowUrl }])).toEqual([`destinations[0].stowUrl: ${message}`]);
  });

  it('keeps headers with token names', () => {
    const headers = { Authorization: 'Bearer abc', 'X-Api-Key': 'k' };
    expect(valid([{ ...dicomweb, headers }])[0]).toMatchObject({ headers });
  });

  it('names wrong headers without echoing their values', () => {
    const problems = problemsOf([
      {
        ...dicomweb,
        headers: {
          'Content-Type': 'text/plain',
          'Bad Name': 'x',
          Authorization: 'Bearer s3cret\r\nX: y',
          authorization: 'b',
        },
      },
    ]);
    expect(problems).toEqual([
      'destinations[0].headers["Content-Type"]: this header is set by the STOW-RS sender',
      'destinations[0].headers["Bad Name"]: a header name is an HTTP token (RFC 9110 5.6.2)',
      'destinations[0].headers.Authorization: a header value holds no line breaks nor control characters (RFC 9110 5.5)',
      'destinations[0].headers.authorization: same header as "Authorization" (names ignore case)',
    ]);
    expect(problems.join('\n')).not.toContain('s3cret');
  });

  it('refuses a non-string header value', () => {
    expect(problemsOf([{ ...dicomweb, headers: { 'X-Retries': 3 } }])).toEqual([
      'destinations[0].headers["X-Retries"]: expected a string value',
    ]);
  });

  it('names duplicate ids', () => {
    expect(problemsOf([dimse, dicomweb, { ...dicomweb, id: 'archive' }])).toEqual([
      'destinations[2].id: duplicate id "archive" (also at destinations[0].id)',
    ]);
  });

  it('refuses ids that are not slugs', () => {
    expect(problemsOf([{ ...dimse, id: 'Main_Archive' }])).toEqual([
      'destinations[0].id: expected an id of 1 to 64 characters a-z, 0-9 or "-" (got "Main_Archive")',
    ]);
    expect(problemsOf([{ ...dimse, id: 'a'.repeat(65) }])).toHaveLength(1);
  });

  it('names an unknown kind, unknown fields and fields of the other kind', () => {
    expect(problemsOf([{ ...dimse, kind: 'dimze' }])).toEqual([
      'destinations[0].kind: expected kind "dimse" or "dicomweb" (got "dimze")',
    ]);
    expect(problemsOf([{ ...dimse, aetitle: 'X', stowUrl: 'http://x/studies' }])).toEqual([
      'destinations[0].aetitle: unknown field',
      'destinations[0].stowUrl: unknown field',
    ]);
  });

  it('refuses what is not a list of objects', () => {
    expect(problemsOf({ archive: dimse })).toEqual(['destinations: expected an array of destinations (got an object)']);
    expect(problemsOf(['archive'])).toEqual(['destinations[0]: expected a destination object (got "archive")']);
  });

  it('reports every problem at once', () => {
    expect(
      problemsOf([
        { ...dimse, port: 0, aeTitle: '' },
        { ...dicomweb, stowUrl: 'x' },
      ]),
    ).toHaveLength(3);
  });

  it('carries a stable code, is not retriable, and lists the problems in its message', () => {
    const result = parseDestinations([{ ...dimse, port: 70000 }]);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.code).toBe('INVALID_ROUTING_CONFIG');
    expect(result.error.retriable).toBe(false);
    expect(result.error.message).toContain('destinations[0].port: expected an integer from 1 to 65535 (got 70000)');
  });
});

describe('parseDestination', () => {
  it('validates one destination, named from "destination"', () => {
    expect(parseDestination(dicomweb)).toEqual({ ok: true, value: { ...dicomweb, headers: {}, maxConcurrency: 4 } });
    const refused = parseDestination({ ...dimse, port: -1 });
    expect(refused.ok ? [] : refused.error.problems).toEqual([
      'destination.port: expected an integer from 1 to 65535 (got -1)',
    ]);
  });
});
