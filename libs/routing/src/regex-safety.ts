/** The longest regular expression a rule may hold: rules are configuration, not programs. */
export const MAX_REGEX_LENGTH = 256;

/**
 * The RegExp a rule's `regex` compiles to: anchored at both ends (the whole value must match, as
 * `equals` and `wildcard` do), in Unicode mode (`u`), case-insensitive with `ignoreCase`.
 */
export function compileRuleRegex(pattern: string, ignoreCase = false): RegExp {
  return new RegExp(`^(?:${pattern})$`, ignoreCase ? 'ui' : 'u');
}

/**
 * Why a rule's regular expression is refused, or undefined: longer than MAX_REGEX_LENGTH, not a
 * valid JavaScript regular expression in Unicode mode (the engine's message), or one of the
 * textbook shapes that backtrack exponentially on a value that does not match: a repeated group
 * whose body can match the same text in several ways, such as `(a+)+`, `(a*)*`, `(\d+\.?)+` or
 * `(a|a)*`. The check is a heuristic, not a proof: it catches the obvious, not every slow pattern.
 */
export function regexProblem(pattern: string, ignoreCase = false): string | undefined {
  if (pattern.length > MAX_REGEX_LENGTH) {
    return `a regular expression has at most ${MAX_REGEX_LENGTH} characters (got ${pattern.length})`;
  }
  try {
    // Compiled alone first, so that the engine's message shows the pattern as written.
    new RegExp(pattern, 'u');
    compileRuleRegex(pattern, ignoreCase);
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
  const slow = exponentialGroup(new PatternReader(pattern).alternation());
  if (slow !== undefined) {
    return `the repeated group ${JSON.stringify(slow)} can match the same text in several ways and backtrack exponentially; rewrite it without the nested repetition`;
  }
  return undefined;
}

// A minimal reader of an already valid pattern: just enough structure (groups, alternatives,
// quantifiers) for the backtracking check.

interface Term {
  readonly source: string;
  /** The alternatives of a group; undefined for any other atom. */
  readonly group?: readonly Sequence[];
  readonly min: number;
  readonly max: number;
}

type Sequence = readonly Term[];

const QUANTIFIER_BRACES = /^\{(\d+)(,(\d*))?\}/;

class PatternReader {
  private at = 0;

  constructor(private readonly pattern: string) {}

  alternation(): Sequence[] {
    const alternatives: Sequence[] = [this.sequence()];
    while (this.pattern[this.at] === '|') {
      this.at++;
      alternatives.push(this.sequence());
    }
    return alternatives;
  }

  private sequence(): Term[] {
    const terms: Term[] = [];
    while (this.at < this.pattern.length && this.pattern[this.at] !== '|' && this.pattern[this.at] !== ')') {
      terms.push(this.term());
    }
    return terms;
  }

  private term(): Term {
    const start = this.at;
    const group = this.atom();
    const [min, max] = this.quantifier();
    return { source: this.pattern.slice(start, this.at), group, min, max };
  }

  private atom(): Sequence[] | undefined {
    const p = this.pattern;
    const c = p[this.at];
    if (c === '(') {
      this.at++;
      if (p[this.at] === '?') {
        this.at++;
        if (p[this.at] === '<' && p[this.at + 1] !== '=' && p[this.at + 1] !== '!') {
          this.at = p.indexOf('>', this.at) + 1; // (?<name>
        } else {
          this.at += p[this.at] === '<' ? 2 : 1; // (?: (?= (?! (?<= (?<!
        }
      }
      const body = this.alternation();
      this.at++; // ')'
      return body;
    }
    if (c === '[') {
      this.at++;
      while (this.at < p.length && p[this.at] !== ']') this.at += p[this.at] === '\\' ? 2 : 1;
      this.at++;
      return undefined;
    }
    if (c === '\\') {
      this.at++;
      const escaped = p[this.at];
      const braced = (escaped === 'u' || escaped === 'p' || escaped === 'P') && p[this.at + 1] === '{';
      if (braced) this.at = p.indexOf('}', this.at) + 1;
      else if (escaped === 'k') this.at = p.indexOf('>', this.at) + 1;
      else if (escaped === 'u') this.at += 5;
      else if (escaped === 'x') this.at += 3;
      else if (escaped === 'c') this.at += 2;
      else if (escaped !== undefined && /[1-9]/.test(escaped)) while (/\d/.test(p[this.at] ?? '')) this.at++;
      else this.at++;
      return undefined;
    }
    this.at += (p.codePointAt(this.at) ?? 0) > 0xffff ? 2 : 1;
    return undefined;
  }

  private quantifier(): [number, number] {
    const p = this.pattern;
    let bounds: [number, number] = [1, 1];
    const c = p[this.at];
    if (c === '*' || c === '+' || c === '?') {
      this.at++;
      bounds = c === '*' ? [0, Infinity] : c === '+' ? [1, Infinity] : [0, 1];
    } else if (c === '{') {
      const braces = QUANTIFIER_BRACES.exec(p.slice(this.at));
      if (!braces) return bounds;
      this.at += braces[0].length;
      const min = Number(braces[1]);
      const max = braces[2] === undefined ? min : braces[3] === '' ? Infinity : Number(braces[3]);
      bounds = [min, max];
    } else {
      return bounds;
    }
    if (p[this.at] === '?') this.at++; // lazy: the same backtracking, in another order
    return bounds;
  }
}

// An alternative that can match a non-empty run in several ways when its group repeats: only
// unbounded and optional terms, at least one unbounded (`a+`, `a*b*`, `\d+\.?`), or a group made
// of such an alternative.
function repeatsAmbiguously(sequence: Sequence): boolean {
  let unbounded = false;
  for (const term of sequence) {
    const inner = term.group !== undefined && term.max === 1 && term.group.some(repeatsAmbiguously);
    if (term.max === Infinity || inner) unbounded = true;
    else if (term.min > 0) return false;
  }
  return unbounded;
}

function exponentialGroup(alternatives: readonly Sequence[]): string | undefined {
  for (const sequence of alternatives) {
    for (const term of sequence) {
      if (term.group === undefined) continue;
      if (term.max > 1) {
        const sources = term.group.map((alternative) => alternative.map((t) => t.source).join(''));
        if (term.group.some(repeatsAmbiguously) || new Set(sources).size < sources.length) return term.source;
      }
      const inner = exponentialGroup(term.group);
      if (inner !== undefined) return inner;
    }
  }
  return undefined;
}
