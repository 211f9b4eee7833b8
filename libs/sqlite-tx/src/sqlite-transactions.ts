import type { DatabaseSync } from 'node:sqlite';
import { immediateTransaction } from './sqlite-wal-database';

export interface SqliteTransactionsOptions<Open extends { readonly db: DatabaseSync }> {
  /** The open database and what goes with it (its prepared statements); throws when it is not open. */
  readonly open: () => Open;
  /** Makes every commit so far durable, e.g. a WalSync: a write resolves after it. */
  readonly durable: { sync(): Promise<void> };
  /**
   * What a failed transaction or sync rejects with, given the name of the operation (e.g. a
   * retriable error of the port for what the engine threw); by default the error as it is.
   */
  readonly engineError?: (operation: string, error: unknown) => unknown;
}

/**
 * The transactions of one SQLite connection. Their work is synchronous (node:sqlite), so no other
 * work of this process runs inside one; BEGIN IMMEDIATE keeps other connections' writes out of a
 * write, in this process or another.
 */
export class SqliteTransactions<Open extends { readonly db: DatabaseSync }> {
  private readonly engineError: (operation: string, error: unknown) => unknown;

  constructor(private readonly options: SqliteTransactionsOptions<Open>) {
    this.engineError = options.engineError ?? ((_operation, error) => error);
  }

  /** Whether the database is open and answers a query (the adapters' isHealthy, for readiness). */
  answers(): boolean {
    try {
      this.options.open().db.prepare('SELECT 1').get();
      return true;
    } catch {
      return false;
    }
  }

  /** Runs `read` in one read transaction: its statements see one state of the file. */
  read<T>(operation: string, read: (open: Open) => T): Promise<T> {
    const open = this.options.open();
    try {
      open.db.exec('BEGIN');
      try {
        return Promise.resolve(read(open));
      } finally {
        if (open.db.isTransaction) open.db.exec('COMMIT');
      }
    } catch (error) {
      return Promise.reject(this.engineError(operation, error));
    }
  }

  /**
   * Runs `write` in one BEGIN IMMEDIATE transaction (none of it kept when it throws), then
   * resolves once the commit is durable: also when nothing changed, for what it read may have
   * been committed by a write not synced yet.
   */
  async write<T>(operation: string, write: (open: Open) => T): Promise<T> {
    const open = this.options.open();
    let written: T;
    try {
      written = immediateTransaction(open.db, () => write(open));
      await this.options.durable.sync();
    } catch (error) {
      throw this.engineError(operation, error);
    }
    return written;
  }
}
