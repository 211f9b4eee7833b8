import { parseRule, parseRules, type RoutingRule } from './rule';
import { MAX_CONDITION_DEPTH } from './rule-condition';

const DESTINATIONS = new Set(['archive', 'ai']);
const ct = { attribute: 'Modality', equals: 'CT' };
const base = { id: 'ct-to-archive', trigger: 'instance', condition: ct, destinations: ['archive'] };

function problemsOf(...rules: unknown[]): readonly string[] {
  const result = parseRules(rules, DESTINATIONS);
  if (result.ok) throw new Error(`expected a refusal, got ${JSON.stringify(result.value)}`);
  return result.error.problems;
}

function valid(...rules: unknown[]): RoutingRule[] {
  const result = parseRules(rules, DESTINATIONS);
  if (!result.ok) throw result.error;
  return result.value;
}

function withCondition(condition: unknown): readonly string[] {
  return problemsOf({ ...base, condition });
}

describe('parseRules: accepted rules', () => {
  it('fills enabled and priority', () => {
    expect(valid(base)).toEqual([{ ...base, enabled: true, priority: 0 }]);
  });

  it('keeps every field of a full rule', () => {
    const rule = {
      id: 'ct-studies',
      name: 'CT studies to the AI service',
      enabled: false,
      priority: -3,
      trigger: 'study-stable',
      condition: {
        all: [
          { any: [ct, { attribute: 'SOPClassUID', wildcard: '1.2.840.10008.5.1.4.1.1.2*' }] },
          { not: { attribute: 'StudyDescription', regex: '.*test.*', ignoreCase: true } },
          { attribute: 'PatientID', present: true },
          { source: { protocol: 'DIMSE', callingAeTitle: { wildcard: 'CT*' }, calledAeTitle: { equals: 'PACS' } } },
          { source: { clientId: { regex: 'svc-.+' }, remoteAddress: { wildcard: '10.1.*' } } },
        ],
      },
      destinations: ['ai', 'archive'],
      modify: { set: { InstitutionName: 'General Hospital', OtherPatientIDs: ['A', 'B'] }, remove: ['00091001'] },
    };
    expect(valid(rule)).toEqual([
      {
        ...rule,
        modify: { set: { InstitutionName: ['General Hospital'], OtherPatientIDs: ['A', 'B'] }, remove: ['00091001'] },
      },
    ]);
  });

  it('names attributes given as tags by their keyword, and keeps private tags as uppercase hex', () => {
    const [rule] = valid({
      ...base,
      condition: {
        all: [
          { attribute: '00080060', equals: 'CT' },
          { attribute: '0009100a', present: true },
        ],
      },
    });
    expect(rule!.condition).toEqual({
      all: [
        { attribute: 'Modality', equals: 'CT' },
        { attribute: '0009100A', present: true },
      ],
    });
  });

  it('accepts value tests on numeric attributes and present on sequences and pixel data', () => {
    expect(() =>
      valid({
        ...base,
        condition: {
          all: [
            { attribute: 'Rows', equals: '512' },
            { attribute: 'ReferencedSeriesSequence', present: false },
            { attribute: 'PixelData', present: true },
          ],
        },
      }),
    ).not.toThrow();
  });

  it('returns frozen rules', () => {
    const [rule] = valid(base);
    expect(Object.isFrozen(rule)).toBe(true);
    expect(Object.isFrozen(rule!.condition)).toBe(true);
    expect(Object.isFrozen(rule!.destinations)).toBe(true);
  });

  it('accepts an empty list', () => {
    expect(valid()).toEqual([]);
  });
});

