import { mkdirSync } from 'node:fs';
import { open as openFile, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import { GroupSync } from '@pacs/event-bus';

/**
 * Opens `file` (its folder created), or ':memory:', in WAL mode with synchronous=NORMAL, then runs
 * `setup` on it (schema, prepared statements): the database and what `setup` returned. Commits do
 * not sync on this thread: a write is made durable by a WalSync of the file, on the thread pool,
 * shared by the writes committed meanwhile. The database is closed again if anything throws.
 */
export function openWalDatabase<T>(
  file: string,
  busyTimeoutMs: number,
  setup: (db: DatabaseSync) => T,
): { readonly db: DatabaseSync; readonly setup: T } {
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  const db = new DatabaseSync(file, { timeout: busyTimeoutMs });
  try {
    db.exec('PRAGMA journal_mode = WAL');
    db.exec('PRAGMA synchronous = NORMAL');
    return { db, setup: setup(db) };
  } catch (error) {
    db.close();
    throw error;
  }
}

/** Each SQL text of `sql` prepared on `db`, under the same name. */
export function prepareStatements<K extends string>(
  db: DatabaseSync,
  sql: { readonly [N in K]: string },
): { readonly [N in K]: StatementSync } {
  const statements = {} as { [N in K]: StatementSync };
  for (const name of Object.keys(sql) as K[]) statements[name] = db.prepare(sql[name]);
  return statements;
}

/**
 * Runs `work` in one BEGIN IMMEDIATE transaction, which takes the file's write lock at once (a
 * busy database fails here, before any change); none of it is kept when it throws.
 */
export function immediateTransaction<T>(db: DatabaseSync, work: () => T): T {
  db.exec('BEGIN IMMEDIATE');
  try {
    const result = work();
    db.exec('COMMIT');
    return result;
  } catch (error) {
    if (db.isTransaction) db.exec('ROLLBACK');
    throw error;
  }
}

/**
 * Group commit of a database opened by openWalDatabase: `sync()` resolves after an fdatasync of
 * its WAL file that started after the call, so it covers every commit made before the call
 * (GroupSync); at once for ':memory:'.
 */
export class WalSync {
  private handle: Promise<FileHandle> | undefined;
  private readonly group = new GroupSync(async () => {
    if (this.file === ':memory:') return;
    // The WAL exists from the first write on and keeps its inode while the database is open.
    this.handle ??= openFile(`${this.file}-wal`, 'r');
    await (await this.handle).datasync();
  });

  constructor(private readonly file: string) {}

  sync(): Promise<void> {
    return this.group.sync();
  }

  /** Closes the WAL file, before the database is closed (a later sync opens it again). */
  async close(): Promise<void> {
    const handle = this.handle;
    this.handle = undefined;
    await handle?.then((wal) => wal.close()).catch(() => undefined);
  }
}
