import type { AuditEvent } from '@pacs/contracts';
import type { AuditQuery, AuditRecord, AuditStore } from '../audit-store.port';
import { auditContractContext, type OpenAuditStore } from './contract-context';
import { auditRecords, participant, patientObject, studyObject } from './contract-fixtures';

const QUERY = { code: '110112', codingScheme: 'DCM', meaning: 'Query' };
const TRANSFER = { code: '110104', codingScheme: 'DCM', meaning: 'DICOM Instances Transferred' };
const LOGIN = { code: '110114', codingScheme: 'DCM', meaning: 'User Authentication' };
const SOP_CLASS = { code: '110181', codingScheme: 'DCM', meaning: 'SOP Class UID' };

/**
 * Radiology's chain, seq 1 to 7, each event varying what is searched. occurredAt (in UTC):
 * 1 10:00, 2 10:30 (written +02:00), 3 10:45, 4 11:00 (written -05:00), 5 11:00:00.001, 6 09:00,
 * 7 11:30: not in seq order, as events reach the audit service.
 */
const RADIOLOGY: readonly Partial<AuditEvent>[] = [
  {
    occurredAt: '2024-05-01T10:00:00Z',
    event: QUERY,
    outcome: 0,
    participants: [participant('alice', true), participant('ARCHIVE')],
    objects: [patientObject('P1'), studyObject('1.2.840.1')],
  },
  {
    occurredAt: '2024-05-01T12:30:00+02:00',
    event: TRANSFER,
    outcome: 0,
    participants: [participant('bob', true), participant('ARCHIVE')],
    objects: [patientObject('P2'), studyObject('1.2.840.2')],
  },
  {
    occurredAt: '2024-05-01T10:45:00.000Z',
    event: TRANSFER,
    outcome: 4,
    participants: [participant('ARCHIVE', true), participant('alice')],
    objects: [patientObject('P1'), studyObject('1.2.840.1'), studyObject('1.2.840.3')],
  },
  {
    occurredAt: '2024-05-01T06:00:00-05:00',
    event: QUERY,
    outcome: 8,
    // alice twice: the record is found once.
    participants: [participant('STORESCU', true), participant('alice'), participant('alice', true)],
    // P1 here is not a patient: an id of another type.
    objects: [{ typeCode: '2', idType: SOP_CLASS, id: 'P1' }, patientObject('P3'), patientObject('P3')],
  },
  {
    occurredAt: '2024-05-01T11:00:00.001Z',
    event: LOGIN,
    outcome: 12,
    participants: [participant('carol', true)],
    objects: [],
  },
  {
    occurredAt: '2024-05-01T09:00:00Z',
    event: QUERY,
    outcome: 0,
    participants: [participant('alice', true)],
    objects: [patientObject('P2'), studyObject('1.2.840.2')],
  },
  {
    occurredAt: '2024-05-01T11:30:00Z',
    event: QUERY,
    outcome: 0,
    participants: [participant('bob', true)],
    // A patient whose id looks like the UID of study 1: not a study.
    objects: [patientObject('1.2.840.1')],
  },
];

/** What every search below would also match in cardiology, were tenants not apart. */
const CARDIOLOGY: readonly Partial<AuditEvent>[] = [
  {
    occurredAt: '2024-05-01T10:30:00Z',
    event: QUERY,
    outcome: 0,
    participants: [participant('alice', true), participant('bob'), participant('carol'), participant('STORESCU')],
    objects: [patientObject('P1'), patientObject('P2'), studyObject('1.2.840.1'), studyObject('1.2.840.2')],
  },
];