describe('parseRules: refused rules name the problem', () => {
  it('an unknown keyword', () => {
    expect(withCondition({ all: [ct, { attribute: 'Modalty', equals: 'CT' }] })).toEqual([
      'rules[0].condition.all[1].attribute: unknown DICOM keyword "Modalty": expected a PS3.6 keyword such as "Modality" or 8 hex digits such as "00080060"',
    ]);
  });

  it('a tag that is not 8 hex digits', () => {
    expect(withCondition({ attribute: '(0008,0060)', equals: 'CT' })).toEqual([
      'rules[0].condition.attribute: unknown DICOM keyword "(0008,0060)": expected a PS3.6 keyword such as "Modality" or 8 hex digits such as "00080060"',
    ]);
  });

  it('a bad regex, with the engine message', () => {
    expect(withCondition({ attribute: 'StationName', regex: 'CT(1|2' })).toEqual([
      'rules[0].condition.regex: Invalid regular expression: /CT(1|2/u: Unterminated group',
    ]);
  });

  it('an exponential regex', () => {
    expect(withCondition({ not: { attribute: 'StationName', regex: '(A+)+B' } })).toEqual([
      'rules[0].condition.not.regex: the repeated group "(A+)+" can match the same text in several ways and backtrack exponentially; rewrite it without the nested repetition',
    ]);
  });

  it('a regex that is too long', () => {
    expect(withCondition({ attribute: 'StationName', regex: 'A'.repeat(300) })).toEqual([
      'rules[0].condition.regex: a regular expression has at most 256 characters (got 300)',
    ]);
  });

  it('a bad regex in a source matcher', () => {
    expect(withCondition({ source: { callingAeTitle: { regex: '[' } } })).toEqual([
      'rules[0].condition.source.callingAeTitle.regex: Invalid regular expression: /[/u: Unterminated character class',
    ]);
  });

  it('an unknown destination, listing the known ones', () => {
    expect(problemsOf({ ...base, destinations: ['archive', 'archiv'] })).toEqual([
      'rules[0].destinations[1]: unknown destination "archiv" (known: "archive", "ai")',
    ]);
  });

  it('an unknown destination when the tenant has none', () => {
    const result = parseRules([base], new Set());
    expect(result.ok ? [] : result.error.problems).toEqual([
      'rules[0].destinations[0]: unknown destination "archive" (the tenant has no destinations)',
    ]);
  });

  it('no destination, or one listed twice', () => {
    expect(problemsOf({ ...base, destinations: [] })).toEqual([
      'rules[0].destinations: expected a non-empty array of destination ids (got an empty array)',
    ]);
    expect(problemsOf({ ...base, destinations: ['ai', 'ai'] })).toEqual([
      'rules[0].destinations[1]: destination "ai" is listed twice',
    ]);
  });

  it('a duplicate rule id', () => {
    expect(problemsOf(base, { ...base, id: 'other' }, { ...base, destinations: ['ai'] })).toEqual([
      'rules[2].id: duplicate id "ct-to-archive" (also at rules[0].id)',
    ]);
  });

  it('an empty all or any', () => {
    expect(withCondition({ all: [] })).toEqual([
      'rules[0].condition.all: expected a non-empty array of conditions (got an empty array)',
    ]);
    expect(withCondition({ not: { any: [] } })).toEqual([
      'rules[0].condition.not.any: expected a non-empty array of conditions (got an empty array)',
    ]);
  });

  it('a condition with no kind or with several', () => {
    expect(withCondition({})).toEqual([
      'rules[0].condition: expected exactly one of all, any, not, attribute or source (got fields none)',
    ]);
    expect(withCondition({ all: [ct], any: [ct] })).toEqual([
      'rules[0].condition: expected exactly one of all, any, not, attribute or source (got all and any)',
    ]);
    expect(withCondition({ modality: 'CT' })).toEqual([
      'rules[0].condition: expected exactly one of all, any, not, attribute or source (got fields modality)',
    ]);
    expect(withCondition('Modality=CT')).toEqual([
      'rules[0].condition: expected a condition: an object with all, any, not, attribute or source (got "Modality=CT")',
    ]);
  });

  it('a missing condition', () => {
    const { condition: _condition, ...withoutCondition } = base;
    expect(problemsOf(withoutCondition)).toEqual(['rules[0].condition: missing, expected a condition']);
  });

  it('an attribute test with no operator, two operators, or unknown fields', () => {
    expect(withCondition({ attribute: 'Modality' })).toEqual([
      'rules[0].condition: expected exactly one of equals, wildcard, regex or present (got none)',
    ]);
    expect(withCondition({ attribute: 'Modality', equals: 'CT', wildcard: 'C*' })).toEqual([
      'rules[0].condition: expected exactly one of equals, wildcard, regex or present (got equals and wildcard)',
    ]);
    expect(withCondition({ attribute: 'Modality', equal: 'CT', equals: 'CT' })).toEqual([
      'rules[0].condition.equal: unknown field',
    ]);
    expect(withCondition({ attribute: 'Modality', equals: 'CT', ignoreCase: true })).toEqual([
      'rules[0].condition.ignoreCase: ignoreCase applies to regex only',
    ]);
  });

  it('a value that is not a string', () => {
    expect(withCondition({ attribute: 'Rows', equals: 512 })).toEqual([
      'rules[0].condition.equals: expected a string (got 512) (numbers compare in their string form: write "512")',
    ]);
    expect(withCondition({ attribute: 'PatientID', present: 'yes' })).toEqual([
      'rules[0].condition.present: expected true or false (got "yes")',
    ]);
  });

  it('a value test on a sequence or binary attribute', () => {
    expect(withCondition({ attribute: 'ReferencedSeriesSequence', equals: 'x' })).toEqual([
      'rules[0].condition.attribute: ReferencedSeriesSequence is a sequence (SQ): only "present" applies to it',
    ]);
    expect(withCondition({ attribute: 'PixelData', wildcard: '*' })).toEqual([
      'rules[0].condition.attribute: PixelData is binary (OW or OB): only "present" applies to it',
    ]);
  });

  it('a bad source condition', () => {
    expect(withCondition({ source: {} })).toEqual([
      'rules[0].condition.source: expected an object with at least one of protocol, callingAeTitle, calledAeTitle, clientId, remoteAddress (got an object)',
    ]);
    expect(withCondition({ source: { protocol: 'HL7', callingAeTitle: 'CT1', client: { equals: 'x' } } })).toEqual([
      'rules[0].condition.source.client: unknown field',
      'rules[0].condition.source.protocol: expected "DIMSE" or "STOW-RS" (got "HL7")',
      'rules[0].condition.source.callingAeTitle: expected an object with one of equals, wildcard or regex (got "CT1")',
    ]);
    expect(withCondition({ source: { calledAeTitle: { present: true } } })).toEqual([
      'rules[0].condition.source.calledAeTitle.present: unknown field',
      'rules[0].condition.source.calledAeTitle: expected exactly one of equals, wildcard or regex (got none)',
    ]);
  });

  it(`conditions nested deeper than ${MAX_CONDITION_DEPTH} levels`, () => {
    let condition: unknown = ct;
    for (let level = 0; level < MAX_CONDITION_DEPTH; level++) condition = { not: condition };
    expect(withCondition(condition)).toEqual([
      `rules[0].condition${'.not'.repeat(MAX_CONDITION_DEPTH)}: conditions nest at most ${MAX_CONDITION_DEPTH} levels deep`,
    ]);
  });

  it('bad top-level fields', () => {
    expect(
      problemsOf({ ...base, id: 'CT Rule', trigger: 'stable', enabled: 'yes', priority: 1.5, priorty: 2 }),
    ).toEqual([
      'rules[0].id: expected an id of 1 to 64 characters a-z, 0-9 or "-" (got "CT Rule")',
      'rules[0].enabled: expected true or false (got "yes")',
      'rules[0].priority: expected an integer priority (got 1.5)',
      'rules[0].trigger: expected "instance" or "study-stable" (got "stable")',
      'rules[0].priorty: unknown field',
    ]);
    expect(parseRules({}, DESTINATIONS)).toMatchObject({
      ok: false,
      error: { problems: ['rules: expected an array of rules (got an object)'] },
    });
  });

  it('reports the problems of every rule at once', () => {
    expect(
      problemsOf({ ...base, destinations: ['x'] }, { ...base, id: 'b', condition: { attribute: 'Foo', equals: 'x' } }),
    ).toHaveLength(2);
  });
});

