import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { SqliteAuditStore } from '@pacs/audit-store-sqlite';
import type { AuditEvent } from '@pacs/contracts';
import { AuditLedger } from './audit-ledger';
import { GENESIS_HASH } from './chain';
import { verifyChain } from './chain-verifier';

const root = mkdtempSync(join(tmpdir(), 'pacs-audit-ledger-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let counter = 0;

async function opened(): Promise<{ store: SqliteAuditStore; file: string }> {
  const file = join(root, `${++counter}`, 'audit.sqlite');
  const store = new SqliteAuditStore({ file });
  await store.start();
  return { store, file };
}

const event = (tenantId: string, userId = 'CT01'): AuditEvent => ({
  eventId: randomUUID(),
  tenantId,
  occurredAt: new Date().toISOString(),
  correlationId: 'c-1',
  causationId: null,
  event: { code: '110112', codingScheme: 'DCM', meaning: 'Query' },
  action: 'E',
  outcome: 0,
  source: 'gateway',
  participants: [{ userId, isRequestor: true }],
  objects: [],
});

describe('AuditLedger on the SQLite audit store', () => {
  it('chains each tenant apart, and appends a redelivered event once', async () => {
    const { store } = await opened();
    try {
      const ledger = new AuditLedger(store);
      const a = [event('radiology'), event('radiology'), event('radiology')];
      const b = [event('cardiology')];
      const appended = await ledger.append([a[0]!, b[0]!, a[1]!, a[0]!]);
      expect(appended.map((r) => [r.tenantId, r.seq])).toEqual([
        ['radiology', 1],
        ['radiology', 2],
        ['cardiology', 1],
      ]);
      // A redelivery of the batch with one new event: only the new one is appended.
      const again = await ledger.append([a[0]!, a[1]!, a[2]!, b[0]!]);
      expect(again.map((r) => [r.tenantId, r.seq, r.eventId])).toEqual([['radiology', 3, a[2]!.eventId]]);
      const chain = await store.range('radiology', 1, 10);
      expect(chain.map((r) => r.eventId)).toEqual(a.map((e) => e.eventId));
      expect(chain[0]!.prevHash).toBe(GENESIS_HASH);
      expect(chain[1]!.prevHash).toBe(chain[0]!.hash);
      expect(await verifyChain(store, 'radiology')).toEqual({
        tenantId: 'radiology',
        intact: true,
        recordsChecked: 3,
        lastSeq: 3,
      });
      expect((await verifyChain(store, 'cardiology')).intact).toBe(true);
    } finally {
      await store.close();
    }
  });

  it('two ledgers appending to one tenant at once leave one chain without gap or duplicate', async () => {
    const { store, file } = await opened();
    const other = new SqliteAuditStore({ file });
    await other.start();
    try {
      const first = new AuditLedger(store);
      const second = new AuditLedger(other);
      const events = Array.from({ length: 40 }, () => event('radiology'));
      await Promise.all(events.map((e, i) => (i % 2 === 0 ? first : second).append([e])));
      const chain = await store.range('radiology', 1, 100);
      expect(chain.map((r) => r.seq)).toEqual(events.map((_, i) => i + 1));
      expect(new Set(chain.map((r) => r.eventId)).size).toBe(40);
      expect((await verifyChain(store, 'radiology')).intact).toBe(true);
    } finally {
      await other.close();
      await store.close();
    }
  });

  it('verify names the first record that was edited, removed, or re-hashed in the database', async () => {
    const { store, file } = await opened();
    try {
      const ledger = new AuditLedger(store);
      await ledger.append(Array.from({ length: 5 }, () => event('radiology')));
      const records = await store.range('radiology', 1, 10);
      const db = new DatabaseSync(file);
      try {
        // Someone changes who did it in record 3.
        const row = db.prepare('SELECT event FROM audit_records WHERE tenant_id = ? AND seq = 3').get('radiology') as {
          event: string;
        };
        const edited = JSON.parse(row.event) as AuditEvent;
        edited.participants[0] = { userId: 'SOMEONE_ELSE', isRequestor: true };
        db.prepare('UPDATE audit_records SET event = ? WHERE tenant_id = ? AND seq = 3').run(
          JSON.stringify(edited),
          'radiology',
        );
      } finally {
        db.close();
      }
      const verification = await verifyChain(store, 'radiology');
      expect(verification).toMatchObject({
        intact: false,
        recordsChecked: 3,
        lastSeq: 2,
        firstBroken: { seq: 3, eventId: records[2]!.eventId, problem: expect.stringContaining('altered') },
      });
    } finally {
      await store.close();
    }
  });
});