/** Each query and the seqs of radiology it finds. */
const SEARCHES: readonly (readonly [AuditQuery, readonly number[]])[] = [
  [{}, [1, 2, 3, 4, 5, 6, 7]],
  [{ patientId: 'P1' }, [1, 3]],
  [{ patientId: 'P2' }, [2, 6]],
  [{ patientId: 'P3' }, [4]],
  [{ patientId: '1.2.840.1' }, [7]],
  [{ patientId: 'p1' }, []],
  [{ studyUid: '1.2.840.1' }, [1, 3]],
  [{ studyUid: '1.2.840.2' }, [2, 6]],
  [{ studyUid: '1.2.840.3' }, [3]],
  [{ studyUid: 'P1' }, []],
  [{ user: 'alice' }, [1, 3, 4, 6]],
  [{ user: 'bob' }, [2, 7]],
  [{ user: 'ARCHIVE' }, [1, 2, 3]],
  [{ user: 'STORESCU' }, [4]],
  [{ user: 'ali' }, []],
  [{ eventCode: '110112' }, [1, 4, 6, 7]],
  [{ eventCode: '110104' }, [2, 3]],
  [{ eventCode: '110114' }, [5]],
  [{ eventCode: '110100' }, []],
  [{ outcome: 0 }, [1, 2, 6, 7]],
  [{ outcome: 4 }, [3]],
  [{ outcome: 8 }, [4]],
  [{ outcome: 12 }, [5]],
  [{ from: '2024-05-01T10:30:00Z' }, [2, 3, 4, 5, 7]],
  [{ from: '2024-05-01T12:30:00+02:00' }, [2, 3, 4, 5, 7]],
  [{ from: '2024-05-01T10:30:00.001Z' }, [3, 4, 5, 7]],
  [{ to: '2024-05-01T11:00:00Z' }, [1, 2, 3, 6]],
  [{ to: '2024-05-01T11:00:00.001Z' }, [1, 2, 3, 4, 6]],
  [{ from: '2024-05-01T10:30:00Z', to: '2024-05-01T07:00:00-04:00' }, [2, 3]],
  [{ from: '2024-05-01T11:00:00Z', to: '2024-05-01T11:00:00.001Z' }, [4]],
  [{ from: '2024-05-01T12:00:00Z' }, []],
  [{ from: '2024-05-01T11:00:00Z', to: '2024-05-01T10:00:00Z' }, []],
  [{ user: 'alice', eventCode: '110112', outcome: 0 }, [1, 6]],
  [{ patientId: 'P1', from: '2024-05-01T10:30:00Z' }, [3]],
  [{ studyUid: '1.2.840.1', user: 'bob' }, []],
  [{ patientId: 'P2', studyUid: '1.2.840.2', user: 'alice' }, [6]],
  [{ patientId: 'P1', studyUid: '1.2.840.3', user: 'ARCHIVE', eventCode: '110104', outcome: 4 }, [3]],
  [{ user: 'alice', to: '2024-05-01T10:00:00Z' }, [6]],
];

const seqsOf = (records: readonly AuditRecord[]) => records.map((record) => record.seq);

/** Every page of a search of `limit` records, following afterSeq. */
async function pagesOf(store: AuditStore, query: AuditQuery, limit: number): Promise<number[][]> {
  const pages: number[][] = [];
  let afterSeq: number | undefined;
  for (;;) {
    const page = await store.search('radiology', query, { limit, ...(afterSeq !== undefined ? { afterSeq } : {}) });
    if (page.length === 0) return pages;
    pages.push(seqsOf(page));
    afterSeq = page[page.length - 1]!.seq;
  }
}

export function describeSearch(open: OpenAuditStore): void {
  const context = auditContractContext(open);
  let chain: AuditRecord[] = [];
  beforeEach(async () => {
    chain = auditRecords('radiology', 1, RADIOLOGY);
    await context.store.append(chain.slice(0, 3));
    await context.store.append(auditRecords('cardiology', 1, CARDIOLOGY));
    await context.store.append(chain.slice(3));
  });

  it('finds by each filter and by several at once, in seq order, never in another tenant', async () => {
    const { store } = context;
    const found: (readonly [AuditQuery, number[]])[] = [];
    for (const [query] of SEARCHES) found.push([query, seqsOf(await store.search('radiology', query, { limit: 100 }))]);
    expect(found).toEqual(SEARCHES);
  });

  it('gives back the records found exactly as appended', async () => {
    const { store } = context;
    expect(await store.search('radiology', {}, { limit: 100 })).toStrictEqual(chain);
    expect(await store.search('radiology', { studyUid: '1.2.840.3' }, { limit: 100 })).toStrictEqual([chain[2]]);
    expect(await store.search('cardiology', { user: 'carol' }, { limit: 100 })).toStrictEqual(
      await store.range('cardiology', 1, 10),
    );
  });

  it('pages by limit and afterSeq', async () => {
    const { store } = context;
    expect(await pagesOf(store, {}, 3)).toEqual([[1, 2, 3], [4, 5, 6], [7]]);
    expect(await pagesOf(store, {}, 7)).toEqual([[1, 2, 3, 4, 5, 6, 7]]);
    expect(await pagesOf(store, { user: 'alice' }, 2)).toEqual([
      [1, 3],
      [4, 6],
    ]);
    expect(await pagesOf(store, { eventCode: '110112', to: '2024-05-01T11:00:00Z' }, 1)).toEqual([[1], [6]]);
    expect(seqsOf(await store.search('radiology', {}, { limit: 2, afterSeq: 0 }))).toEqual([1, 2]);
    expect(seqsOf(await store.search('radiology', { user: 'alice' }, { limit: 10, afterSeq: 2 }))).toEqual([3, 4, 6]);
    expect(await store.search('radiology', {}, { limit: 10, afterSeq: 7 })).toEqual([]);
    expect(await store.search('radiology', {}, { limit: 10, afterSeq: 1000 })).toEqual([]);
  });

  it('finds records appended after a search', async () => {
    const { store } = context;
    const [next] = auditRecords('radiology', 8, [{ participants: [participant('dave', true)] }]);
    expect(await store.search('radiology', { user: 'dave' }, { limit: 10 })).toEqual([]);
    await store.append([next!]);
    expect(await store.search('radiology', { user: 'dave' }, { limit: 10 })).toStrictEqual([next]);
    expect(seqsOf(await store.search('radiology', { patientId: 'P1' }, { limit: 10, afterSeq: 3 }))).toEqual([8]);
  });
}
