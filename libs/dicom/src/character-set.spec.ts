import { readFileSync } from 'node:fs';
import { characterSetOf } from './character-set';
import type { DicomDataset } from './dicom-dataset';
import { readPart10 } from './part10';
import { formatTag } from './tag';
import { listPydicomFiles, pydicomPath, pydicomReference } from './testing';

const ESC = '\x1b';

function decode(terms: string[], bytes: string | number[], personName = false): string {
  const buffer = typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : Buffer.from(bytes);
  return characterSetOf(terms).decode(buffer, 0, buffer.length, personName);
}

describe('character sets without code extensions', () => {
  it.each([
    [[], [0x41, 0x42], 'AB'],
    [['ISO_IR 6'], [0x41], 'A'],
    [['ISO_IR 100'], [0x4a, 0xe9, 0x80], 'Jé\u0080'], // ISO 8859-1 itself, not windows-1252
    [['ISO_IR 101'], [0xb1], 'ą'],
    [['ISO_IR 109'], [0xb1], 'ħ'],
    [['ISO_IR 110'], [0xb1], 'ą'],
    [['ISO_IR 144'], [0xbb, 0xee], 'Лю'],
    [['ISO_IR 127'], [0xe2], 'ق'],
    [['ISO_IR 126'], [0xc4], 'Δ'],
    [['ISO_IR 138'], [0xf9], 'ש'],
    [['ISO_IR 148'], [0xfd], 'ı'],
    [['ISO_IR 203'], [0xa4], '€'],
    [['ISO_IR 166'], [0xa1], 'ก'],
    [['ISO_IR 13'], [0xb1, 0x41], 'ｱA'],
    [['ISO_IR 192'], [0xe7, 0x8e, 0x8b], '王'],
    [['GB18030'], [0xcd, 0xf5, 0x81, 0x30, 0x81, 0x30], '王\u0080'],
    [['GBK'], [0xcd, 0xf5], '王'],
  ])('%j decodes %j', (terms, bytes, expected) => {
    expect(decode(terms, bytes)).toBe(expected);
  });

  it('accepts the spellings seen in the field and reports unknown terms', () => {
    expect(decode(['ISO-IR 100'], [0xe9])).toBe('é');
    expect(decode(['ISO_IR100'], [0xe9])).toBe('é');
    expect(decode(['utf-8'], [0xc3, 0xa9])).toBe('é');
    const unknown = characterSetOf(['ISO_IR 999']);
    expect(unknown.unknownTerms).toEqual(['ISO_IR 999']);
    expect(unknown.decode(Buffer.from([0xe9]), 0, 1, false)).toBe('é'); // nothing lost
  });
});

describe('character sets with ISO 2022 code extensions (PS3.5 6.1.2.5, Annexes H and I)', () => {
  it('switches to JIS X 0208 and back (PS3.5 H.3.1)', () => {
    const bytes = `Yamada^Tarou=${ESC}$B;3ED${ESC}(B^${ESC}$BB@O:${ESC}(B=${ESC}$B$d$^$@${ESC}(B^${ESC}$B$?$m$&${ESC}(B`;
    expect(decode(['', 'ISO 2022 IR 87'], bytes, true)).toBe('Yamada^Tarou=山田^太郎=やまだ^たろう');
  });

  it('starts from JIS X 0201 katakana with ISO 2022 IR 13 as value 1 (PS3.5 H.3.2)', () => {
    const bytes =
      '\xd4\xcf\xc0\xde^\xc0\xdb\xb3=' +
      `${ESC}$B;3ED${ESC}(J^${ESC}$BB@O:${ESC}(J=${ESC}$B$d$^$@${ESC}(J^${ESC}$B$?$m$&${ESC}(J`;
    expect(decode(['ISO 2022 IR 13', 'ISO 2022 IR 87'], bytes, true)).toBe('ﾔﾏﾀﾞ^ﾀﾛｳ=山田^太郎=やまだ^たろう');
  });

  it('designates KS X 1001 as G1 (PS3.5 I.2)', () => {
    const bytes = `Hong^Gildong=${ESC}$)C\xfb\xf3^${ESC}$)C\xd1\xce\xd4\xd7=${ESC}$)C\xc8\xab^${ESC}$)C\xb1\xe6\xb5\xbf`;
    expect(decode(['', 'ISO 2022 IR 149'], bytes, true)).toBe('Hong^Gildong=洪^吉洞=홍^길동');
  });

  it('decodes JIS X 0212 and GB 2312', () => {
    expect(decode(['', 'ISO 2022 IR 159'], `${ESC}$(D\x30\x21${ESC}(B`)).toBe('丂');
    expect(decode(['', 'ISO 2022 IR 58'], `${ESC}$)A\xcd\xf5`)).toBe('王');
    expect(decode(['', 'ISO 2022 IR 100'], `a${ESC}-A\xe9`)).toBe('aé');
  });

  it('returns to the initial code elements at each value, component group and component', () => {
    // A G1 designation does not survive a backslash: the next value starts from value 1's state.
    const twoValues = `${ESC}$)C\xc8\xab\\\xc8\xab`;
    expect(decode(['', 'ISO 2022 IR 149'], twoValues)).toBe('홍\\È«');
    expect(decode(['ISO 2022 IR 149'], twoValues)).toBe('홍\\홍'); // value 1 is KS X 1001 itself
    // In PN "^" and "=" reset too; elsewhere they are plain characters.
    expect(decode(['', 'ISO 2022 IR 149'], `${ESC}$)C\xc8\xab^\xc8\xab`, true)).toBe('홍^È«');
    expect(decode(['', 'ISO 2022 IR 149'], `${ESC}$)C\xc8\xab^\xc8\xab`, false)).toBe('홍^홍');
  });

  it('skips an unknown escape sequence and decodes the rest', () => {
    expect(decode(['', 'ISO 2022 IR 87'], `A${ESC}%GB`)).toBe('A%GB');
  });
});

