import { compileWildcard } from './wildcard';

const matches = (pattern: string, value: string, ignoreCase = false) => compileWildcard(pattern, ignoreCase)(value);

describe('compileWildcard (PS3.4 C.2.2.2.4)', () => {
  it('matches whole values literally without wild cards', () => {
    expect(matches('CT', 'CT')).toBe(true);
    expect(matches('CT', 'CTX')).toBe(false);
    expect(matches('CT', 'ct')).toBe(false);
    expect(matches('', '')).toBe(true);
    expect(matches('', 'A')).toBe(false);
  });

  it('lets * match any run of characters, none included', () => {
    expect(matches('CT*', 'CT')).toBe(true);
    expect(matches('CT*', 'CT_SCANNER_1')).toBe(true);
    expect(matches('*SCANNER*', 'CT_SCANNER_1')).toBe(true);
    expect(matches('*1', 'CT_SCANNER_2')).toBe(false);
    expect(matches('*', '')).toBe(true);
    expect(matches('A*B*C', 'AxxBxxC')).toBe(true);
    expect(matches('A*B*C', 'AxxCxxB')).toBe(false);
    expect(matches('A**C', 'AC')).toBe(true);
  });

  it('lets ? match exactly one character', () => {
    expect(matches('C?', 'CT')).toBe(true);
    expect(matches('C?', 'C')).toBe(false);
    expect(matches('C?', 'CTX')).toBe(false);
    expect(matches('??', 'MR')).toBe(true);
    expect(matches('?*', '')).toBe(false);
  });

  it('counts a character outside the BMP as one', () => {
    expect(matches('A?B', 'A😀B')).toBe(true);
  });

  it('takes regular expression metacharacters literally', () => {
    expect(matches('1.2.840.*', '1.2.840.10008')).toBe(true);
    expect(matches('1.2.840.*', '1x2x840x10008')).toBe(false);
    expect(matches('A+', 'A+')).toBe(true);
    expect(matches('A+', 'AA')).toBe(false);
    expect(matches('(CT)', '(CT)')).toBe(true);
    expect(matches('(CT)', 'CT')).toBe(false);
    expect(matches('[CM]T', 'CT')).toBe(false);
    expect(matches('[CM]T', '[CM]T')).toBe(true);
    expect(matches('^CT$', 'CT')).toBe(false);
    expect(matches('A\\*', 'A\\xyz')).toBe(true);
    expect(matches('a|b', 'a')).toBe(false);
  });

  it('folds case when asked (person names)', () => {
    expect(matches('doe^*', 'DOE^JOHN', true)).toBe(true);
    expect(matches('DOE^J?HN', 'Doe^John', true)).toBe(true);
    expect(matches('doe^*', 'DOE^JOHN', false)).toBe(false);
  });

  it('stays fast on patterns that make a backtracking RegExp explode', () => {
    const started = Date.now();
    expect(matches('*a*a*a*a*a*a*a*a*b', 'a'.repeat(5000))).toBe(false);
    expect(Date.now() - started).toBeLessThan(1000);
  });
});
