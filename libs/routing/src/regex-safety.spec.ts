import { compileRuleRegex, MAX_REGEX_LENGTH, regexProblem } from './regex-safety';

describe('regexProblem', () => {
  it.each([
    'CT|MR',
    '[A-Z]{2}',
    '1\\.2\\.840\\.10008\\..*',
    '\\d+(\\.\\d+)*',
    '(\\s*,\\s*x)*',
    '(?<site>[A-Z]+)_\\d+',
    '\\p{L}+',
  ])('accepts %j', (pattern) => {
    expect(regexProblem(pattern)).toBeUndefined();
  });

  it('refuses an invalid pattern with the engine message', () => {
    expect(regexProblem('(CT')).toBe('Invalid regular expression: /(CT/u: Unterminated group');
    expect(regexProblem('[a-')).toMatch(/^Invalid regular expression: \/\[a-\/u: /);
    // Unicode mode refuses what sloppy mode reads as a literal.
    expect(regexProblem('\\-')).toMatch(/^Invalid regular expression/);
  });

  it(`refuses patterns longer than ${MAX_REGEX_LENGTH} characters`, () => {
    expect(regexProblem('a'.repeat(MAX_REGEX_LENGTH))).toBeUndefined();
    expect(regexProblem('a'.repeat(MAX_REGEX_LENGTH + 1))).toBe(
      `a regular expression has at most ${MAX_REGEX_LENGTH} characters (got ${MAX_REGEX_LENGTH + 1})`,
    );
  });

  it.each([
    ['(a+)+$', '(a+)+'],
    ['^(a*)*b', '(a*)*'],
    ['(\\d+\\.?)+x', '(\\d+\\.?)+'],
    ['(a|a)*b', '(a|a)*'],
    ['x((?:ab*c*)*)+', '((?:ab*c*)*)+'],
    ['((a+))+', '((a+))+'],
    ['(.*){2,}', '(.*){2,}'],
    ['(?:[A-Z]+)+?', '(?:[A-Z]+)+?'],
  ])('refuses the exponential shape in %j', (pattern, group) => {
    expect(regexProblem(pattern)).toBe(
      `the repeated group ${JSON.stringify(group)} can match the same text in several ways and backtrack exponentially; rewrite it without the nested repetition`,
    );
  });

  it('does not take escaped or bracketed parentheses for groups', () => {
    expect(regexProblem('\\(a+\\)+')).toBeUndefined();
    expect(regexProblem('[(]a+[)]+')).toBeUndefined();
  });
});

describe('compileRuleRegex', () => {
  it('anchors the pattern to the whole value', () => {
    expect(compileRuleRegex('CT|MR').test('CT')).toBe(true);
    expect(compileRuleRegex('CT|MR').test('MR')).toBe(true);
    expect(compileRuleRegex('CT|MR').test('XCT')).toBe(false);
    expect(compileRuleRegex('CT|MR').test('MRI')).toBe(false);
    expect(compileRuleRegex('ct', true).test('CT')).toBe(true);
    expect(compileRuleRegex('ct').test('CT')).toBe(false);
  });
});
