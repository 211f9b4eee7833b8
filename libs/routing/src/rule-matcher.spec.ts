import { entryOfKeyword, formatTag, type DicomJsonDataset, type DicomJsonValue } from '@pacs/dicom';
import { parseRules, type RoutingRule, type RuleTrigger } from './rule';
import { explainRules, matchRules, planForwards } from './rule-matcher';
import type { RoutingSource, RoutingSubject } from './routing-subject';

const DESTINATIONS = new Set(['archive', 'ai', 'teaching']);

/** DICOM JSON from keywords, VRs from the dictionary; `undefined` makes an empty attribute. */
function dataset(values: Record<string, readonly DicomJsonValue[] | undefined>): DicomJsonDataset {
  const out: DicomJsonDataset = {};
  for (const [keyword, list] of Object.entries(values)) {
    const entry = entryOfKeyword(keyword);
    if (!entry) throw new Error(`no keyword ${keyword}`);
    out[formatTag(entry.tag)] = list === undefined ? { vr: entry.vr } : { vr: entry.vr, Value: [...list] };
  }
  return out;
}

function rules(...inputs: Record<string, unknown>[]): RoutingRule[] {
  const result = parseRules(
    inputs.map((input, index) => ({ id: `r${index}`, trigger: 'instance', destinations: ['archive'], ...input })),
    DESTINATIONS,
  );
  if (!result.ok) throw result.error;
  return result.value;
}

const CT_INSTANCE = dataset({
  Modality: ['CT'],
  SOPClassUID: ['1.2.840.10008.5.1.4.1.1.2'],
  ImageType: ['ORIGINAL', 'PRIMARY', 'AXIAL'],
  PatientName: [{ Alphabetic: 'DOE^JOHN' }],
  PatientID: ['P-001'],
  StudyDescription: ['CT HEAD w/o contrast'],
  InstitutionName: undefined,
  SeriesNumber: [7],
  SliceThickness: [1.5],
  Rows: [512],
  StationName: ['CT1 '],
});

const DIMSE_FROM_CT1: RoutingSource = { protocol: 'DIMSE', callingAeTitle: 'CT1', calledAeTitle: 'PACS' };

function matches(condition: unknown, attributes: DicomJsonDataset = CT_INSTANCE, source?: RoutingSource): boolean {
  const subject: RoutingSubject = source ? { attributes, source } : { attributes };
  return matchRules(rules({ condition }), subject, 'instance').length === 1;
}

describe('matchRules: equals (PS3.4 C.2.2.2.1)', () => {
  it('matches the whole value, case-sensitively', () => {
    expect(matches({ attribute: 'Modality', equals: 'CT' })).toBe(true);
    expect(matches({ attribute: 'Modality', equals: 'MR' })).toBe(false);
    expect(matches({ attribute: 'Modality', equals: 'ct' })).toBe(false);
    expect(matches({ attribute: 'Modality', equals: 'C' })).toBe(false);
    expect(matches({ attribute: 'SOPClassUID', equals: '1.2.840.10008.5.1.4.1.1.2' })).toBe(true);
  });

  it('ignores trailing padding of the stored value', () => {
    expect(matches({ attribute: 'StationName', equals: 'CT1' })).toBe(true);
  });

  it('matches an attribute named by its tag', () => {
    expect(matches({ attribute: '00080060', equals: 'CT' })).toBe(true);
  });
});

describe('matchRules: wildcard (PS3.4 C.2.2.2.4)', () => {
  it('lets * and ? match runs and single characters', () => {
    expect(matches({ attribute: 'Modality', wildcard: 'C?' })).toBe(true);
    expect(matches({ attribute: 'Modality', wildcard: 'M?' })).toBe(false);
    expect(matches({ attribute: 'StudyDescription', wildcard: '*HEAD*' })).toBe(true);
    expect(matches({ attribute: 'StudyDescription', wildcard: '*head*' })).toBe(false);
    expect(matches({ attribute: 'SOPClassUID', wildcard: '1.2.840.10008.5.1.4.1.1.2*' })).toBe(true);
  });

  it('takes regular expression metacharacters literally', () => {
    const uid = dataset({ SOPClassUID: ['1x2x840x10008x5x1x4x1x1x2'] });
    expect(matches({ attribute: 'SOPClassUID', wildcard: '1.2.840.10008.5.1.4.1.1.2' }, uid)).toBe(false);
    expect(matches({ attribute: 'StudyDescription', wildcard: 'CT HEAD w/o*' })).toBe(true);
    const brackets = dataset({ StudyDescription: ['[A]+(B)'] });
    expect(matches({ attribute: 'StudyDescription', wildcard: '[A]+(?)' }, brackets)).toBe(true);
    expect(matches({ attribute: 'StudyDescription', wildcard: 'A+(B)' }, brackets)).toBe(false);
  });
});

