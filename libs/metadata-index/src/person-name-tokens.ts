import type { DicomJsonAttribute } from '@pacs/dicom';
import type { AttributeMatch } from './query/attribute-match';

/** A test on the name tokens of a record: one token equals `token`, or one starts with it. */
export interface NameTokenTest {
  readonly kind: 'equals' | 'prefix';
  readonly token: string;
}

const GROUPS = ['Alphabetic', 'Ideographic', 'Phonetic'] as const;

/**
 * A person name component (or the start of one) as the index keeps it, coarser than every way
 * matchAttribute compares names, so that a name it matches always has the query's tokens:
 * - canonical decomposition (NFD) with every combining mark removed: accents go ("Müller" is
 *   "muller"), kana lose their voicing marks, Hangul syllables become their jamo (as the fuzzy
 *   matching folds them);
 * - each character case-folded on its own: its upper case lowered again ("Σ", "σ" and "ς" are all
 *   "σ", "ſ" is "s"), or only lowered when its upper case is longer ("ß");
 * - white space collapsed to one space and trimmed; U+10FFFF (a noncharacter) is U+FFFD, so
 *   that an adapter can bound a prefix range with it.
 * Every step maps characters one by one (the spaces aside), so the normalized start of a
 * component is the start of its normalized token.
 */
export function normalizeNameToken(text: string): string {
  let folded = '';
  for (const char of withoutMarks(text)) {
    const upper = char.toUpperCase();
    folded += ([...upper].length === 1 ? upper : char).toLowerCase();
  }
  return withoutMarks(folded)
    .replace(/\s+/gu, ' ')
    .trim()
    .replace(/\u{10FFFF}/gu, '\uFFFD');
}

/**
 * The tokens of a person name attribute (PN, DICOM JSON): every non-empty component of every
 * component group (alphabetic, ideographic, phonetic) of every value, normalized, sorted, once.
 */
export function personNameTokens(attribute: DicomJsonAttribute | undefined): string[] {
  const tokens = new Set<string>();
  for (const value of attribute?.Value ?? []) {
    if (typeof value !== 'object' || value === null) continue;
    const name = value as Partial<Record<(typeof GROUPS)[number], unknown>>;
    for (const group of GROUPS) {
      const text = name[group];
      if (typeof text !== 'string') continue;
      for (const component of text.split('^')) {
        const token = normalizeNameToken(component);
        if (token !== '') tokens.add(token);
      }
    }
  }
  return [...tokens].sort();
}

/**
 * The token tests a person name match implies, as alternatives (any one holds) of tests (all of
 * which hold): a superset of what matchAttribute accepts with the same `fuzzy`. Undefined when the
 * match does not narrow (universal, empty value, a pattern that starts with a wildcard).
 *
 * - Exact (PS3.4 C.2.2.2.1, case-insensitive for PN) and wildcard matching (C.2.2.2.4) compare a
 *   whole component group, so the literal start of the query, up to its first `*` or `?`, starts
 *   the stored group: its components before the last `^` are whole components (equal tokens), the
 *   last one starts a component (a prefix), or is whole when the query has no wildcard.
 * - Fuzzy matching makes every query component the start of a stored one.
 * - With `=`, each group given must match its own group: the tests of every group hold.
 */
export function nameTokenNarrowing(match: AttributeMatch, fuzzy: boolean): NameTokenTest[][] | undefined {
  const values =
    match.kind === 'single'
      ? [match.value]
      : match.kind === 'wildcard'
        ? [match.pattern]
        : match.kind === 'any-of'
          ? match.values
          : [];
  if (values.length === 0) return undefined;
  const alternatives = values.map((value) => valueTests(value, fuzzy));
  // One alternative without a test lets every record through.
  return alternatives.every((tests) => tests.length > 0) ? alternatives : undefined;
}

function valueTests(value: string, fuzzy: boolean): NameTokenTest[] {
  const tests: NameTokenTest[] = [];
  for (const group of value.split('=')) {
    if (fuzzy) {
      // Every component of the query is the start of a stored component (matchAttribute folds
      // the query first, which normalizeNameToken undoes the same way).
      for (const component of group.split('^')) addTest(tests, 'prefix', literalStart(component).text);
      continue;
    }
    const { text, whole } = literalStart(group);
    const components = text.split('^');
    components.forEach((component, index) =>
      addTest(tests, index < components.length - 1 || whole ? 'equals' : 'prefix', component),
    );
  }
  return tests;
}

/** The characters before the first wildcard, and whether that is the whole pattern. */
function literalStart(pattern: string): { text: string; whole: boolean } {
  const wildcard = pattern.search(/[*?]/);
  return wildcard < 0 ? { text: pattern, whole: true } : { text: pattern.slice(0, wildcard), whole: false };
}

function addTest(tests: NameTokenTest[], kind: NameTokenTest['kind'], component: string): void {
  // Trimmed: a prefix ending in a space still starts the trimmed token of a longer component.
  const token = normalizeNameToken(component);
  if (token === '') return;
  if (!tests.some((test) => test.kind === kind && test.token === token)) tests.push({ kind, token });
}

function withoutMarks(text: string): string {
  return text.normalize('NFD').replace(/\p{M}+/gu, '');
}
