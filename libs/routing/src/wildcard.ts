/**
 * A DICOM wild card pattern (PS3.4 C.2.2.2.4) as a test of whole values: `*` matches any run of
 * characters, none included, `?` exactly one character (a Unicode code point); every other
 * character, `.` `+` `(` `[` `\` included, only itself. PS3.4 has no escape: a literal `*` or
 * `?` needs `regex`. Runs in O(pattern × value) time whatever the pattern, unlike a RegExp
 * translation whose backtracking grows with the number of `*`.
 */
export function compileWildcard(pattern: string, ignoreCase: boolean): (value: string) => boolean {
  const fold = (text: string) => (ignoreCase ? text.toLowerCase() : text);
  const wanted = Array.from(fold(pattern).replace(/\*+/g, '*'));
  if (!wanted.includes('*') && !wanted.includes('?')) {
    const literal = wanted.join('');
    return (value) => fold(value) === literal;
  }
  return (value) => wildcardMatches(wanted, Array.from(fold(value)));
}

// Greedy scan that, on a mismatch, lets the last `*` swallow one more character and retries.
function wildcardMatches(pattern: readonly string[], value: readonly string[]): boolean {
  let p = 0;
  let v = 0;
  let star = -1;
  let starValue = 0;
  while (v < value.length) {
    const c = pattern[p];
    if (c === '*') {
      star = p++;
      starValue = v;
    } else if (c !== undefined && (c === '?' || c === value[v])) {
      p++;
      v++;
    } else if (star >= 0) {
      p = star + 1;
      v = ++starValue;
    } else {
      return false;
    }
  }
  while (pattern[p] === '*') p++;
  return p === pattern.length;
}