describe('matchRules: regex', () => {
  it('must match the whole value', () => {
    expect(matches({ attribute: 'Modality', regex: 'CT|MR' })).toBe(true);
    expect(matches({ attribute: 'Modality', regex: 'C' })).toBe(false);
    expect(matches({ attribute: 'StudyDescription', regex: 'HEAD' })).toBe(false);
    expect(matches({ attribute: 'StudyDescription', regex: '.*HEAD.*' })).toBe(true);
  });

  it('is case-sensitive unless ignoreCase', () => {
    expect(matches({ attribute: 'StudyDescription', regex: '.*head.*' })).toBe(false);
    expect(matches({ attribute: 'StudyDescription', regex: '.*head.*', ignoreCase: true })).toBe(true);
  });
});

describe('matchRules: present', () => {
  it('says whether the attribute is in the data set, empty or not', () => {
    expect(matches({ attribute: 'PatientID', present: true })).toBe(true);
    expect(matches({ attribute: 'InstitutionName', present: true })).toBe(true);
    expect(matches({ attribute: 'AccessionNumber', present: true })).toBe(false);
    expect(matches({ attribute: 'AccessionNumber', present: false })).toBe(true);
    expect(matches({ attribute: 'PatientID', present: false })).toBe(false);
  });

  it('applies to binary attributes', () => {
    const withPixels = { ...CT_INSTANCE, [formatTag(0x7fe00010)]: { vr: 'OW' as const, BulkDataURI: 'http://x/bulk' } };
    expect(matches({ attribute: 'PixelData', present: true }, withPixels)).toBe(true);
    expect(matches({ attribute: 'PixelData', present: true })).toBe(false);
  });
});

describe('matchRules: missing and empty attributes', () => {
  it('never matches a value test on a missing attribute', () => {
    expect(matches({ attribute: 'AccessionNumber', equals: '' })).toBe(false);
    expect(matches({ attribute: 'AccessionNumber', wildcard: '*' })).toBe(false);
    expect(matches({ attribute: 'AccessionNumber', regex: '.*' })).toBe(false);
    expect(matches({ not: { attribute: 'AccessionNumber', equals: 'A1' } })).toBe(true);
  });

  it('sees an empty attribute as one empty value', () => {
    expect(matches({ attribute: 'InstitutionName', equals: '' })).toBe(true);
    expect(matches({ attribute: 'InstitutionName', wildcard: '*' })).toBe(true);
    expect(matches({ attribute: 'InstitutionName', regex: '.+' })).toBe(false);
  });

  it('gives binary values no text', () => {
    const binary = { '00091010': { vr: 'UN' as const, InlineBinary: 'AAEC' } };
    expect(matches({ attribute: '00091010', equals: '' }, binary)).toBe(false);
    expect(matches({ attribute: '00091010', present: true }, binary)).toBe(true);
  });
});

describe('matchRules: multi-valued attributes', () => {
  it('matches when any value does', () => {
    expect(matches({ attribute: 'ImageType', equals: 'AXIAL' })).toBe(true);
    expect(matches({ attribute: 'ImageType', equals: 'ORIGINAL' })).toBe(true);
    expect(matches({ attribute: 'ImageType', equals: 'DERIVED' })).toBe(false);
    expect(matches({ attribute: 'ImageType', wildcard: 'PRIM*' })).toBe(true);
    expect(matches({ attribute: 'ImageType', regex: 'LOCALIZER|SCOUT' })).toBe(false);
  });

  it('never joins the values with a backslash', () => {
    expect(matches({ attribute: 'ImageType', equals: 'ORIGINAL\\PRIMARY\\AXIAL' })).toBe(false);
    expect(matches({ attribute: 'ImageType', wildcard: 'ORIGINAL*AXIAL' })).toBe(false);
  });

  it('sees an empty value among several as ""', () => {
    const withGap = dataset({ ImageType: ['DERIVED', null, 'MPR'] });
    expect(matches({ attribute: 'ImageType', equals: '' }, withGap)).toBe(true);
    expect(matches({ attribute: 'ImageType', equals: 'MPR' }, withGap)).toBe(true);
  });
});

