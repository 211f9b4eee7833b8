import { textEncodingFor } from './text-encoding';

const ESC = '\x1b';

function encoded(terms: string[], value: string, personName = false): string | undefined {
  return textEncodingFor(terms).encode(value, personName)?.toString('latin1');
}

describe('textEncodingFor: character sets without code extensions', () => {
  it.each([
    [[], 'AB', 'AB'],
    [['ISO_IR 6'], 'A', 'A'],
    [['ISO_IR 100'], 'Hôpital Général', 'H\xf4pital G\xe9n\xe9ral'],
    [['ISO-IR 100'], 'é', '\xe9'], // a spelling seen in the field
    [['ISO_IR 101'], 'ą', '\xb1'],
    [['ISO_IR 144'], 'Лю', '\xbb\xee'],
    [['ISO_IR 126'], 'Δ', '\xc4'],
    [['ISO_IR 127'], 'ق', '\xe2'],
    [['ISO_IR 138'], 'ש', '\xf9'],
    [['ISO_IR 148'], 'ı', '\xfd'],
    [['ISO_IR 203'], '€', '\xa4'],
    [['ISO_IR 166'], 'ก', '\xa1'],
    [['ISO_IR 13'], 'ｱA', '\xb1A'],
    [['ISO_IR 192'], '王', '\xe7\x8e\x8b'],
    [['GB18030'], '王', '\xcd\xf5'],
    [['GBK'], '王', '\xcd\xf5'],
  ])('%j writes %j', (terms, value, bytes) => {
    expect(encoded(terms, value)).toBe(bytes);
  });

  it.each([
    [[], 'é'],
    [['ISO_IR 100'], '山'],
    [['ISO_IR 144'], 'é'],
    [['ISO_IR 999'], 'é'], // an unknown character set: ASCII only
  ])('%j cannot write %j', (terms, value) => {
    expect(encoded(terms, value)).toBeUndefined();
  });

  it('writes ASCII in a character set it does not know', () => {
    expect(encoded(['ISO_IR 999'], 'General Hospital')).toBe('General Hospital');
  });
});

describe('textEncodingFor: ISO 2022 code extensions (PS3.5 6.1.2.5)', () => {
  it('writes the Japanese person name of PS3.5 H.3.1 byte for byte', () => {
    const expected = `Yamada^Tarou=${ESC}$B;3ED${ESC}(B^${ESC}$BB@O:${ESC}(B=${ESC}$B$d$^$@${ESC}(B^${ESC}$B$?$m$&${ESC}(B`;
    expect(encoded(['', 'ISO 2022 IR 87'], 'Yamada^Tarou=山田^太郎=やまだ^たろう', true)).toBe(expected);
  });

  it('writes the katakana person name of PS3.5 H.3.2, returning to JIS X 0201 Roman', () => {
    const expected =
      '\xd4\xcf\xc0\xde^\xc0\xdb\xb3=' +
      `${ESC}$B;3ED${ESC}(J^${ESC}$BB@O:${ESC}(J=${ESC}$B$d$^$@${ESC}(J^${ESC}$B$?$m$&${ESC}(J`;
    expect(encoded(['ISO 2022 IR 13', 'ISO 2022 IR 87'], 'ﾔﾏﾀﾞ^ﾀﾛｳ=山田^太郎=やまだ^たろう', true)).toBe(expected);
  });

  it('writes the Korean person name of PS3.5 I.2, designating KS X 1001 after each delimiter', () => {
    const expected = `Hong^Gildong=${ESC}$)C\xfb\xf3^${ESC}$)C\xd1\xce\xd4\xd7=${ESC}$)C\xc8\xab^${ESC}$)C\xb1\xe6\xb5\xbf`;
    expect(encoded(['', 'ISO 2022 IR 149'], 'Hong^Gildong=洪^吉洞=홍^길동', true)).toBe(expected);
  });

  it('writes JIS X 0212, GB 2312 and an ISO 8859 set as G1', () => {
    expect(encoded(['', 'ISO 2022 IR 159'], '丂')).toBe(`${ESC}$(D\x30\x21${ESC}(B`);
    expect(encoded(['', 'ISO 2022 IR 58'], '王')).toBe(`${ESC}$)A\xcd\xf5`);
    expect(encoded(['', 'ISO 2022 IR 100'], 'aé')).toBe(`a${ESC}-A\xe9`);
    expect(encoded(['ISO 2022 IR 100'], 'aé')).toBe('a\xe9'); // value 1's G1 needs no designation
  });

  it('refuses a character none of the declared sets has', () => {
    expect(encoded(['', 'ISO 2022 IR 87'], 'é')).toBeUndefined();
    expect(encoded(['', 'ISO 2022 IR 149'], '山田')).toBeDefined(); // hanja are in KS X 1001
    expect(encoded(['', 'ISO 2022 IR 149'], 'ｱ')).toBeUndefined();
  });
});