// pydicom's own character set test files (from David Clunie's charset samples): every text value,
// at every depth, must decode as pydicom decodes it.
describe("pydicom's charset_files", () => {
  const reference = pydicomReference();
  const files = listPydicomFiles('charset_files').filter((key) => reference[key]?.readable);

  // pydicom prints a PN without its trailing empty component groups ("A=B=" is "A=B").
  const normalise = (vr: string, value: string): string => (vr === 'PN' ? value.replace(/=+$/, '') : value);

  function textValues(dataset: DicomDataset, prefix: string, out: Map<string, { vr: string; values: string[] }>): void {
    for (const element of dataset) {
      const path = prefix + formatTag(element.tag);
      if (element.items) element.items.forEach((item, i) => textValues(item, `${path}/${i}/`, out));
      else out.set(path, { vr: element.vr, values: dataset.strings(element.tag).map((v) => normalise(element.vr, v)) });
    }
  }

  it('has the files', () => {
    expect(files.length).toBeGreaterThanOrEqual(17);
  });

  it.each(files)('%s: every text value equals pydicom', (key) => {
    const read = readPart10(readFileSync(pydicomPath(key)));
    if (read.status !== 'complete') throw new Error('incomplete');
    const ours = new Map<string, { vr: string; values: string[] }>();
    textValues(read.dataset, '', ours);
    const texts = reference[key]!.texts!;
    let compared = 0;
    for (const [path, theirs] of Object.entries(texts)) {
      const mine = ours.get(path);
      expect(mine).toBeDefined();
      // Private elements pydicom types from its private dictionary are UN here (PS3.5 6.2.2).
      if (mine!.vr === 'UN') continue;
      const expected = theirs.map((value) => normalise(mine!.vr, value));
      // pydicom keeps one empty value for an empty element; we have none.
      expect(mine!.values).toEqual(expected.length === 1 && expected[0] === '' ? [] : expected);
      compared++;
    }
    expect(compared).toBeGreaterThan(0);
  });

  it.each(files)("%s: PatientName equals pydicom's", (key) => {
    const read = readPart10(readFileSync(pydicomPath(key)));
    if (read.status !== 'complete') throw new Error('incomplete');
    const texts = reference[key]!.texts!;
    // PatientName is top level, or (chrSQEncoding*) inside a sequence item with its own charset.
    const paths = Object.keys(texts).filter((path) => path.endsWith('00100010'));
    expect(paths.length).toBeGreaterThan(0);
    for (const path of paths) {
      let dataset: DicomDataset = read.dataset;
      const steps = path.split('/');
      for (let i = 0; i + 1 < steps.length; i += 2) {
        dataset = dataset.items(parseInt(steps[i]!, 16))[Number(steps[i + 1])]!;
      }
      expect(dataset.strings('PatientName').map((v) => v.replace(/=+$/, ''))).toEqual(texts[path]);
    }
  });
});