describe('matchRules: person names', () => {
  it('matches the Alphabetic group, ignoring case for equals and wildcard', () => {
    expect(matches({ attribute: 'PatientName', equals: 'DOE^JOHN' })).toBe(true);
    expect(matches({ attribute: 'PatientName', equals: 'Doe^John' })).toBe(true);
    expect(matches({ attribute: 'PatientName', equals: 'DOE' })).toBe(false);
    expect(matches({ attribute: 'PatientName', wildcard: 'doe^*' })).toBe(true);
    expect(matches({ attribute: 'PatientName', wildcard: 'SMITH^*' })).toBe(false);
  });

  it('leaves case to the regex', () => {
    expect(matches({ attribute: 'PatientName', regex: 'DOE\\^.*' })).toBe(true);
    expect(matches({ attribute: 'PatientName', regex: 'doe\\^.*' })).toBe(false);
    expect(matches({ attribute: 'PatientName', regex: 'doe\\^.*', ignoreCase: true })).toBe(true);
  });

  it('reads a name without an Alphabetic group as ""', () => {
    const ideographic = dataset({ PatientName: [{ Ideographic: '山田^太郎' }] });
    expect(matches({ attribute: 'PatientName', equals: '' }, ideographic)).toBe(true);
    expect(matches({ attribute: 'PatientName', wildcard: '山田*' }, ideographic)).toBe(false);
  });

  it('keeps other VRs case-sensitive (PS3.4 C.2.2.2.4 makes only PN case-insensitive)', () => {
    expect(matches({ attribute: 'PatientID', equals: 'p-001' })).toBe(false);
    expect(matches({ attribute: 'PatientID', wildcard: 'p-*' })).toBe(false);
  });
});

describe('matchRules: numbers', () => {
  it('compares their JavaScript string form', () => {
    expect(matches({ attribute: 'SeriesNumber', equals: '7' })).toBe(true);
    expect(matches({ attribute: 'SeriesNumber', equals: '007' })).toBe(false);
    expect(matches({ attribute: 'SliceThickness', equals: '1.5' })).toBe(true);
    expect(matches({ attribute: 'SliceThickness', equals: '1.50' })).toBe(false);
    expect(matches({ attribute: 'Rows', regex: '5\\d\\d' })).toBe(true);
    expect(matches({ attribute: 'Rows', wildcard: '2??' })).toBe(false);
  });
});

describe('matchRules: all, any, not', () => {
  const ct = { attribute: 'Modality', equals: 'CT' };
  const mr = { attribute: 'Modality', equals: 'MR' };
  const head = { attribute: 'StudyDescription', wildcard: '*HEAD*' };

  it('all needs every condition', () => {
    expect(matches({ all: [ct, head] })).toBe(true);
    expect(matches({ all: [ct, mr] })).toBe(false);
    expect(matches({ all: [ct] })).toBe(true);
  });

  it('any needs one', () => {
    expect(matches({ any: [mr, ct] })).toBe(true);
    expect(matches({ any: [mr, { attribute: 'Modality', equals: 'PT' }] })).toBe(false);
  });

  it('not inverts', () => {
    expect(matches({ not: mr })).toBe(true);
    expect(matches({ not: ct })).toBe(false);
    expect(matches({ not: { not: ct } })).toBe(true);
  });

  it('nests', () => {
    expect(
      matches({ all: [{ any: [mr, ct] }, { not: { any: [mr, { attribute: 'PatientID', equals: 'X' }] } }, head] }),
    ).toBe(true);
    expect(matches({ any: [{ all: [ct, mr] }, { all: [head, { not: head }] }] })).toBe(false);
  });
});

