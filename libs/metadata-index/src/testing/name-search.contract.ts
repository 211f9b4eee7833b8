import type { MetadataIndex } from '../metadata-index.port';
import { contractContext, sharedContractContext, type ContractContext } from './contract-context';
import { indexedInstance, referenceResults, searchWith, uidsOf, type InstanceSpec } from './contract-fixtures';

const PATIENTS: [string, NonNullable<InstanceSpec['patientName']>][] = [
  ['5.1', { Alphabetic: 'Müller^Jürgen' }],
  ['5.2', { Alphabetic: 'MULLER^JURGEN' }],
  ['5.3', { Alphabetic: 'Yamada^Tarou', Ideographic: '山田^太郎', Phonetic: 'やまだ^たろう' }],
  ['5.4', { Alphabetic: 'Papadopoulos^Georgios', Ideographic: 'Παπαδόπουλος^Γιώργος' }],
  ['5.5', { Alphabetic: 'Ιωάννου^Ελένη' }],
  ['5.6', { Alphabetic: 'Иванов^Иван^Иванович' }],
  ['5.7', { Alphabetic: 'Hong^Gildong', Ideographic: '洪^吉洞', Phonetic: '홍^길동' }],
  ['5.8', { Alphabetic: 'ΟΔΥΣΣΕΥΣ^ΝΙΚΟΣ' }],
  ['5.9', { Alphabetic: "O'Brien^Seán" }],
  ['6.1', { Alphabetic: 'Doe^John' }],
  ['6.2', { Alphabetic: 'Doe^Jane' }],
  ['6.3', { Alphabetic: 'Dow^John' }],
];

const patients = () =>
  PATIENTS.map(([study, patientName]) =>
    indexedInstance({ study, series: `${study}.1`, sop: `${study}.1.1`, patientId: `P${study}`, patientName }),
  );

/** PatientName searches, which the index narrows with name tokens, against the reference semantics. */
export function describeNameSearch(open: () => Promise<MetadataIndex>): void {
  describe('on the patients', () => describeNameMatching(sharedContractContext(open, patients)));
  describe('on an index of their own', () => describeNameChanges(contractContext(open)));
}

function describeNameMatching(context: Pick<ContractContext, 'index'>): void {
  it.each([
    ['PatientName=DOE*', ['6.1', '6.2']],
    ['PatientName=Doe^John', ['6.1']],
    ['PatientName=doe^j*', ['6.1', '6.2']],
    ['PatientName=*john', ['6.1', '6.3']],
    ['PatientName=D?e*', ['6.1', '6.2']],
    ['PatientName=Doe^John\\Dow^John', ['6.1', '6.3']],
    ['PatientName=müller*', ['5.1']],
    ['PatientName=MÜLLER^JÜRGEN', ['5.1']],
    ['PatientName=muller&fuzzymatching=true', ['5.1', '5.2']],
    ['PatientName=jur&fuzzymatching=true', ['5.1', '5.2']],
    ['PatientName=mul^jür&fuzzymatching=true', ['5.1', '5.2']],
    ['PatientName=山田*', ['5.3']],
    ['PatientName=やまだ^たろう', ['5.3']],
    ['PatientName=太郎&fuzzymatching=true', ['5.3']],
    ['PatientName=Yamada^Tarou=山田^太郎', ['5.3']],
    ['PatientName=Yamada^Tarou=山本*', []],
    ['PatientName=ΠΑΠΑΔΌΠΟΥΛΟΣ*', ['5.4']],
    ['PatientName=παπαδοπουλος&fuzzymatching=true', ['5.4']],
    ['PatientName=ιωαν&fuzzymatching=true', ['5.5']],
    ['PatientName=ιωάννου^ελένη', ['5.5']],
    ['PatientName=οδυσσευς^ν*', ['5.8']],
    ['PatientName=οδυσσευσ&fuzzymatching=true', ['5.8']],
    ['PatientName=Иванов^Иван*', ['5.6']],
    ['PatientName=иван&fuzzymatching=true', ['5.6']],
    ['PatientName=홍*', ['5.7']],
    ['PatientName=호&fuzzymatching=true', ['5.7']],
    ['PatientName=洪^吉洞', ['5.7']],
    ["PatientName=O'Brien^Seán", ['5.9']],
    ["PatientName=O'Brien^Sean", []],
    ["PatientName=o'brien^sean&fuzzymatching=true", ['5.9']],
    ['PatientName=""', []],
    ['PatientName=*', PATIENTS.map(([study]) => study)],
  ])('finds the patients matching %s', async (query, expected) => {
    for (const level of ['study', 'series', 'instance'] as const) {
      const { results } = await searchWith(context.index, level, {}, query);
      expect(uidsOf(results)).toEqual(expected);
      expect(uidsOf(await referenceResults(context.index, level, {}, query))).toEqual(expected);
    }
  });
}

function describeNameChanges(context: ContractContext): void {
  it('finds a study by the name its latest instance gives', async () => {
    await context.load(patients());
    await context.index.upsertInstance(
      indexedInstance({
        study: '6.1',
        series: '6.1.1',
        sop: '6.1.1.2',
        patientId: 'P6.1',
        patientName: { Alphabetic: 'Doe^Johnny', Ideographic: 'ドウ' },
      }),
    );
    expect(uidsOf((await searchWith(context.index, 'study', {}, 'PatientName=Doe^Johnny')).results)).toEqual(['6.1']);
    expect(uidsOf((await searchWith(context.index, 'study', {}, 'PatientName=ドウ')).results)).toEqual(['6.1']);
    expect(uidsOf((await searchWith(context.index, 'study', {}, 'PatientName=Doe^John')).results)).toEqual([]);
    expect(
      uidsOf((await searchWith(context.index, 'series', {}, 'PatientName=johnny&fuzzymatching=true')).results),
    ).toEqual(['6.1']);
  });

  it('finds names of the searching tenant only', async () => {
    await context.load(patients());
    await context.load([
      indexedInstance({
        tenantId: 'cardiology',
        study: '9.1',
        series: '9.1.1',
        sop: '9.1.1.1',
        patientName: { Alphabetic: 'Doe^Joan' },
      }),
    ]);
    expect(uidsOf((await searchWith(context.index, 'study', {}, 'PatientName=Doe*')).results)).toEqual(['6.1', '6.2']);
    expect(uidsOf((await searchWith(context.index, 'study', {}, 'PatientName=Doe*', 'cardiology')).results)).toEqual([
      '9.1',
    ]);
  });
}
