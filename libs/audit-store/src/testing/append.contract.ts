import { AuditChainConflictError } from '../audit-store.errors';
import type { AuditRecord, AuditStore } from '../audit-store.port';
import { auditContractContext, type AuditStoreContractOptions, type OpenAuditStore } from './contract-context';
import {
  auditEvent,
  auditRecord,
  auditRecords,
  expectConflict,
  GENESIS_HASH,
  participant,
  patientObject,
  studyObject,
} from './contract-fixtures';

/** The whole chain of a tenant (up to 1000 records). */
const chainOf = (store: AuditStore, tenantId: string) => store.range(tenantId, 1, 1000);

/** The seqs of a tenant's chain, to check it has no gap and no repeat. */
const seqsOf = async (store: AuditStore, tenantId: string) =>
  (await chainOf(store, tenantId)).map((record) => record.seq);

const oneTo = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

export function describeAppend(open: OpenAuditStore, options: AuditStoreContractOptions): void {
  const context = auditContractContext(open);

  it('has no head, record, range nor tenant when empty', async () => {
    const { store } = context;
    expect(await store.head('radiology')).toBeNull();
    expect(await store.get('radiology', 1)).toBeNull();
    expect(await store.range('radiology', 1, 10)).toEqual([]);
    expect(await store.existingEventIds('radiology', ['e-1'])).toEqual(new Set());
    expect(await store.tenants()).toEqual([]);
  });

  it('gives back a record exactly as appended, its nested event included', async () => {
    const { store } = context;
    // Every optional field of AuditEventV1, and keys and text a document store may mangle.
    const event = auditEvent({
      occurredAt: '2024-05-01T12:00:00.123456+02:00',
      causationId: 'cause-1',
      eventTypes: [{ code: 'DT-1', codingScheme: 'local', meaning: 'Type' }],
      action: 'R',
      outcome: 4,
      outcomeDescription: 'partly refused: ümlaut, 日本語, "quotes", \\ and \n',
      participants: [
        { ...participant('alice', true), userName: 'Alice Émile' },
        { userId: 'ARCHIVE', isRequestor: false },
      ],
      objects: [
        patientObject('P1', 'Doe^Jane'),
        studyObject('1.2.840.1', { 'instances.count': '3', $where: 'x', '': 'empty key' }),
        {
          typeCode: '2',
          idType: { code: '110181', codingScheme: 'DCM', meaning: 'SOP Class UID' },
          id: '1.2.840.10008.5.1.4.1.2.2.1',
          query: 'CAgICAg',
          details: { TransferSyntax: '1.2.840.10008.1.2' },
        },
      ],
    });
    const record = auditRecord(1, event);
    await store.append([record]);
    expect(await store.get('radiology', 1)).toStrictEqual(record);
    expect(await store.range('radiology', 1, 10)).toStrictEqual([record]);
    expect(await store.head('radiology')).toStrictEqual({ seq: 1, hash: record.hash });
    // The values given are kept: occurredAt is not normalized in the record.
    expect((await store.get('radiology', 1))!.event.occurredAt).toBe('2024-05-01T12:00:00.123456+02:00');
  });

  it('appends batches after each other, read back a range at a time', async () => {
    const { store } = context;
    const first = auditRecords('radiology', 1, 3);
    const second = auditRecords('radiology', 4, 4);
    expect(first[0]!.prevHash).toBe(GENESIS_HASH);
    await store.append(first);
    expect(await store.head('radiology')).toEqual({ seq: 3, hash: first[2]!.hash });
    await store.append(second);
    expect(await store.head('radiology')).toEqual({ seq: 7, hash: second[3]!.hash });
    const all = [...first, ...second];
    expect(await chainOf(store, 'radiology')).toStrictEqual(all);
    expect(await store.range('radiology', 3, 2)).toStrictEqual(all.slice(2, 4));
    expect(await store.range('radiology', 6, 10)).toStrictEqual(all.slice(5));
    expect(await store.range('radiology', 8, 10)).toEqual([]);
    expect(await store.get('radiology', 5)).toStrictEqual(all[4]);
    expect(await store.get('radiology', 8)).toBeNull();
  });

  it('appends nothing for no record', async () => {
    const { store } = context;
    await store.append([]);
    expect(await store.tenants()).toEqual([]);
  });

  it("keeps each tenant's chain apart, even under the same event id", async () => {
    const { store } = context;
    const radiology = auditRecords('radiology', 1, [{ objects: [patientObject('P1')] }, {}]);
    // Cardiology's first event has the same id as radiology's first.
    const cardiology = auditRecords('cardiology', 1, [
      { eventId: radiology[0]!.eventId, objects: [patientObject('P1')] },
    ]);
    await store.append(radiology);
    expect(await store.head('cardiology')).toBeNull();
    await store.append(cardiology);
    expect(await store.head('radiology')).toEqual({ seq: 2, hash: radiology[1]!.hash });
    expect(await store.head('cardiology')).toEqual({ seq: 1, hash: cardiology[0]!.hash });
    expect(await chainOf(store, 'radiology')).toStrictEqual(radiology);
    expect(await chainOf(store, 'cardiology')).toStrictEqual(cardiology);
    expect(await store.get('cardiology', 2)).toBeNull();
    expect(await store.search('cardiology', { patientId: 'P1' }, { limit: 10 })).toStrictEqual(cardiology);
    expect(await store.search('dermatology', {}, { limit: 10 })).toEqual([]);
    expect(await store.existingEventIds('cardiology', [radiology[1]!.eventId])).toEqual(new Set());
    expect(await store.head('dermatology')).toBeNull();
  });

  describe('conflicts', () => {
    it("refuses a first record beyond the head's next seq (not-next), appending nothing", async () => {
      const { store } = context;
      await expectConflict(store.append(auditRecords('radiology', 2, 2)), 'radiology', 2, 'not-next');
      expect(await store.head('radiology')).toBeNull();
      await store.append(auditRecords('radiology', 1, 2));
      await expectConflict(store.append(auditRecords('radiology', 4, 1)), 'radiology', 4, 'not-next');
      expect(await seqsOf(store, 'radiology')).toEqual([1, 2]);
    });

    it('refuses a seq already in the chain (seq-taken), keeping the record that has it', async () => {
      const { store } = context;
      const chain = auditRecords('radiology', 1, 3);
      await store.append(chain);
      await expectConflict(store.append(auditRecords('radiology', 3, 2)), 'radiology', 3, 'seq-taken');
      await expectConflict(store.append(auditRecords('radiology', 1, 1)), 'radiology', 1, 'seq-taken');
      expect(await chainOf(store, 'radiology')).toStrictEqual(chain);
    });

    it('refuses an event id already in the chain (event-exists), not in another tenant', async () => {
      const { store } = context;
      const chain = auditRecords('radiology', 1, 2);
      await store.append(chain);
      const again = auditRecord(3, { eventId: chain[0]!.eventId });
      const error = await expectConflict(store.append([again]), 'radiology', 3, 'event-exists');
      expect(error).toBeInstanceOf(AuditChainConflictError);
      expect(error.message).toContain('radiology');
      expect(await chainOf(store, 'radiology')).toStrictEqual(chain);
      await store.append([auditRecord(1, { tenantId: 'cardiology', eventId: chain[0]!.eventId })]);
      expect(await seqsOf(store, 'cardiology')).toEqual([1]);
    });

    it('refuses an event id given twice in one append (event-exists)', async () => {
      const { store } = context;
      const batch = auditRecords('radiology', 1, 3);
      const twice = [batch[0]!, batch[1]!, { ...batch[2]!, eventId: batch[1]!.eventId, event: batch[1]!.event }];
      await expectConflict(store.append(twice), 'radiology', 3, 'event-exists');
      const kept = options.append === 'all-or-nothing' ? [] : batch.slice(0, 2);
      expect(await chainOf(store, 'radiology')).toStrictEqual(kept);
    });

    it(`leaves ${options.append === 'all-or-nothing' ? 'nothing' : 'the records before it'} of an append whose record k conflicts`, async () => {
      const { store } = context;
      const chain = auditRecords('radiology', 1, 2);
      await store.append(chain);
      const batch = auditRecords('radiology', 3, 4);
      // Record k = 2 of the batch (seq 5) is a redelivery of seq 1's event.
      batch[2] = {
        ...batch[2]!,
        eventId: chain[0]!.eventId,
        event: { ...batch[2]!.event, eventId: chain[0]!.eventId },
      };
      await expectConflict(store.append(batch), 'radiology', 5, 'event-exists');
      const kept = options.append === 'all-or-nothing' ? chain : [...chain, ...batch.slice(0, 2)];
      expect(await chainOf(store, 'radiology')).toStrictEqual(kept);
      expect(await store.head('radiology')).toEqual({ seq: kept.length, hash: kept[kept.length - 1]!.hash });
      expect(await store.existingEventIds('radiology', [batch[3]!.eventId])).toEqual(new Set());
    });

    it('lets one of two stores appending the same seq at once win; the other gets seq-taken', async () => {
      const stores = [context.store, await context.another()];
      const winners: AuditRecord[] = [];
      for (let seq = 1; seq <= 10; seq++) {
        // Both read the head, then append the next record: what two audit replicas do in a rebalance.
        const heads = await Promise.all(stores.map((store) => store.head('radiology')));
        expect(heads.map((head) => head?.seq ?? 0)).toEqual([seq - 1, seq - 1]);
        const records = stores.map(() => auditRecord(seq));
        const results = await Promise.allSettled(stores.map((store, i) => store.append([records[i]!])));
        const won = results.flatMap((result, i) => (result.status === 'fulfilled' ? [records[i]!] : []));
        expect(won).toHaveLength(1);
        winners.push(won[0]!);
        const lost = results.find((result) => result.status === 'rejected') as PromiseRejectedResult;
        await expectConflict(Promise.reject(lost.reason), 'radiology', seq, 'seq-taken');
      }
      expect(await chainOf(context.store, 'radiology')).toStrictEqual(winners);
      expect(await chainOf(stores[1]!, 'radiology')).toStrictEqual(winners);
    });

    it('lets one of two batches appended at once from the same seq win whole; the other appends nothing', async () => {
      const stores = [context.store, await context.another()];
      await context.store.append(auditRecords('radiology', 1, 1));
      for (let round = 0; round < 5; round++) {
        const head = (await context.store.head('radiology'))!.seq;
        const batches = stores.map(() => auditRecords('radiology', head + 1, 5));
        const results = await Promise.allSettled(stores.map((store, i) => store.append(batches[i]!)));
        expect(results.map((result) => result.status).sort()).toEqual(['fulfilled', 'rejected']);
        const winner = batches[results.findIndex((result) => result.status === 'fulfilled')]!;
        const lost = results.find((result) => result.status === 'rejected') as PromiseRejectedResult;
        await expectConflict(Promise.reject(lost.reason), 'radiology', head + 1, 'seq-taken');
        expect(await stores[1]!.range('radiology', head + 1, 100)).toStrictEqual(winner);
      }
      expect(await seqsOf(context.store, 'radiology')).toEqual(oneTo(26));
    });

    it('appends a redelivered event once when two stores append it at once', async () => {
      const stores = [context.store, await context.another()];
      for (let seq = 1; seq <= 5; seq++) {
        const event = auditEvent();
        const results = await Promise.allSettled(stores.map((store) => store.append([auditRecord(seq, event)])));
        expect(results.map((result) => result.status).sort()).toEqual(['fulfilled', 'rejected']);
        const lost = results.find((result) => result.status === 'rejected') as PromiseRejectedResult;
        await expectConflict(Promise.reject(lost.reason), 'radiology', seq, 'seq-taken', 'event-exists');
        expect(await context.store.existingEventIds('radiology', [event.eventId])).toEqual(new Set([event.eventId]));
      }
      expect(await seqsOf(context.store, 'radiology')).toEqual(oneTo(5));
    });
  });

  describe('existing event ids', () => {
    it("tells which of the ids the tenant's chain holds", async () => {
      const { store } = context;
      const chain = auditRecords('radiology', 1, 3);
      await store.append(chain);
      await store.append(auditRecords('cardiology', 1, 1));
      const [a, b, c] = chain.map((record) => record.eventId) as [string, string, string];
      expect(await store.existingEventIds('radiology', [a, 'unknown', c, a])).toEqual(new Set([a, c]));
      expect(await store.existingEventIds('radiology', [])).toEqual(new Set());
      expect(await store.existingEventIds('cardiology', [a, b, c])).toEqual(new Set());
    });

    it('answers for many ids at once', async () => {
      const { store } = context;
      const chain = auditRecords('radiology', 1, 50);
      await store.append(chain);
      const asked = [...Array.from({ length: 2000 }, (_, i) => `unknown-${i}`), ...chain.map((r) => r.eventId)];
      expect(await store.existingEventIds('radiology', asked)).toEqual(new Set(chain.map((r) => r.eventId)));
    });
  });
}
