import { checkJsonObject } from './json-value';
import { checkJobPage, checkScope, encodeJobCursor, instantOf } from './routing-store-arguments';
import { RoutingStoreError } from './routing-store.errors';

const fieldOf = (check: () => unknown) => {
  try {
    check();
  } catch (error) {
    if (error instanceof RoutingStoreError && error.code === 'INVALID_ARGUMENT' && !error.retriable) return error.field;
    throw error;
  }
  return undefined;
};

describe('routing store arguments', () => {
  it('normalizes instants so that they compare as strings, refusing the ones without a zone', () => {
    expect(instantOf('now', '2024-05-01T12:00+02:00')).toBe('2024-05-01T10:00:00.000Z');
    expect(instantOf('now', '2024-05-01T10:00:00.123456Z')).toBe('2024-05-01T10:00:00.123Z');
    for (const bad of ['2024-05-01', '2024-05-01T10:00:00', '2024-02-30T10:00:00Z', 1714557600000, null]) {
      expect(fieldOf(() => instantOf('now', bad))).toBe('now');
    }
  });

  it('takes JSON objects only, naming the path of the first value JSON cannot hold', () => {
    expect(checkJsonObject('doc', { a: [1, 'x', null, true, { b: -0.5 }] })).toBeDefined();
    expect(fieldOf(() => checkJsonObject('doc', { a: [1, { b: Infinity }] }))).toBe('doc.a[1].b');
    expect(fieldOf(() => checkJsonObject('doc', { a: new Map() }))).toBe('doc.a');
    expect(fieldOf(() => checkJsonObject('doc', { a: BigInt(1) }))).toBe('doc.a');
    expect(fieldOf(() => checkJsonObject('doc', []))).toBe('doc');
    let deep: Record<string, unknown> = {};
    const top = deep;
    for (let i = 0; i < 40; i++) deep = (deep['x'] = {}) as Record<string, unknown>;
    expect(fieldOf(() => checkJsonObject('doc', top))).toMatch(/^doc(\.x)+$/);
  });

  it('takes a scope as a study, a series of it, or an instance of that series', () => {
    expect(checkScope('s', { studyInstanceUid: '1.2', seriesInstanceUid: '1.2.3', extra: 1 })).toEqual({
      studyInstanceUid: '1.2',
      seriesInstanceUid: '1.2.3',
    });
    expect(fieldOf(() => checkScope('s', { seriesInstanceUid: '1.2.3' }))).toBe('s.studyInstanceUid');
    expect(fieldOf(() => checkScope('s', { studyInstanceUid: '1.2', sopInstanceUid: '1.2.3.4' }))).toBe(
      's.sopInstanceUid',
    );
  });

  it('reads back the cursors it writes, and refuses any other', () => {
    const after = encodeJobCursor({ createdAt: '2024-05-01T10:00:00.000Z', jobId: 'job-1' });
    expect(checkJobPage({ limit: 5, after })).toEqual({
      limit: 5,
      after: { createdAt: '2024-05-01T10:00:00.000Z', jobId: 'job-1' },
    });
    const forged = Buffer.from(JSON.stringify(['yesterday', 'job-1'])).toString('base64url');
    for (const bad of ['', 'not base64 json', forged])
      expect(fieldOf(() => checkJobPage({ limit: 5, after: bad }))).toBe('page.after');
  });
});
