import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import { GroupSync } from '@pacs/event-bus';
import { SqliteTransactions } from './sqlite-transactions';
import { immediateTransaction, openWalDatabase, prepareStatements, WalSync } from './sqlite-wal-database';

const root = mkdtempSync(join(tmpdir(), 'pacs-sqlite-tx-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let counter = 0;
const newFile = () => join(root, `${++counter}`, 'test.sqlite');

const SQL = {
  insert: 'INSERT INTO items (name) VALUES (?)',
  count: 'SELECT COUNT(*) AS count FROM items',
} as const;

interface Open {
  readonly db: DatabaseSync;
  readonly statements: { readonly [K in keyof typeof SQL]: StatementSync };
}

/** A file with one table, opened as the adapters open theirs. */
function openTestFile(file: string, busyTimeoutMs = 5000): Open & { close(): void } {
  const { db, setup } = openWalDatabase(file, busyTimeoutMs, (db) => {
    immediateTransaction(db, () => db.exec('CREATE TABLE IF NOT EXISTS items (name TEXT NOT NULL)'));
    return prepareStatements(db, SQL);
  });
  return { db, statements: setup, close: () => db.close() };
}

const countOf = (open: Open) => Number(open.statements.count.get()!['count']);

/** A sync whose completion the test controls. */
function controlledSync() {
  const pending: Array<(error?: Error) => void> = [];
  return {
    pending,
    sync: () => new Promise<void>((resolve, reject) => pending.push((error) => (error ? reject(error) : resolve()))),
  };
}

/** Errors mapped as an adapter maps them: the operation's name and the error, wrapped. */
class MappedError extends Error {
  constructor(
    readonly operation: string,
    readonly original: unknown,
  ) {
    super(`${operation} failed`);
  }
}
const mapError = (operation: string, error: unknown) => new MappedError(operation, error);

describe('SqliteTransactions', () => {
  let open: Open & { close(): void };
  let wal: WalSync;
  let file: string;
  beforeEach(() => {
    file = newFile();
    open = openTestFile(file);
    wal = new WalSync(file);
  });
  afterEach(async () => {
    await wal.close();
    if (open.db.isOpen) open.close();
  });
  const transactions = (engineError?: (operation: string, error: unknown) => unknown) =>
    new SqliteTransactions<Open>({ open: () => open, durable: wal, ...(engineError ? { engineError } : {}) });

  it('answers while the database is open, and not once it is closed or not opened', () => {
    expect(transactions().answers()).toBe(true);
    open.close();
    expect(transactions().answers()).toBe(false);
    const notOpen = new SqliteTransactions<Open>({
      open: () => {
        throw new Error('not started');
      },
      durable: wal,
    });
    expect(notOpen.answers()).toBe(false);
  });

  it('keeps nothing of a write that throws, and rejects with the mapped error', async () => {
    const failure = new Error('refused half-way');
    const rejected = transactions(mapError).write('add', ({ statements }) => {
      statements.insert.run('first');
      throw failure;
    });
    await expect(rejected).rejects.toMatchObject({ operation: 'add', original: failure });
    expect(open.db.isTransaction).toBe(false);
    expect(countOf(open)).toBe(0);
  });

  it('commits a write and answers what it returned', async () => {
    await expect(
      transactions(mapError).write('add', ({ statements }) => statements.insert.run('first').changes),
    ).resolves.toBe(1);
    const other = openTestFile(file);
    try {
      expect(countOf(other)).toBe(1);
    } finally {
      other.close();
    }
  });

  it('reads one state of the file, whatever another connection commits meanwhile', async () => {
    const other = openTestFile(file);
    try {
      const counts = await transactions(mapError).read('count', (reading) => {
        const before = countOf(reading);
        other.statements.insert.run('committed during the read');
        return [before, countOf(reading)];
      });
      expect(counts).toEqual([0, 0]);
      expect(open.db.isTransaction).toBe(false);
      await expect(transactions(mapError).read('count', countOf)).resolves.toBe(1);
    } finally {
      other.close();
    }
  });

  it('resolves a write only after the sync that follows its commit, also when nothing changed', async () => {
    const durable = controlledSync();
    const tx = new SqliteTransactions<Open>({ open: () => open, durable, engineError: mapError });
    let resolved = false;
    const written = tx.write('add', ({ statements }) => statements.insert.run('first')).then(() => (resolved = true));
    const unchanged = tx.write('nothing', () => 'read only');
    expect(countOf(open)).toBe(1);
    expect(durable.pending).toHaveLength(2);
    await new Promise((resolve) => setImmediate(resolve));
    expect(resolved).toBe(false);
    durable.pending[0]!();
    await written;
    durable.pending[1]!();
    await expect(unchanged).resolves.toBe('read only');
  });

  it('syncs the WAL through a group commit', async () => {
    const sync = jest.spyOn(GroupSync.prototype, 'sync');
    try {
      await transactions(mapError).write('add', ({ statements }) => statements.insert.run('first'));
      await transactions(mapError).read('count', countOf);
      expect(sync).toHaveBeenCalledTimes(1);
    } finally {
      sync.mockRestore();
    }
  });

  it('maps a failed sync: the write is committed but not known durable', async () => {
    const failure = Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' });
    const tx = new SqliteTransactions<Open>({
      open: () => open,
      durable: { sync: () => Promise.reject(failure) },
      engineError: mapError,
    });
    await expect(tx.write('add', ({ statements }) => statements.insert.run('first'))).rejects.toMatchObject({
      operation: 'add',
      original: failure,
    });
  });

  it('maps what the engine throws: a write lock held too long, a failed statement', async () => {
    open.close();
    open = openTestFile(file, 50);
    const blocker = new DatabaseSync(file);
    blocker.exec('BEGIN IMMEDIATE');
    let ran = false;
    try {
      const busy = transactions(mapError).write('add', () => (ran = true));
      await expect(busy).rejects.toBeInstanceOf(MappedError);
      await expect(busy).rejects.toMatchObject({ operation: 'add', original: { code: 'ERR_SQLITE_ERROR' } });
      expect(ran).toBe(false);
    } finally {
      blocker.exec('ROLLBACK');
      blocker.close();
    }
    await expect(
      transactions(mapError).read('broken', ({ db }) => db.prepare('SELECT nope FROM items').all()),
    ).rejects.toMatchObject({ operation: 'broken', original: { code: 'ERR_SQLITE_ERROR' } });
    expect(open.db.isTransaction).toBe(false);
  });

  it('rejects with the error as it is without a mapper', async () => {
    const failure = new Error('bug');
    await expect(
      transactions().write('add', () => {
        throw failure;
      }),
    ).rejects.toBe(failure);
    await expect(
      transactions().read('count', () => {
        throw failure;
      }),
    ).rejects.toBe(failure);
  });
});

describe('openWalDatabase', () => {
  it('creates the folder and opens the file in WAL mode, committing without a sync (NORMAL)', () => {
    const open = openTestFile(newFile());
    try {
      expect(open.db.prepare('PRAGMA journal_mode').get()).toEqual({ journal_mode: 'wal' });
      expect(open.db.prepare('PRAGMA synchronous').get()).toEqual({ synchronous: 1 });
    } finally {
      open.close();
    }
  });

  it('closes the database when the setup throws', () => {
    let opened: DatabaseSync | undefined;
    const failure = new Error('schema too new');
    expect(() =>
      openWalDatabase(newFile(), 5000, (db) => {
        opened = db;
        throw failure;
      }),
    ).toThrow(failure);
    expect(opened?.isOpen).toBe(false);
  });
});

describe('WalSync', () => {
  it('syncs a file again after close, and resolves at once for an in-memory database', async () => {
    const file = newFile();
    const open = openTestFile(file);
    const wal = new WalSync(file);
    try {
      open.statements.insert.run('first');
      await wal.sync();
      await wal.close();
      open.statements.insert.run('second');
      await wal.sync();
    } finally {
      await wal.close();
      open.close();
    }
    await expect(new WalSync(':memory:').sync()).resolves.toBeUndefined();
  });
});