describe('matchRules: source', () => {
  it('matches protocol, AE titles, client and address', () => {
    const stow: RoutingSource = { protocol: 'STOW-RS', clientId: 'svc-ai', remoteAddress: '10.1.2.3' };
    expect(matches({ source: { protocol: 'DIMSE' } }, CT_INSTANCE, DIMSE_FROM_CT1)).toBe(true);
    expect(matches({ source: { protocol: 'STOW-RS' } }, CT_INSTANCE, DIMSE_FROM_CT1)).toBe(false);
    expect(matches({ source: { callingAeTitle: { wildcard: 'CT*' } } }, CT_INSTANCE, DIMSE_FROM_CT1)).toBe(true);
    expect(matches({ source: { callingAeTitle: { wildcard: 'MR*' } } }, CT_INSTANCE, DIMSE_FROM_CT1)).toBe(false);
    expect(matches({ source: { calledAeTitle: { equals: 'PACS' } } }, CT_INSTANCE, DIMSE_FROM_CT1)).toBe(true);
    expect(matches({ source: { clientId: { regex: 'svc-.+' } } }, CT_INSTANCE, stow)).toBe(true);
    expect(matches({ source: { remoteAddress: { wildcard: '10.1.*' } } }, CT_INSTANCE, stow)).toBe(true);
    expect(matches({ source: { remoteAddress: { wildcard: '10.2.*' } } }, CT_INSTANCE, stow)).toBe(false);
  });

  it('needs every field given', () => {
    const condition = { source: { protocol: 'DIMSE', callingAeTitle: { equals: 'CT1' } } };
    expect(matches(condition, CT_INSTANCE, DIMSE_FROM_CT1)).toBe(true);
    expect(matches(condition, CT_INSTANCE, { ...DIMSE_FROM_CT1, callingAeTitle: 'CT2' })).toBe(false);
  });

  it('compares AE titles case-sensitively with padding ignored (PS3.5 6.2)', () => {
    const padded: RoutingSource = { protocol: 'DIMSE', callingAeTitle: ' CT1  ' };
    expect(matches({ source: { callingAeTitle: { equals: 'CT1' } } }, CT_INSTANCE, padded)).toBe(true);
    expect(matches({ source: { callingAeTitle: { equals: 'ct1' } } }, CT_INSTANCE, padded)).toBe(false);
  });

  it('does not match without a source or without the field', () => {
    expect(matches({ source: { protocol: 'DIMSE' } })).toBe(false);
    expect(matches({ not: { source: { protocol: 'DIMSE' } } })).toBe(true);
    expect(matches({ source: { clientId: { wildcard: '*' } } }, CT_INSTANCE, DIMSE_FROM_CT1)).toBe(false);
  });
});

describe('matchRules: selection and order', () => {
  const ct = { attribute: 'Modality', equals: 'CT' };
  const subject: RoutingSubject = { attributes: CT_INSTANCE };
  const ids = (list: RoutingRule[]) => list.map((rule) => rule.id);

  it('keeps only the rules of the trigger', () => {
    const set = rules({ id: 'each', condition: ct }, { id: 'study', trigger: 'study-stable', condition: ct });
    expect(ids(matchRules(set, subject, 'instance'))).toEqual(['each']);
    expect(ids(matchRules(set, subject, 'study-stable'))).toEqual(['study']);
  });

  it('leaves disabled rules out', () => {
    const set = rules({ id: 'on', condition: ct }, { id: 'off', enabled: false, condition: ct });
    expect(ids(matchRules(set, subject, 'instance'))).toEqual(['on']);
  });

  it('orders by priority, highest first, then by id', () => {
    const set = rules(
      { id: 'c', condition: ct },
      { id: 'low', priority: -1, condition: ct },
      { id: 'b', condition: ct },
      { id: 'high', priority: 10, condition: ct },
      { id: 'miss', priority: 20, condition: { attribute: 'Modality', equals: 'MR' } },
    );
    expect(ids(matchRules(set, subject, 'instance'))).toEqual(['high', 'b', 'c', 'low']);
    expect(ids(matchRules([...set].reverse(), subject, 'instance'))).toEqual(['high', 'b', 'c', 'low']);
  });

  it('returns nothing when nothing matches', () => {
    expect(matchRules(rules({ condition: { attribute: 'Modality', equals: 'MR' } }), subject, 'instance')).toEqual([]);
    expect(matchRules([], subject, 'instance')).toEqual([]);
  });
});

