import { entryOfKeyword, formatTag, type DicomJsonDataset } from '@pacs/dicom';
import { parseRules } from '../rule';
import { InstanceDryRun } from './instance-dry-run';

function dataset(values: Record<string, string>): DicomJsonDataset {
  const out: DicomJsonDataset = {};
  for (const [keyword, value] of Object.entries(values)) {
    const entry = entryOfKeyword(keyword)!;
    out[formatTag(entry.tag)] = { vr: entry.vr, Value: [value] };
  }
  return out;
}

const parsed = parseRules(
  [
    { id: 'ct', trigger: 'instance', condition: { attribute: 'Modality', equals: 'CT' }, destinations: ['a'] },
    {
      id: 'axial-ct',
      priority: 5,
      trigger: 'instance',
      condition: {
        all: [
          { attribute: 'Modality', equals: 'CT' },
          { attribute: 'SeriesDescription', wildcard: 'AX*' },
        ],
      },
      destinations: ['a'],
    },
    {
      id: 'off',
      enabled: false,
      trigger: 'instance',
      condition: { attribute: 'Modality', present: true },
      destinations: ['a'],
    },
    { id: 'study', trigger: 'study-stable', condition: { attribute: 'Modality', equals: 'CT' }, destinations: ['a'] },
  ],
  new Set(['a']),
);
if (!parsed.ok) throw parsed.error;
const rules = parsed.value;

describe('InstanceDryRun', () => {
  it('counts per rule the instances it matches, with the first failure, in priority order', () => {
    const run = new InstanceDryRun(rules);
    run.add('1.1', { attributes: dataset({ Modality: 'CT', SeriesDescription: 'AXIAL 1mm' }) });
    run.add('1.2', { attributes: dataset({ Modality: 'CT', SeriesDescription: 'SCOUT' }) });
    run.add('1.3', { attributes: dataset({ Modality: 'SR' }) });
    expect(run.instances).toBe(3);
    expect(run.verdicts()).toEqual([
      {
        ruleId: 'axial-ct',
        matched: true,
        matchedInstances: 1,
        failed: {
          sopInstanceUid: '1.2',
          path: 'condition.all[1]',
          reason: 'SeriesDescription wildcard "AX*" (got "SCOUT")',
        },
        destinations: ['a'],
      },
      {
        ruleId: 'ct',
        matched: true,
        matchedInstances: 2,
        failed: { sopInstanceUid: '1.3', path: 'condition', reason: 'Modality equals "CT" (got "SR")' },
        destinations: ['a'],
      },
      { ruleId: 'off', matched: false, matchedInstances: 0, skipped: 'disabled', destinations: ['a'] },
      { ruleId: 'study', matched: false, matchedInstances: 0, skipped: 'other-trigger', destinations: ['a'] },
    ]);
  });

  it("fails a source test: the instance's source is not stored", () => {
    const sourced = parseRules(
      [{ id: 's', trigger: 'instance', condition: { source: { protocol: 'DIMSE' } }, destinations: ['a'] }],
      new Set(['a']),
    );
    if (!sourced.ok) throw sourced.error;
    const run = new InstanceDryRun(sourced.value);
    run.add('1.1', { attributes: dataset({ Modality: 'CT' }) });
    expect(run.verdicts()[0]).toMatchObject({
      matched: false,
      failed: { path: 'condition.source.protocol', reason: 'source protocol is "DIMSE" (no source given)' },
    });
  });
});
