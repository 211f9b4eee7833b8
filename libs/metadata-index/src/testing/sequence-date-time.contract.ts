import type { DicomJsonDataset } from '@pacs/dicom';
import type { MetadataIndex } from '../metadata-index.port';
import { sharedContractContext } from './contract-context';
import { indexedInstance, referenceResults, searchWith, seriesOf, tag, uidsOf } from './contract-fixtures';

/** An item of RequestAttributesSequence (PS3.3 C.7.3.1): the order and the step it answers. */
function request(procedure: string, step: string, accession?: string): DicomJsonDataset {
  return {
    [tag('RequestedProcedureID')]: { vr: 'SH', Value: [procedure] },
    [tag('ScheduledProcedureStepID')]: { vr: 'SH', Value: [step] },
    ...(accession !== undefined ? { [tag('AccessionNumber')]: { vr: 'SH', Value: [accession] } } : {}),
  };
}

const requests = (...items: DicomJsonDataset[]): DicomJsonDataset => ({
  [tag('RequestAttributesSequence')]: { vr: 'SQ', Value: items },
});

/**
 * Series answering orders: 8.1.1 one order of two steps, 8.1.2 two orders (RP1 with SPS9, RP2 with
 * SPS2), 8.1.3 none. Studies at the edges of a night: 20200101 21:00, 22:00, 23:00, 20200102
 * 01:00, 02:00:59, 02:01, 03:00, and 20200102 without a time.
 */
function orders() {
  const study = (uid: string, date: string, time?: string) =>
    indexedInstance({
      study: uid,
      series: `${uid}.1`,
      sop: `${uid}.1.1`,
      studyDate: date,
      ...(time !== undefined ? { attributes: { [tag('StudyTime')]: { vr: 'TM', Value: [time] } } } : {}),
    });
  return [
    indexedInstance({
      study: '8.1',
      series: '8.1.1',
      sop: '8.1.1.1',
      attributes: requests(request('RP1', 'SPS1', 'A1'), request('RP1', 'SPS2', 'A1')),
    }),
    indexedInstance({
      study: '8.1',
      series: '8.1.2',
      sop: '8.1.2.1',
      attributes: requests(request('RP1', 'SPS9'), request('RP2', 'SPS2')),
    }),
    indexedInstance({ study: '8.1', series: '8.1.3', sop: '8.1.3.1' }),
    study('9.1', '20200101', '2100'),
    study('9.2', '20200101', '220000'),
    study('9.3', '20200101', '2300'),
    study('9.4', '20200102', '0100'),
    study('9.5', '20200102', '020059.999999'),
    study('9.6', '20200102', '0201'),
    study('9.7', '20200102', '0300'),
    study('9.8', '20200102'),
  ];
}

/**
 * Sequence Matching (PS3.4 C.2.2.2.6) on RequestAttributesSequence of series, and combined
 * datetime matching (C.2.2.2.5) of StudyDate and StudyTime: as matchKey says.
 */
export function describeSequenceAndDateTime(open: () => Promise<MetadataIndex>): void {
  const context = sharedContractContext(open, orders);
  const series = async (query: string) => {
    const { results } = await searchWith(context.index, 'series', { studyInstanceUid: '8.1' }, query);
    expect(results).toEqual(await referenceResults(context.index, 'series', { studyInstanceUid: '8.1' }, query));
    return seriesOf(results);
  };
  const studies = async (query: string) => {
    const ofNight = `${query}&StudyInstanceUID=9.1,9.2,9.3,9.4,9.5,9.6,9.7,9.8`;
    const { results } = await searchWith(context.index, 'study', {}, ofNight);
    expect(results).toEqual(await referenceResults(context.index, 'study', {}, ofNight));
    return uidsOf(results);
  };

  it('holds the sequence in the series records', async () => {
    const { results } = await searchWith(context.index, 'series', { studyInstanceUid: '8.1' }, '');
    expect(results[0]![tag('RequestAttributesSequence')]).toEqual(
      requests(request('RP1', 'SPS1', 'A1'), request('RP1', 'SPS2', 'A1'))[tag('RequestAttributesSequence')],
    );
  });

  it.each([
    ['RequestAttributesSequence.RequestedProcedureID=RP1', ['8.1.1', '8.1.2']],
    ['RequestAttributesSequence.RequestedProcedureID=RP2', ['8.1.2']],
    ['RequestAttributesSequence.ScheduledProcedureStepID=SPS*', ['8.1.1', '8.1.2']],
    // Item by item: 8.1.2 has RP1 and SPS2, but not in one item.
    [
      'RequestAttributesSequence.RequestedProcedureID=RP1&RequestAttributesSequence.ScheduledProcedureStepID=SPS2',
      ['8.1.1'],
    ],
    ['RequestAttributesSequence.AccessionNumber=A1', ['8.1.1']],
    ['RequestAttributesSequence.RequestedProcedureID=RP3', []],
    // No item key with a value: every series, with or without the sequence.
    ['RequestAttributesSequence=', ['8.1.1', '8.1.2', '8.1.3']],
    ['RequestAttributesSequence.RequestedProcedureID=', ['8.1.1', '8.1.2', '8.1.3']],
  ])('matches %s item-wise', async (query, expected) => {
    expect(await series(query)).toEqual(expected);
  });

  it.each([
    // One DT range from 2020-01-01 22:00 to 2020-01-02 02:00:59.999999; a day without a time meets it.
    ['StudyDate=20200101-20200102&StudyTime=2200-0200', ['9.2', '9.3', '9.4', '9.5', '9.8']],
    ['StudyDate=20200102-&StudyTime=0200-', ['9.5', '9.6', '9.7', '9.8']],
    ['StudyDate=-20200102&StudyTime=-0100', ['9.1', '9.2', '9.3', '9.4', '9.8']],
    // Ranges of different forms, or a single date, match each on its own.
    ['StudyDate=20200101-20200102&StudyTime=2200-', ['9.2', '9.3']],
    ['StudyDate=20200102&StudyTime=0100-0200', ['9.4', '9.5']],
    ['StudyDate=20200101-20200102', ['9.1', '9.2', '9.3', '9.4', '9.5', '9.6', '9.7', '9.8']],
  ])('matches %s', async (query, expected) => {
    expect(await studies(query)).toEqual(expected);
  });
}
