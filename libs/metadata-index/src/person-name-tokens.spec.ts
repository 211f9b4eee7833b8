import type { DicomJsonAttribute } from '@pacs/dicom';
import { nameTokenNarrowing, normalizeNameToken, personNameTokens, type NameTokenTest } from './person-name-tokens';
import { matchAttribute } from './query/match-attribute';
import { parseAttributeMatch } from './query/parse-attribute-match';

type Name = { Alphabetic?: string; Ideographic?: string; Phonetic?: string };
const pn = (...values: Name[]): DicomJsonAttribute => ({ vr: 'PN', Value: values });

/** Whether a record with these tokens passes the narrowing (what the adapters evaluate). */
function passes(tokens: readonly string[], anyOf: readonly (readonly NameTokenTest[])[] | undefined): boolean {
  if (!anyOf) return true;
  return anyOf.some((tests) =>
    tests.every((test) =>
      tokens.some((token) => (test.kind === 'equals' ? token === test.token : token.startsWith(test.token))),
    ),
  );
}

const NAMES: Name[] = [
  { Alphabetic: 'Müller^Jürgen' },
  { Alphabetic: 'MULLER^JURGEN' },
  { Alphabetic: 'Yamada^Tarou', Ideographic: '山田^太郎', Phonetic: 'やまだ^たろう' },
  { Alphabetic: 'Hong^Gildong', Ideographic: '洪^吉洞', Phonetic: '홍^길동' },
  { Alphabetic: 'Papadopoulos^Georgios', Ideographic: 'Παπαδόπουλος^Γιώργος' },
  { Alphabetic: 'ΟΔΥΣΣΕΥΣ^ΝΙΚΟΣ' },
  { Alphabetic: 'Иванов^Иван^Иванович' },
  { Alphabetic: "O'Brien^Seán^^Dr.^III" },
  { Alphabetic: 'ÇELİK^AYŞE' },
  { Alphabetic: 'Straße^Hans' },
  { Alphabetic: 'van  der Berg^Anna Maria' },
  { Alphabetic: '^Cher' },
  { Alphabetic: 'Doe' },
];

/** Queries derived from a name: starts of its groups and components, in other cases and without accents. */
function queriesOf(name: Name): string[] {
  const queries = new Set<string>();
  for (const group of Object.values(name) as string[]) {
    const variants = [group, group.toUpperCase(), group.toLowerCase(), group.normalize('NFD').replace(/\p{M}+/gu, '')];
    for (const variant of variants) {
      const chars = [...variant];
      for (let length = 1; length <= chars.length; length += 1) {
        const start = chars.slice(0, length).join('');
        queries.add(`${start}*`);
        queries.add(`${start}?*`);
      }
      queries.add(variant);
      for (const component of variant.split('^')) {
        if (component === '') continue;
        queries.add(component);
        queries.add(`${[...component].slice(0, 2).join('')}*`);
        queries.add(`*${component}`);
      }
      queries.add(variant.split('^').slice(0, 2).join('^'));
    }
  }
  return [...queries].filter((query) => query.trim() !== '' && !/^[*?]+$/.test(query));
}

describe('normalizeNameToken', () => {
  it.each([
    ['Müller', 'muller'],
    ['MÜLLER', 'muller'],
    ['ΟΔΥΣΣΕΥΣ', 'οδυσσευσ'],
    ['οδυσσευς', 'οδυσσευσ'],
    ['Παπαδόπουλος', 'παπαδοπουλοσ'],
    ['Straße', 'straße'],
    ['STRAẞE', 'straße'],
    ['ÇELİK', 'celik'],
    ['やまだ', 'やまた'],
    ['  van   der  Berg ', 'van der berg'],
    ['Иванов', 'иванов'],
  ])('normalizes %s to %s', (text, token) => {
    expect(normalizeNameToken(text)).toBe(token);
  });

  it('keeps Hangul syllables as their jamo, so that a syllable starts the syllables it is part of', () => {
    expect(normalizeNameToken('홍길동')).toBe('홍길동'.normalize('NFD'));
    expect(normalizeNameToken('홍').startsWith(normalizeNameToken('호'))).toBe(true);
  });
});