describe('parseRules: modify', () => {
  const withModify = (modify: unknown) => problemsOf({ ...base, modify });

  it.each(['StudyInstanceUID', 'SeriesInstanceUID', 'SOPInstanceUID'])(
    'refuses to change %s, saying why',
    (keyword) => {
      expect(withModify({ set: { [keyword]: '1.2.3' } })).toEqual([
        `rules[0].modify.set.${keyword}: ${keyword} cannot be modified: it is part of the identity of the object (PS3.3 C.12.1, C.7.2.1, C.7.3.1): a copy under another UID is another object, and a resent copy could no longer be recognised as the same`,
      ]);
    },
  );

  it('refuses SOPClassUID, TransferSyntaxUID, PixelData and the rest of the protected set, in set and remove', () => {
    expect(
      withModify({
        set: { SOPClassUID: '1.2.840.10008.5.1.4.1.1.2' },
        remove: [
          'TransferSyntaxUID',
          'PixelData',
          'FloatPixelData',
          'SpecificCharacterSet',
          'MediaStorageSOPInstanceUID',
          'MessageID',
        ],
      }),
    ).toEqual([
      'rules[0].modify.set.SOPClassUID: SOPClassUID cannot be modified: it decides the IOD of the instance and the presentation context it is sent in (PS3.4 B.2)',
      'rules[0].modify.remove[0]: TransferSyntaxUID cannot be modified: it is file meta information (PS3.10 7.1): the sender chooses the transfer syntax per destination',
      'rules[0].modify.remove[1]: PixelData cannot be modified: pixel data is bulk data that a rule cannot rewrite',
      'rules[0].modify.remove[2]: FloatPixelData cannot be modified: pixel data is bulk data that a rule cannot rewrite',
      'rules[0].modify.remove[3]: SpecificCharacterSet cannot be modified: it says how every text value is encoded (PS3.5 6.1.2.3): the sender sets it when it re-encodes',
      'rules[0].modify.remove[4]: MediaStorageSOPInstanceUID cannot be modified: file meta information (PS3.10 7.1) is written by the sender',
      'rules[0].modify.remove[5]: MessageID cannot be modified: command elements (PS3.7 E) are not part of the data set',
    ]);
  });

  it('refuses a protected attribute given by tag', () => {
    expect(withModify({ remove: ['0020000D'] })[0]).toMatch(
      /^rules\[0\]\.modify\.remove\[0\]: StudyInstanceUID cannot be modified/,
    );
  });

  it('refuses unknown keywords, values the VR cannot hold and conflicts', () => {
    expect(
      withModify({
        set: {
          InstitutionNam: 'x',
          InstitutionName: 'A'.repeat(65),
          Modality: 'ct',
          StationName: ['A', 'B'],
          OtherPatientIDs: ['A\\B'],
          ReferencedSeriesSequence: 'x',
          Rows: '512',
          StudyDescription: 7,
          '00091001': 'x',
        },
        remove: ['PatientName', 'PatientName', 'StudyID'],
        keep: ['x'],
      }),
    ).toEqual([
      'rules[0].modify.keep: unknown field',
      'rules[0].modify.set.InstitutionNam: unknown DICOM keyword "InstitutionNam": expected a PS3.6 keyword such as "Modality" or 8 hex digits such as "00080060"',
      `rules[0].modify.set.InstitutionName: a LO value has at most 64 characters, not 65 (got "${'A'.repeat(65)}")`,
      'rules[0].modify.set.Modality: a CS value holds only A-Z, 0-9, space and "_" (got "ct")',
      'rules[0].modify.set.StationName: StationName holds one value (VM 1, PS3.6) (got 2)',
      'rules[0].modify.set.OtherPatientIDs[0]: a backslash separates values in DICOM: give several values as an array (got "A\\\\B")',
      'rules[0].modify.set.ReferencedSeriesSequence: ReferencedSeriesSequence has VR SQ: set writes text VRs only',
      'rules[0].modify.set.Rows: Rows has VR US: set writes text VRs only',
      'rules[0].modify.set.StudyDescription: expected a string or a non-empty array of strings (got 7)',
      'rules[0].modify.set["00091001"]: 00091001 has VR unknown (private tag): set writes text VRs only',
      'rules[0].modify.remove[1]: PatientName is listed twice',
    ]);
    expect(withModify({ set: { StudyID: 'X' }, remove: ['StudyID'] })).toEqual([
      'rules[0].modify.remove[0]: StudyID is both set and removed',
    ]);
    expect(withModify({ set: { InstitutionName: 'A', '00080080': 'B' } })).toEqual([
      'rules[0].modify.set["00080080"]: InstitutionName is set twice',
    ]);
  });

  it('refuses an empty modify, set or remove', () => {
    expect(withModify({})).toEqual(['rules[0].modify: expected an object with set and/or remove (got an object)']);
    expect(withModify({ set: {} })).toEqual([
      'rules[0].modify.set: expected an object of keywords to values (got an object)',
    ]);
    expect(withModify({ remove: [] })).toEqual([
      'rules[0].modify.remove: expected a non-empty array of keywords (got an empty array)',
    ]);
  });

  it('checks UIDs, numbers and AE titles, and lets any text VR be set empty', () => {
    expect(
      withModify({
        set: {
          StudyID: '',
          ReferencedSOPInstanceUID: '1.02',
          SeriesNumber: 'x',
          SliceThickness: '1..5',
          StationAETitle: 'A\\B',
        },
      }),
    ).toEqual([
      'rules[0].modify.set.ReferencedSOPInstanceUID: not a valid UID (PS3.5 9.1) (got "1.02")',
      'rules[0].modify.set.SeriesNumber: not an integer string (IS) (got "x")',
      'rules[0].modify.set.SliceThickness: not a decimal string (DS) (got "1..5")',
      'rules[0].modify.set.StationAETitle: a backslash separates values in DICOM: give several values as an array (got "A\\\\B")',
    ]);
  });
});

describe('parseRule', () => {
  it('validates one rule, named from "rule"', () => {
    expect(parseRule(base, DESTINATIONS)).toEqual({ ok: true, value: { ...base, enabled: true, priority: 0 } });
    const refused = parseRule({ ...base, destinations: ['nowhere'] }, DESTINATIONS);
    expect(refused.ok ? [] : refused.error.problems).toEqual([
      'rule.destinations[0]: unknown destination "nowhere" (known: "archive", "ai")',
    ]);
  });
});
