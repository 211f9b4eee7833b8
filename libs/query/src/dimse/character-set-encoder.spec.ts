import { characterSetOf } from '@pacs/dicom';
import { textEncodingFor } from './character-set-encoder';

/** What @pacs/dicom's decoder reads from the bytes, with the same (0008,0005). */
function decode(terms: string[], bytes: Buffer, personName: boolean): string {
  return characterSetOf(terms).decode(bytes, 0, bytes.length, personName);
}

describe('textEncodingFor', () => {
  it.each([
    [['ISO_IR 100'], 'Müller^Jürgen'],
    [['ISO_IR 101'], 'Wałęsa^Lech'],
    [['ISO_IR 126'], 'Διονυσιος'],
    [['ISO_IR 138'], 'שרון^דבורה'],
    [['ISO_IR 144'], 'Люкceмбypг'],
    [['ISO_IR 148'], 'Çağlar^Şükrü'],
    [['ISO_IR 192'], 'Wang^XiaoDong=王^小東='],
    [['ISO 2022 IR 100'], 'Müller^Jürgen'],
    [['', 'ISO 2022 IR 87'], 'Yamada^Tarou=山田^太郎=やまだ^たろう'],
    [['ISO 2022 IR 13', 'ISO 2022 IR 87'], 'ﾔﾏﾀﾞ^ﾀﾛｳ=山田^太郎=やまだ^たろう'],
    // 鷗 is in JIS X 0212 only (JIS X 0208 has 鴎).
    [['', 'ISO 2022 IR 87', 'ISO 2022 IR 159'], '鷗外^森'],
    [['', 'ISO 2022 IR 149'], 'Hong^Gildong=洪^吉洞=홍^길동'],
    [['ISO 2022 IR 6', 'ISO 2022 IR 58'], 'Zhang^XiaoDong=张^小东='],
    [['ISO 2022 IR 100', 'ISO 2022 IR 144'], 'Müller Люкceмбypг Müller'],
  ])('%j: what it writes, the decoder of @pacs/dicom reads back (%s)', (terms, text) => {
    const encoding = textEncodingFor(terms)!;
    expect(encoding).toBeDefined();
    const bytes = encoding.encode(text, true)!;
    expect(bytes).toBeDefined();
    expect(decode(terms, bytes, true)).toBe(text);
  });

  it('writes the Japanese example of PS3.5 H.3.1 byte for byte', () => {
    const bytes = textEncodingFor(['', 'ISO 2022 IR 87'])!.encode('Yamada^Tarou=山田^太郎=やまだ^たろう', true)!;
    const ascii = (text: string) => [...Buffer.from(text, 'latin1')];
    const jis = (...codes: number[]) => [0x1b, 0x24, 0x42, ...codes, 0x1b, 0x28, 0x42];
    expect([...bytes]).toEqual([
      ...ascii('Yamada^Tarou='),
      ...jis(0x3b, 0x33, 0x45, 0x44),
      ...ascii('^'),
      ...jis(0x42, 0x40, 0x4f, 0x3a),
      ...ascii('='),
      ...jis(0x24, 0x64, 0x24, 0x5e, 0x24, 0x40),
      ...ascii('^'),
      ...jis(0x24, 0x3f, 0x24, 0x6d, 0x24, 0x26),
    ]);
  });

  it('designates JIS X 0212 for what JIS X 0208 lacks', () => {
    const bytes = textEncodingFor(['', 'ISO 2022 IR 87', 'ISO 2022 IR 159'])!.encode('鷗外', false)!;
    expect([...bytes.subarray(0, 4)]).toEqual([0x1b, 0x24, 0x28, 0x44]);
    expect(bytes.includes(Buffer.from([0x1b, 0x24, 0x42]))).toBe(true);
  });

  it('re-designates the sets of value 1 before a delimiter and at the end of the value', () => {
    const bytes = textEncodingFor(['', 'ISO 2022 IR 149'])!.encode('홍\\길동', false)!;
    const escapeKorean = [0x1b, 0x24, 0x29, 0x43];
    // Each value designates KS X 1001 anew: the state returns to value 1 at each "\\" (PS3.5 6.1.2.5.3).
    expect([...bytes.subarray(0, 4)]).toEqual(escapeKorean);
    const backslash = bytes.indexOf(0x5c);
    expect([...bytes.subarray(backslash + 1, backslash + 5)]).toEqual(escapeKorean);
    expect(decode(['', 'ISO 2022 IR 149'], bytes, false)).toBe('홍\\길동');
  });

  it('says so when a character has no code in the character set', () => {
    expect(textEncodingFor([])!.encode('é', false)).toBeUndefined();
    expect(textEncodingFor(['ISO_IR 100'])!.encode('山', false)).toBeUndefined();
    expect(textEncodingFor(['ISO 2022 IR 100'])!.encode('山', false)).toBeUndefined();
    expect(textEncodingFor([])!.encode('Doe^John', true)).toEqual(Buffer.from('Doe^John'));
  });

  it('has no encoder for character sets it cannot write', () => {
    expect(textEncodingFor(['GB18030'])).toBeUndefined();
    expect(textEncodingFor(['ISO_IR 13'])).toBeUndefined();
    expect(textEncodingFor(['ISO_IR 999'])).toBeUndefined();
    expect(textEncodingFor(['ISO_IR 192', 'ISO 2022 IR 87'])).toBeUndefined();
    expect(textEncodingFor(['ISO 2022 IR 87'])).toBeUndefined();
  });

  it('reads the spellings seen in the field', () => {
    expect(textEncodingFor(['ISO-IR 100'])?.terms).toEqual(['ISO_IR 100']);
    expect(textEncodingFor(['utf-8'])?.terms).toEqual(['ISO_IR 192']);
  });
});
