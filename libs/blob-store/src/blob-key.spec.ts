import { BlobStoreError } from './blob-store.errors';
import { validateKey, validatePrefix } from './blob-key';

const code = (fn: () => unknown): string | undefined => {
  try {
    fn();
    return undefined;
  } catch (error) {
    return error instanceof BlobStoreError ? error.code : 'other';
  }
};

describe('validateKey', () => {
  it.each(['a', 'a/b', 'tenant=x/1.2.840.10008.5.1/series_1/inst-2.dcm', 'A_Z-0.9=', 'a.'])('accepts %j', (key) => {
    expect(validateKey(key)).toBe(key);
  });

  it.each([
    '',
    '/a',
    'a/',
    'a//b',
    '..',
    '../a',
    'a/..',
    '.',
    'a/./b',
    '.tmp/x',
    'a b',
    'a\\b',
    'a:b',
    'ä',
    'a\0b',
    'x'.repeat(256),
    `${'a/'.repeat(600)}a`,
  ])('refuses %j with INVALID_KEY', (key) => {
    expect(code(() => validateKey(key))).toBe('INVALID_KEY');
  });
});

describe('validatePrefix', () => {
  it.each(['', 'a', 'a/', 'a/b', 'a/b.', 'studies/1.2.', 'a/.'])('accepts %j', (prefix) => {
    expect(validatePrefix(prefix)).toBe(prefix);
  });

  it.each(['/', '/a', 'a//', '../', 'a/../b', './a', 'a b', '.tmp/'])('refuses %j with INVALID_KEY', (prefix) => {
    expect(code(() => validatePrefix(prefix))).toBe('INVALID_KEY');
  });
});