describe('planForwards', () => {
  const ct = { attribute: 'Modality', equals: 'CT' };
  const subject: RoutingSubject = { attributes: CT_INSTANCE };

  it('sends once to a destination that several rules name, listing the rules in priority order', () => {
    const set = rules(
      { id: 'all-ct', priority: 1, condition: ct, destinations: ['archive', 'ai'] },
      {
        id: 'heads',
        priority: 5,
        condition: { attribute: 'StudyDescription', wildcard: '*HEAD*' },
        destinations: ['ai'],
      },
      { id: 'mr', priority: 9, condition: { attribute: 'Modality', equals: 'MR' }, destinations: ['teaching'] },
    );
    expect(planForwards(set, subject, 'instance')).toEqual([
      { destinationId: 'ai', ruleIds: ['heads', 'all-ct'] },
      { destinationId: 'archive', ruleIds: ['all-ct'] },
    ]);
  });

  it('merges modifications in priority order: the first rule to set or remove an attribute decides', () => {
    const set = rules(
      {
        id: 'top',
        priority: 10,
        condition: ct,
        destinations: ['archive'],
        modify: { set: { InstitutionName: 'Top' }, remove: ['PatientComments'] },
      },
      {
        id: 'middle',
        priority: 5,
        condition: ct,
        destinations: ['archive', 'ai'],
        modify: { set: { InstitutionName: 'Middle', StationName: 'S1', PatientComments: 'kept?' } },
      },
      {
        id: 'bottom',
        priority: 1,
        condition: ct,
        destinations: ['archive'],
        modify: { set: { StudyID: 'X' }, remove: ['StationName'] },
      },
    );
    expect(planForwards(set, subject, 'instance')).toEqual([
      {
        destinationId: 'archive',
        ruleIds: ['top', 'middle', 'bottom'],
        modify: {
          set: { InstitutionName: ['Top'], StationName: ['S1'], StudyID: ['X'] },
          remove: ['PatientComments'],
        },
      },
      {
        destinationId: 'ai',
        ruleIds: ['middle'],
        modify: { set: { InstitutionName: ['Middle'], StationName: ['S1'], PatientComments: ['kept?'] } },
      },
    ]);
  });

  it('lets a higher-priority removal win over a lower-priority set, and the other way round', () => {
    const set = rules(
      { id: 'strip', priority: 2, condition: ct, modify: { remove: ['InstitutionName'] } },
      { id: 'stamp', priority: 1, condition: ct, modify: { set: { InstitutionName: 'X', StationName: 'Y' } } },
      { id: 'late', priority: 0, condition: ct, modify: { remove: ['StationName'] } },
    );
    expect(planForwards(set, subject, 'instance')).toEqual([
      {
        destinationId: 'archive',
        ruleIds: ['strip', 'stamp', 'late'],
        modify: { set: { StationName: ['Y'] }, remove: ['InstitutionName'] },
      },
    ]);
  });

  it('plans nothing for non-matching, disabled or other-trigger rules', () => {
    const set = rules(
      { condition: { attribute: 'Modality', equals: 'MR' } },
      { enabled: false, condition: ct },
      { trigger: 'study-stable', condition: ct },
    );
    expect(planForwards(set, subject, 'instance')).toEqual([]);
  });
});

