import type { RoutingConfigDocuments } from '@pacs/routing-store';
import { deleteDestination, deleteRule, putDestination, putRule } from './config-changes';
import { HttpProblem } from './http-problem';

const ARCHIVE = { id: 'archive', kind: 'dimse', aeTitle: 'ARCHIVE', host: 'archive', port: 104 };
const ORTHANC = {
  id: 'orthanc',
  kind: 'dicomweb',
  stowUrl: 'http://orthanc:8042/dicom-web/studies',
  headers: { Authorization: 'Basic b3J0aGFuYzpvcnRoYW5j' },
};
const CT_RULE = {
  id: 'ct',
  trigger: 'instance',
  condition: { attribute: 'Modality', equals: 'CT' },
  destinations: ['archive'],
};
const CURRENT: RoutingConfigDocuments = { destinations: [ARCHIVE, ORTHANC], rules: [CT_RULE] };

function refusal(change: () => unknown): unknown {
  try {
    change();
  } catch (error) {
    if (error instanceof HttpProblem) return { status: error.status, detail: error.detail, ...error.extensions };
    throw error;
  }
  throw new Error('accepted');
}

describe('putDestination', () => {
  it('adds a new destination in its validated form', () => {
    const put = putDestination(CURRENT, 'viewer', { kind: 'dimse', aeTitle: ' VIEWER ', host: 'ws1', port: 11112 });
    expect(put.created).toBe(true);
    expect(put.stored).toEqual({
      id: 'viewer',
      kind: 'dimse',
      aeTitle: 'VIEWER',
      host: 'ws1',
      port: 11112,
      tls: false,
      maxConcurrency: 4,
    });
    expect(put.documents).toEqual({ destinations: [ARCHIVE, ORTHANC, put.stored], rules: [CT_RULE] });
  });

  it('replaces one in place, keeping a header sent back as "***"', () => {
    const put = putDestination(CURRENT, 'orthanc', {
      ...ORTHANC,
      headers: { Authorization: '***' },
      maxConcurrency: 2,
    });
    expect(put.created).toBe(false);
    expect(put.stored).toMatchObject({ headers: ORTHANC.headers, maxConcurrency: 2 });
    expect(put.documents.destinations.map((d) => d['id'])).toEqual(['archive', 'orthanc']);
  });

  it("refuses an id that is not the path's, and names each problem of the destination", () => {
    expect(refusal(() => putDestination(CURRENT, 'archive', { ...ARCHIVE, id: 'other' }))).toMatchObject({
      status: 400,
      problems: ['destination.id: "other" is not the id of the path, "archive"'],
    });
    expect(refusal(() => putDestination(CURRENT, 'archive', { ...ARCHIVE, port: 70000, tsl: true }))).toEqual({
      status: 400,
      detail: expect.stringMatching(/^invalid destination: /),
      problems: ['destination.port: expected an integer from 1 to 65535 (got 70000)', 'destination.tsl: unknown field'],
    });
    expect(refusal(() => putDestination(CURRENT, 'Bad_Id', { kind: 'dimse' }))).toMatchObject({
      problems: expect.arrayContaining([expect.stringMatching(/^destination\.id: expected an id/)]),
    });
  });
});

describe('deleteDestination', () => {
  it('removes an unused destination', () => {
    expect(deleteDestination(CURRENT, 'orthanc')).toEqual({ destinations: [ARCHIVE], rules: [CT_RULE] });
  });

  it('refuses one a rule sends to (409 naming the rules) and an unknown one (404)', () => {
    const current = { ...CURRENT, rules: [CT_RULE, { ...CT_RULE, id: 'mr', destinations: ['orthanc', 'archive'] }] };
    expect(refusal(() => deleteDestination(current, 'archive'))).toEqual({
      status: 409,
      detail: 'destination "archive" is used by rules "ct", "mr": change or delete them first',
      rules: ['ct', 'mr'],
    });
    expect(refusal(() => deleteDestination(CURRENT, 'nowhere'))).toMatchObject({ status: 404 });
  });
});

describe('putRule and deleteRule', () => {
  it('stores a rule in its validated form, against the destinations of the tenant', () => {
    const put = putRule(CURRENT, 'mr', {
      trigger: 'study-stable',
      condition: { attribute: '00080060', equals: 'MR' },
      destinations: ['orthanc'],
      modify: { set: { InstitutionName: 'General Hospital' } },
    });
    expect(put.created).toBe(true);
    expect(put.stored).toEqual({
      id: 'mr',
      enabled: true,
      priority: 0,
      trigger: 'study-stable',
      condition: { attribute: 'Modality', equals: 'MR' },
      destinations: ['orthanc'],
      modify: { set: { InstitutionName: ['General Hospital'] } },
    });
    expect(putRule(CURRENT, 'ct', { ...CT_RULE, priority: 5 }).created).toBe(false);
  });

  it('names a bad regex, an unknown keyword and an unknown destination', () => {
    const refused = refusal(() =>
      putRule(CURRENT, 'bad', {
        trigger: 'instance',
        condition: {
          all: [
            { attribute: 'Modalty', equals: 'CT' },
            { attribute: 'StudyDescription', regex: '(' },
          ],
        },
        destinations: ['archiv'],
      }),
    ) as { problems: string[] };
    expect(refused.problems).toEqual([
      expect.stringMatching(/^rule\.condition\.all\[0\]\.attribute: unknown DICOM keyword "Modalty"/),
      expect.stringMatching(/^rule\.condition\.all\[1\]\.regex: Invalid regular expression/),
      'rule.destinations[0]: unknown destination "archiv" (known: "archive", "orthanc")',
    ]);
  });

  it('deletes a rule, 404 for an unknown one', () => {
    expect(deleteRule(CURRENT, 'ct').rules).toEqual([]);
    expect(refusal(() => deleteRule(CURRENT, 'nope'))).toMatchObject({ status: 404, detail: 'no rule "nope"' });
  });
});
