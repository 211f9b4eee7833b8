import { BlobStoreError } from './blob-store.errors';
import { rangeHeader, resolveRange, validateRange } from './byte-range';

const invalid = (fn: () => unknown): void => {
  expect(fn).toThrow(BlobStoreError);
  try {
    fn();
  } catch (error) {
    expect((error as BlobStoreError).code).toBe('INVALID_RANGE');
  }
};

describe('byte ranges', () => {
  it('resolves against the size, clamping the end', () => {
    expect(resolveRange(undefined, 10)).toBeUndefined();
    expect(resolveRange({ start: 0 }, 10)).toEqual({ start: 0, end: 9 });
    expect(resolveRange({ start: 3, end: 5 }, 10)).toEqual({ start: 3, end: 5 });
    expect(resolveRange({ start: 9, end: 100 }, 10)).toEqual({ start: 9, end: 9 });
  });

  it('refuses a start at or past the size, and any range of an empty object', () => {
    invalid(() => resolveRange({ start: 10 }, 10));
    invalid(() => resolveRange({ start: 0 }, 0));
  });

  it('refuses malformed ranges before any I/O', () => {
    invalid(() => validateRange({ start: -1 }));
    invalid(() => validateRange({ start: 0.5 }));
    invalid(() => validateRange({ start: Number.NaN }));
    invalid(() => validateRange({ start: 5, end: 4 }));
    invalid(() => validateRange({ start: 0, end: Number.POSITIVE_INFINITY }));
    expect(() => validateRange({ start: 5, end: 5 })).not.toThrow();
  });

  it('writes the HTTP header', () => {
    expect(rangeHeader({ start: 5 })).toBe('bytes=5-');
    expect(rangeHeader({ start: 5, end: 9 })).toBe('bytes=5-9');
  });
});
