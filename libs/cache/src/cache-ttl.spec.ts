import { validateTtl } from './cache-ttl';

describe('validateTtl', () => {
  it('accepts positive milliseconds, rounding up', () => {
    expect(validateTtl(1)).toBe(1);
    expect(validateTtl(150)).toBe(150);
    expect(validateTtl(0.2)).toBe(1);
  });

  it.each([0, -1, Number.NaN, Number.POSITIVE_INFINITY])('refuses %p', (ttl) => {
    expect(() => validateTtl(ttl)).toThrow(RangeError);
  });
});
