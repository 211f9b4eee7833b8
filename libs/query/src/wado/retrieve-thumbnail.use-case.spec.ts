import type { InstanceRef } from './instance-catalog';
import { representativeCandidates } from './retrieve-thumbnail.use-case';

const ref = (series: string, sop: string): InstanceRef => ({
  studyInstanceUid: '1',
  seriesInstanceUid: series,
  sopInstanceUid: sop,
  sopClassUid: '1.2.840.10008.5.1.4.1.1.2',
  transferSyntaxUid: '1.2.840.10008.1.2.1',
  version: 1,
  blob: { key: sop, size: 1, sha256: '' },
});

describe('representativeCandidates', () => {
  it('puts the middle instance of each series first, in series order, then the others', () => {
    const refs = [ref('1', 'a'), ref('1', 'b'), ref('1', 'c'), ref('2', 'd'), ref('2', 'e'), ref('3', 'f')];
    expect(representativeCandidates(refs).map((r) => r.sopInstanceUid)).toEqual(['b', 'd', 'f', 'a', 'c', 'e']);
  });
});
