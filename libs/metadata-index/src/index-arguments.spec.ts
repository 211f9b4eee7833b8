import {
  checkIndexedInstance,
  checkIndexedInstances,
  checkListScope,
  checkSearchScope,
  instantOf,
} from './index-arguments';
import { MetadataIndexError } from './metadata-index.errors';
import type { IndexedInstance, SearchLevel, SearchScope } from './metadata-index.port';
import { QueryError } from './query/query.errors';

const instance: IndexedInstance = {
  tenantId: 'radiology',
  studyInstanceUid: '1.2',
  seriesInstanceUid: '1.2.3',
  sopInstanceUid: '1.2.3.4',
  sopClassUid: '1.2.840.10008.5.1.4.1.1.2',
  transferSyntaxUid: '1.2.840.10008.1.2.1',
  version: 1,
  blob: { key: 'k', size: 1, sha256: 'a'.repeat(64), tier: 'hot' },
  attributes: {},
};

describe('checkSearchScope', () => {
  it.each<[SearchLevel, SearchScope]>([
    ['study', {}],
    ['study', { studyInstanceUid: '1.2' }],
    ['series', { studyInstanceUid: '1.2', seriesInstanceUid: '1.2.3' }],
    ['instance', { studyInstanceUid: '1.2', seriesInstanceUid: '1.2.3', sopInstanceUid: '1.2.3.4' }],
  ])('takes a %s search within %j', (level, scope) => {
    expect(() => checkSearchScope(level, scope)).not.toThrow();
  });

  it.each<[SearchLevel, SearchScope, string]>([
    ['series', { seriesInstanceUid: '1.2.3' }, 'seriesInstanceUid: needs the UIDs of the levels above it'],
    ['instance', { studyInstanceUid: '1.2', sopInstanceUid: '1.2.3.4' }, 'sopInstanceUid: needs the UIDs'],
    ['study', { studyInstanceUid: '1.2', seriesInstanceUid: '1.2.3' }, 'a study search cannot be scoped to one series'],
    ['series', { studyInstanceUid: '01.2' }, 'studyInstanceUid: "01.2" is not a UID'],
    ['patient' as SearchLevel, {}, 'level: "patient" is not study, series or instance'],
  ])('refuses a %s search within %j', (level, scope, message) => {
    expect(() => checkSearchScope(level, scope)).toThrow(QueryError);
    expect(() => checkSearchScope(level, scope)).toThrow(message);
  });

  it('needs a study for a listing', () => {
    expect(() => checkListScope({ studyInstanceUid: '1.2' })).not.toThrow();
    expect(() => checkListScope({} as { studyInstanceUid: string })).toThrow(
      'studyInstanceUid: a listing needs a study',
    );
  });
});

describe('checkIndexedInstance', () => {
  it('dates an instance without indexedAt now, and normalizes the one given', () => {
    expect(checkIndexedInstance(instance, () => new Date('2024-05-01T10:00:00Z'))).toBe('2024-05-01T10:00:00.000Z');
    expect(checkIndexedInstance({ ...instance, indexedAt: '2024-05-01T12:00+02:00' })).toBe('2024-05-01T10:00:00.000Z');
  });

  it.each<[string, Partial<IndexedInstance>, string]>([
    ['version 0', { version: 0 }, 'version 0 is not a positive integer'],
    ['no tenant', { tenantId: '' }, 'no tenant'],
    ['a bad SOP Class UID', { sopClassUid: 'CT' }, 'sopClassUid "CT" is not a UID'],
    ['an indexedAt without zone', { indexedAt: '2024-05-01T10:00:00' }, 'is not an ISO 8601 date and time with a zone'],
  ])('refuses %s, naming the instance and what is wrong', (_what, change, message) => {
    const check = () => checkIndexedInstance({ ...instance, ...change });
    expect(check).toThrow(MetadataIndexError);
    expect(check).toThrow(`instance 1.2.3.4 of tenant`);
    expect(check).toThrow(message);
  });
});

describe('checkIndexedInstances', () => {
  const now = () => new Date('2024-05-01T10:00:00Z');

  it('gives each instance of a batch, in order, with the instant it was indexed', () => {
    const later = { ...instance, sopInstanceUid: '1.2.3.5', indexedAt: '2024-05-01T12:00:00Z' };
    expect(checkIndexedInstances([instance, later], now)).toEqual([
      { instance, indexedAt: '2024-05-01T10:00:00.000Z' },
      { instance: later, indexedAt: '2024-05-01T12:00:00.000Z' },
    ]);
    expect(checkIndexedInstances([], now)).toEqual([]);
  });

  it('refuses a batch with the error of its first invalid instance', () => {
    const first = { ...instance, sopInstanceUid: '1.2.3.5', version: 0 };
    const second = { ...instance, sopInstanceUid: '1.2.3.6', tenantId: '' };
    const check = () => checkIndexedInstances([instance, first, second], now);
    expect(check).toThrow(MetadataIndexError);
    expect(check).toThrow('instance 1.2.3.5 of tenant radiology: version 0 is not a positive integer');
  });
});

describe('instantOf', () => {
  it('normalizes an instant to UTC with milliseconds, so that instants compare as strings', () => {
    expect(instantOf('t', '2024-05-01T06:00:00-04:00')).toBe('2024-05-01T10:00:00.000Z');
    expect(instantOf('t', '2024-05-01T10:00:00.123456Z')).toBe('2024-05-01T10:00:00.123Z');
    expect(() => instantOf('quietSince', '1')).toThrow('quietSince "1" is not an ISO 8601 date and time with a zone');
  });
});
