import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { AuditStoreUnavailableError } from '@pacs/audit-store';
import { auditRecord, auditRecords, runAuditStoreContract } from '@pacs/audit-store/testing';
import { GroupSync } from '@pacs/event-bus';
import { SqliteAuditStore } from './sqlite-audit-store.adapter';

const root = mkdtempSync(join(tmpdir(), 'pacs-audit-store-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let counter = 0;
const newFile = () => join(root, `${++counter}`, 'audit.sqlite');

async function started(file: string, busyTimeoutMs?: number): Promise<SqliteAuditStore> {
  const store = new SqliteAuditStore({ file, ...(busyTimeoutMs !== undefined ? { busyTimeoutMs } : {}) });
  await store.start();
  return store;
}

runAuditStoreContract(
  'SQLite',
  async () => {
    const file = newFile();
    return { store: await started(file), openAnother: () => started(file) };
  },
  { append: 'all-or-nothing' },
);

describe('SqliteAuditStore', () => {
  afterEach(() => jest.restoreAllMocks());

  it('returns a record edited in the file as edited: the store hides no tampering', async () => {
    const file = newFile();
    const store = await started(file);
    try {
      const chain = auditRecords('radiology', 1, 3);
      await store.append(chain);
      const db = new DatabaseSync(file);
      try {
        const { event } = db
          .prepare('SELECT event FROM audit_records WHERE tenant_id = ? AND seq = ?')
          .get('radiology', 2)!;
        const edited = { ...JSON.parse(String(event)), outcome: 12 };
        db.prepare('UPDATE audit_records SET event = ? WHERE tenant_id = ? AND seq = ?').run(
          JSON.stringify(edited),
          'radiology',
          2,
        );
      } finally {
        db.close();
      }
      const tampered = { ...chain[1]!, event: { ...chain[1]!.event, outcome: 12 } };
      expect(await store.get('radiology', 2)).toStrictEqual(tampered);
      expect(await store.range('radiology', 1, 10)).toStrictEqual([chain[0], tampered, chain[2]]);
      // Its hashes are left as they were: the audit service's verify finds the edit.
      expect((await store.get('radiology', 2))!.hash).toBe(chain[1]!.hash);
    } finally {
      await store.close();
    }
  });

  it('appends in one immediate transaction and resolves after a sync of the WAL', async () => {
    const store = await started(newFile());
    try {
      const exec = jest.spyOn(DatabaseSync.prototype, 'exec');
      const sync = jest.spyOn(GroupSync.prototype, 'sync');
      await store.append(auditRecords('radiology', 1, 5));
      await store.setExportCursor('syslog:collector-1', 'radiology', 5);
      expect(exec.mock.calls.map(([sql]) => sql)).toEqual(Array(2).fill(['BEGIN IMMEDIATE', 'COMMIT']).flat());
      expect(sync).toHaveBeenCalledTimes(2);
    } finally {
      await store.close();
    }
  });

  it('keeps everything across a restart', async () => {
    const file = newFile();
    const first = await started(file);
    const chain = auditRecords('radiology', 1, 2);
    await first.append(chain);
    await first.setExportCursor('syslog:collector-1', 'radiology', 2);
    await first.close();
    const again = await started(file);
    try {
      expect(await again.range('radiology', 1, 10)).toStrictEqual(chain);
      expect(await again.exportCursor('syslog:collector-1', 'radiology')).toBe(2);
      await again.append([auditRecord(3)]);
      expect(await again.head('radiology')).toMatchObject({ seq: 3 });
    } finally {
      await again.close();
    }
  });

  it('refuses a file written by a newer schema', async () => {
    const file = newFile();
    await (await started(file)).close();
    const db = new DatabaseSync(file);
    db.exec('PRAGMA user_version = 99');
    db.close();
    await expect(started(file)).rejects.toThrow(/schema version 99/);
  });

  it('answers a retriable AuditStoreUnavailableError when another connection holds the write lock too long', async () => {
    const file = newFile();
    const store = await started(file, 50);
    const blocker = new DatabaseSync(file);
    blocker.exec('BEGIN IMMEDIATE');
    try {
      await expect(store.append([auditRecord(1)])).rejects.toBeInstanceOf(AuditStoreUnavailableError);
    } finally {
      blocker.exec('ROLLBACK');
      blocker.close();
    }
    await store.append([auditRecord(1)]);
    expect(await store.head('radiology')).toMatchObject({ seq: 1 });
    await store.close();
  });
});