describe('personNameTokens', () => {
  it('gives every component of every group of every value, once, sorted', () => {
    expect(
      personNameTokens(
        pn(
          { Alphabetic: 'Yamada^Tarou', Ideographic: '山田^太郎', Phonetic: 'やまだ^たろう' },
          { Alphabetic: 'YAMADA^T' },
        ),
      ),
    ).toEqual(['t', 'tarou', 'yamada', 'たろう', 'やまた', '太郎', '山田']);
    expect(personNameTokens(pn({ Alphabetic: "O'Brien^Seán^^Dr.^III" }))).toEqual(['dr.', 'iii', "o'brien", 'sean']);
    expect(personNameTokens(undefined)).toEqual([]);
    expect(personNameTokens({ vr: 'PN', Value: [null] })).toEqual([]);
  });
});

describe('nameTokenNarrowing', () => {
  const narrowing = (query: string, fuzzy: boolean) =>
    nameTokenNarrowing(parseAttributeMatch('PatientName', 'PN', query, 'qido'), fuzzy);

  it('turns the literal start of a query into whole components and the start of the next one', () => {
    expect(narrowing('Doe^Jo*', false)).toEqual([
      [
        { kind: 'equals', token: 'doe' },
        { kind: 'prefix', token: 'jo' },
      ],
    ]);
    expect(narrowing('Doe^John', false)).toEqual([
      [
        { kind: 'equals', token: 'doe' },
        { kind: 'equals', token: 'john' },
      ],
    ]);
    expect(narrowing('MÜL*', false)).toEqual([[{ kind: 'prefix', token: 'mul' }]]);
    expect(narrowing('do?e*', false)).toEqual([[{ kind: 'prefix', token: 'do' }]]);
    expect(narrowing('Yamada^Tarou=山田*', false)).toEqual([
      [
        { kind: 'equals', token: 'yamada' },
        { kind: 'equals', token: 'tarou' },
        { kind: 'prefix', token: '山田' },
      ],
    ]);
    expect(narrowing('Doe\\Roe', false)).toEqual([
      [{ kind: 'equals', token: 'doe' }],
      [{ kind: 'equals', token: 'roe' }],
    ]);
  });

  it('makes every component of a fuzzy query the start of a token', () => {
    expect(narrowing('muller', true)).toEqual([[{ kind: 'prefix', token: 'muller' }]]);
    expect(narrowing('Doe^j*n', true)).toEqual([
      [
        { kind: 'prefix', token: 'doe' },
        { kind: 'prefix', token: 'j' },
      ],
    ]);
  });

  it('does not narrow a query that starts with a wildcard, an empty value or a universal one', () => {
    expect(narrowing('*Doe', false)).toBeUndefined();
    expect(narrowing('?oe', true)).toBeUndefined();
    expect(narrowing('""', false)).toBeUndefined();
    expect(narrowing('*', false)).toBeUndefined();
    expect(narrowing('Doe\\^', false)).toBeUndefined();
  });

  it.each([false, true])('lets through every name that matchAttribute matches, and narrows (fuzzy %s)', (fuzzy) => {
    let narrowed = 0;
    for (const source of NAMES) {
      for (const query of queriesOf(source)) {
        const match = parseAttributeMatch('PatientName', 'PN', query, 'qido');
        const anyOf = nameTokenNarrowing(match, fuzzy);
        for (const name of NAMES) {
          const attribute = pn(name);
          const tokens = personNameTokens(attribute);
          if (matchAttribute(match, attribute, { fuzzy })) {
            expect({ query, name, passes: passes(tokens, anyOf) }).toEqual({ query, name, passes: true });
          } else if (!passes(tokens, anyOf)) narrowed += 1;
        }
      }
    }
    // The narrowing leaves out most names that do not match.
    expect(narrowed).toBeGreaterThan(1000);
  });
});
