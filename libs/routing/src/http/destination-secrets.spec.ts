import { redactDestination, REDACTED, restoreSecrets } from './destination-secrets';

const STORED = {
  id: 'orthanc',
  kind: 'dicomweb',
  stowUrl: 'https://orthanc.example/dicom-web/studies',
  headers: { Authorization: 'Bearer s3cret', 'X-Api-Key': 'k3y' },
  maxConcurrency: 4,
};

describe('redactDestination', () => {
  it('replaces every header value, and nothing else', () => {
    expect(redactDestination(STORED)).toEqual({
      ...STORED,
      headers: { Authorization: REDACTED, 'X-Api-Key': REDACTED },
    });
    expect(STORED.headers.Authorization).toBe('Bearer s3cret');
  });

  it('leaves a destination without headers as it is', () => {
    const dimse = { id: 'pacs', kind: 'dimse', aeTitle: 'PACS', host: 'pacs', port: 104 };
    expect(redactDestination(dimse)).toBe(dimse);
  });

  it('redacts headers of an invalid document too (a wrong kind, a value that is no string)', () => {
    expect(redactDestination({ id: 'x', kind: 'dimze', headers: { Authorization: 42 } })).toEqual({
      id: 'x',
      kind: 'dimze',
      headers: { Authorization: REDACTED },
    });
  });
});

describe('restoreSecrets', () => {
  it('keeps the stored value for each "***", whatever the case of its name', () => {
    const body = { ...STORED, headers: { authorization: REDACTED, 'X-Api-Key': 'new-key', 'X-Other': 'v' } };
    expect(restoreSecrets(body, STORED)).toEqual({
      value: { ...STORED, headers: { authorization: 'Bearer s3cret', 'X-Api-Key': 'new-key', 'X-Other': 'v' } },
      problems: [],
    });
  });

  it('makes a GET-edit-PUT round trip keep the secrets', () => {
    const edited = { ...redactDestination(STORED), maxConcurrency: 8 };
    expect(restoreSecrets(edited, STORED).value).toEqual({ ...STORED, maxConcurrency: 8 });
  });

  it('names a "***" that has no stored value', () => {
    const body = { ...STORED, headers: { Authorization: REDACTED, 'X-Token': REDACTED } };
    expect(restoreSecrets(body, { ...STORED, headers: { Authorization: 'a' } }).problems).toEqual([
      'destination.headers["X-Token"]: "***" keeps the stored value, but the stored destination has no such header: send the value',
    ]);
    expect(restoreSecrets(body, undefined).problems).toHaveLength(2);
  });

  it('passes a body without "***" through untouched, headers removed included', () => {
    const body = { ...STORED, headers: {} };
    expect(restoreSecrets(body, STORED)).toEqual({ value: body, problems: [] });
    const noHeaders = { id: 'orthanc', kind: 'dicomweb', stowUrl: STORED.stowUrl };
    expect(restoreSecrets(noHeaders, STORED).value).toBe(noHeaders);
  });
});