describe('explainRules', () => {
  const subject: RoutingSubject = { attributes: CT_INSTANCE, source: DIMSE_FROM_CT1 };

  it('gives the first condition that failed, by path', () => {
    const set = rules(
      { id: 'leaf', condition: { attribute: 'Modality', equals: 'MR' } },
      {
        id: 'in-all',
        condition: {
          all: [
            { attribute: 'Modality', equals: 'CT' },
            { attribute: 'ImageType', wildcard: 'LOC*' },
          ],
        },
      },
      {
        id: 'nested',
        condition: {
          all: [
            {
              any: [
                { attribute: 'Modality', equals: 'MR' },
                { attribute: 'Modality', equals: 'PT' },
              ],
            },
          ],
        },
      },
      { id: 'negated', condition: { not: { attribute: 'Modality', equals: 'CT' } } },
      { id: 'absent', condition: { attribute: 'AccessionNumber', equals: 'A1' } },
      { id: 'source', condition: { all: [{ source: { protocol: 'DIMSE', callingAeTitle: { wildcard: 'MR*' } } }] } },
      { id: 'present', condition: { attribute: 'PatientID', present: false } },
      { id: 'name', condition: { attribute: 'PatientName', equals: 'SMITH' } },
    );
    const failures = Object.fromEntries(explainRules(set, subject, 'instance').map((e) => [e.ruleId, e.failed]));
    expect(failures).toEqual({
      leaf: { path: 'condition', reason: 'Modality equals "MR" (got "CT")' },
      'in-all': { path: 'condition.all[1]', reason: 'ImageType wildcard "LOC*" (got "ORIGINAL", "PRIMARY", "AXIAL")' },
      nested: { path: 'condition.all[0]', reason: 'none of the 2 conditions of "any" matched' },
      negated: { path: 'condition', reason: 'the negated condition matched: Modality equals "CT"' },
      absent: { path: 'condition', reason: 'AccessionNumber equals "A1" (absent)' },
      source: {
        path: 'condition.all[0].source.callingAeTitle',
        reason: 'source callingAeTitle wildcard "MR*" (got "CT1")',
      },
      present: { path: 'condition', reason: 'PatientID absent (got "P-001")' },
      name: { path: 'condition', reason: 'PatientName equals "SMITH" (got "DOE^JOHN")' },
    });
  });

  it('says when there is no source', () => {
    const [explanation] = explainRules(
      rules({ condition: { source: { protocol: 'DIMSE' } } }),
      { attributes: CT_INSTANCE },
      'instance',
    );
    expect(explanation!.failed).toEqual({
      path: 'condition.source.protocol',
      reason: 'source protocol is "DIMSE" (no source given)',
    });
  });

  it('lists every rule in priority order, matched, skipped or failed', () => {
    const ct = { attribute: 'Modality', equals: 'CT' };
    const set = rules(
      { id: 'off', enabled: false, priority: 3, condition: ct },
      { id: 'stable', trigger: 'study-stable', priority: 2, condition: ct },
      { id: 'hit', priority: 1, condition: ct, destinations: ['ai', 'archive'] },
      { id: 'miss', condition: { attribute: 'Modality', equals: 'MR' } },
    );
    expect(explainRules(set, subject, 'instance')).toEqual([
      { ruleId: 'off', matched: false, skipped: 'disabled', destinations: ['archive'] },
      { ruleId: 'stable', matched: false, skipped: 'other-trigger', destinations: ['archive'] },
      { ruleId: 'hit', matched: true, destinations: ['ai', 'archive'] },
      {
        ruleId: 'miss',
        matched: false,
        failed: { path: 'condition', reason: 'Modality equals "MR" (got "CT")' },
        destinations: ['archive'],
      },
    ]);
  });

  it('agrees with matchRules', () => {
    const set = rules(
      {
        condition: {
          any: [{ attribute: 'Modality', equals: 'MR' }, { not: { attribute: 'PatientID', present: true } }],
        },
      },
      { condition: { all: [{ attribute: 'ImageType', equals: 'AXIAL' }, { source: { protocol: 'DIMSE' } }] } },
      {
        condition: {
          not: {
            any: [
              { attribute: 'Rows', equals: '256' },
              { attribute: 'PatientName', wildcard: 'x*' },
            ],
          },
        },
      },
      { condition: { attribute: 'InstitutionName', equals: '' } },
    );
    const subjects: RoutingSubject[] = [
      { attributes: CT_INSTANCE },
      { attributes: CT_INSTANCE, source: DIMSE_FROM_CT1 },
      { attributes: dataset({ Modality: ['MR'], ImageType: ['AXIAL'], Rows: [256] }) },
      { attributes: {} },
    ];
    for (const one of subjects) {
      for (const trigger of ['instance', 'study-stable'] as RuleTrigger[]) {
        const matched = matchRules(set, one, trigger).map((rule) => rule.id);
        const explained = explainRules(set, one, trigger)
          .filter((explanation) => explanation.matched)
          .map((explanation) => explanation.ruleId);
        expect(explained).toEqual(matched);
      }
    }
  });
});
