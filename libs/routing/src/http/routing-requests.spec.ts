import { HttpProblem } from './http-problem';
import { parseDryRun, parseManualForward } from './routing-requests';

function refusal(parse: () => unknown): unknown {
  try {
    parse();
  } catch (error) {
    if (error instanceof HttpProblem) return { status: error.status, detail: error.detail, ...error.extensions };
    throw error;
  }
  throw new Error('accepted');
}

describe('parseManualForward', () => {
  it('reads a study, a series or an instance', () => {
    expect(parseManualForward({ destinationId: 'archive', studyInstanceUid: '1.2.3' })).toEqual({
      destinationId: 'archive',
      scope: { studyInstanceUid: '1.2.3' },
    });
    expect(
      parseManualForward({
        destinationId: 'archive',
        studyInstanceUid: '1.2.3',
        seriesInstanceUid: '1.2.3.4',
        sopInstanceUid: '1.2.3.4.5',
      }).scope,
    ).toEqual({ studyInstanceUid: '1.2.3', seriesInstanceUid: '1.2.3.4', sopInstanceUid: '1.2.3.4.5' });
  });

  it('names every problem, with a detail', () => {
    expect(
      refusal(() => parseManualForward({ destination: 'archive', studyInstanceUid: '1.2.03', sopInstanceUid: 5 })),
    ).toEqual({
      status: 400,
      detail: expect.stringMatching(/^invalid forward: destination: unknown field/),
      problems: [
        'destination: unknown field (expected destinationId, studyInstanceUid, seriesInstanceUid, sopInstanceUid)',
        'destinationId: missing, expected a destination id',
        'studyInstanceUid: expected a UID, digits and dots of at most 64 characters (got "1.2.03")',
        'sopInstanceUid: expected a UID, digits and dots of at most 64 characters (got 5)',
        'sopInstanceUid: needs the seriesInstanceUid of its series',
      ],
    });
    expect(refusal(() => parseManualForward({ destinationId: 'a' }))).toMatchObject({
      problems: ['studyInstanceUid: missing, expected a UID'],
    });
  });
});

describe('parseDryRun', () => {
  it('takes the study-stable trigger when none is given', () => {
    expect(parseDryRun({ studyInstanceUid: '1.2.3' })).toEqual({ studyInstanceUid: '1.2.3', trigger: 'study-stable' });
    expect(parseDryRun({ studyInstanceUid: '1.2.3', trigger: 'instance' }).trigger).toBe('instance');
  });

  it('names a wrong trigger and a wrong UID', () => {
    expect(refusal(() => parseDryRun({ studyInstanceUid: 'x', trigger: 'study.stable' }))).toMatchObject({
      status: 400,
      problems: [
        'studyInstanceUid: expected a UID, digits and dots of at most 64 characters (got "x")',
        'trigger: expected "instance" or "study-stable" (got "study.stable")',
      ],
    });
  });
});
