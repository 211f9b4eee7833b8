import { formatTag } from '@pacs/dicom';
import { matchAttribute } from '../query/match-attribute';
import { parseQidoQuery } from '../query/parse-qido-query';
import type { MetadataIndex } from '../metadata-index.port';
import { contractContext, sharedContractContext, type ContractContext } from './contract-context';
import { archive, CT_IMAGE, indexedInstance, MR_IMAGE, tag, uidsOf } from './contract-fixtures';

/** Study searches through searchStudies, the alias of a study-level search. */
export function describeStudySearch(open: () => Promise<MetadataIndex>): void {
  describe('on an index of their own', () => describeStudyUpserts(contractContext(open)));
  describe('on the archive', () => describeStudyMatching(sharedContractContext(open, archive)));
}

function searchOf(context: Pick<ContractContext, 'index'>) {
  return async (query: string, tenantId = 'radiology') => {
    const parsed = parseQidoQuery(new URLSearchParams(query));
    return context.index.searchStudies(
      tenantId,
      parsed.keys,
      { limit: parsed.limit, offset: parsed.offset },
      { fuzzy: parsed.fuzzy },
    );
  };
}

function describeStudyUpserts(context: ContractContext): void {
  const search = searchOf(context);

  it('indexes a copy once: the same copy again is unchanged', async () => {
    const copy = archive()[0]!;
    expect(await context.index.upsertInstance(copy)).toBe('created');
    expect(await context.index.upsertInstance(copy)).toBe('unchanged');
    const { results } = await search('');
    expect(results).toHaveLength(1);
    expect(results[0]![tag('NumberOfStudyRelatedInstances')]).toEqual({ vr: 'IS', Value: [1] });
  });

  it('keeps per study its patient and study attributes and the computed counts, modalities and classes', async () => {
    await context.load();
    // A second version of an instance is not a second instance.
    await context.index.upsertInstance(
      indexedInstance({
        study: '1.1',
        series: '1.1.1',
        sop: '1.1.1.1',
        version: 2,
        patientId: 'P1',
        patientName: { Alphabetic: 'Müller^Jürgen' },
        studyDate: '20200110',
        accessionNumber: 'A1',
        studyDescription: 'CHEST PA',
      }),
    );
    const { results } = await search('StudyInstanceUID=1.1');
    expect(results).toHaveLength(1);
    const study = results[0]!;
    expect(study[tag('NumberOfStudyRelatedSeries')]).toEqual({ vr: 'IS', Value: [2] });
    expect(study[tag('NumberOfStudyRelatedInstances')]).toEqual({ vr: 'IS', Value: [3] });
    expect(study[tag('ModalitiesInStudy')]).toEqual({ vr: 'CS', Value: ['CT', 'MR'] });
    expect(study[tag('SOPClassesInStudy')]).toEqual({ vr: 'UI', Value: [CT_IMAGE, MR_IMAGE] });
    expect(study[tag('PatientID')]).toEqual({ vr: 'LO', Value: ['P1'] });
    expect(study[tag('StudyDescription')]).toEqual({ vr: 'LO', Value: ['CHEST PA'] });
    expect(study[tag('SOPInstanceUID')]).toBeUndefined();
    expect(study[tag('Modality')]).toBeUndefined();
  });

  it('answers searchStudies as a study-level search', async () => {
    await context.load();
    const parsed = parseQidoQuery(new URLSearchParams('PatientID=P1&limit=1&offset=1'));
    expect(await context.index.searchStudies('radiology', parsed.keys, { limit: 1, offset: 1 })).toEqual(
      await context.index.search('radiology', 'study', {}, parsed.keys, { limit: 1, offset: 1 }),
    );
  });

  it('leaves the index as it was when every event is replayed', async () => {
    await context.load();
    const before = await search('');
    await context.load();
    await context.load(archive().reverse());
    expect(await search('')).toEqual(before);
  });

  it('shows a tenant nothing of another tenant', async () => {
    await context.load();
    await context.index.upsertInstance(
      indexedInstance({ tenantId: 'cardiology', study: '9.1', series: '9.1.1', sop: '9.1.1.1', patientId: 'P1' }),
    );
    expect(uidsOf((await search('PatientID=P1', 'cardiology')).results)).toEqual(['9.1']);
    expect(uidsOf((await search('PatientID=P1')).results)).toEqual(['1.1', '1.3']);
    expect((await search('StudyInstanceUID=9.1')).results).toEqual([]);
    expect((await search('', 'oncology')).results).toEqual([]);
  });

  it('pages the results in StudyInstanceUID order with limit and offset, saying when more matched', async () => {
    await context.load();
    expect(await search('limit=2')).toMatchObject({ more: true });
    expect(uidsOf((await search('limit=2')).results)).toEqual(['1.1', '1.2']);
    const last = await search('limit=2&offset=2');
    expect(uidsOf(last.results)).toEqual(['1.3']);
    expect(last.more).toBe(false);
    expect(uidsOf((await search('PatientID=P1&offset=1')).results)).toEqual(['1.3']);
  });
}

function describeStudyMatching(context: Pick<ContractContext, 'index'>): void {
  const search = searchOf(context);

  it.each([
    ['', ['1.1', '1.2', '1.3']],
    ['PatientID=P1', ['1.1', '1.3']],
    ['PatientID=p1', []],
    ['PatientID=P*', ['1.1', '1.2', '1.3']],
    ['PatientID=P2*', ['1.2']],
    ['PatientName=müller*', ['1.1', '1.3']],
    ['PatientName=muller&fuzzymatching=true', ['1.1', '1.3']],
    ['PatientName=山田*', ['1.2']],
    ['StudyDate=20200101-20211231', ['1.1', '1.2']],
    ['StudyDate=-20200110', ['1.1']],
    ['StudyDate=20221231', ['1.3']],
    ['StudyInstanceUID=1.1,1.3,7.7', ['1.1', '1.3']],
    ['AccessionNumber=""', ['1.3']],
    ['AccessionNumber=A*', ['1.1', '1.2']],
    ['AccessionNumber=A2', ['1.2']],
    ['ModalitiesInStudy=MR', ['1.1']],
    ['ModalitiesInStudy=MR,CT', ['1.1', '1.2', '1.3']],
    ['StudyDescription=*A*', ['1.1', '1.2']],
    ['PatientID=P1&StudyDate=20220101-', ['1.3']],
    ['NumberOfStudyRelatedInstances=3', ['1.1']],
    // Keys of lower levels are not in study records.
    ['Modality=CT', []],
  ])('finds the studies matching %s', async (query, expected) => {
    const { results, more } = await search(query);
    expect(uidsOf(results)).toEqual(expected);
    expect(more).toBe(false);
    // The reference semantics agree.
    const everything = (await search('')).results;
    const keys = parseQidoQuery(new URLSearchParams(query));
    const reference = everything.filter((study) =>
      keys.keys.every((key) => matchAttribute(key.match, study[formatTag(key.tag)], { fuzzy: keys.fuzzy })),
    );
    expect(uidsOf(reference)).toEqual(expected);
  });
}
