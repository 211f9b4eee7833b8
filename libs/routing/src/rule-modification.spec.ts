import { mergeModifications } from './rule-modification';

describe('mergeModifications', () => {
  it('is undefined when nothing changes', () => {
    expect(mergeModifications([])).toBeUndefined();
    expect(mergeModifications([undefined, undefined])).toBeUndefined();
  });

  it('lets the first modification to name an attribute decide', () => {
    expect(
      mergeModifications([
        { set: { InstitutionName: ['A'] } },
        undefined,
        { set: { InstitutionName: ['B'], StationName: ['S'] }, remove: ['InstitutionName', 'StudyID'] },
        { set: { StudyID: ['1'] } },
      ]),
    ).toEqual({ set: { InstitutionName: ['A'], StationName: ['S'] }, remove: ['StudyID'] });
  });

  it('keeps an earlier removal over a later set', () => {
    expect(mergeModifications([{ remove: ['PatientComments'] }, { set: { PatientComments: ['x'] } }])).toEqual({
      remove: ['PatientComments'],
    });
  });
});
