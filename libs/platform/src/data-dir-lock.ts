import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';

/** Held while this process owns the data folder. */
export interface DataDirLock {
  readonly dataDir: string;
  /** Releases the lock; the OS releases it too when the process dies, even on SIGKILL. */
  release(): void;
}

export class DataDirInUseError extends Error {
  constructor(
    readonly dataDir: string,
    readonly holderPid: number | undefined,
  ) {
    super(
      `the data folder ${dataDir} is in use by another PACS process` +
        (holderPid ? ` (pid ${holderPid})` : '') +
        '; stop it first, or give this one its own folder with PACS_DATA_DIR',
    );
    this.name = 'DataDirInUseError';
  }
}

/**
 * Takes an exclusive OS-level lock on the data folder. The embedded adapters (event log, blobs)
 * assume one writer; SQLite's exclusive locking mode holds an fcntl lock that a crash releases,
 * so a stale lock file never blocks a restart (a pid file alone would).
 */
export function acquireDataDirLock(dataDir: string): DataDirLock {
  mkdirSync(dataDir, { recursive: true });
  const db = new DatabaseSync(join(dataDir, 'pacs.lock'));
  const pidFile = join(dataDir, 'pacs.pid');
  try {
    db.exec('PRAGMA busy_timeout = 0; PRAGMA locking_mode = EXCLUSIVE; BEGIN EXCLUSIVE;');
  } catch (error) {
    db.close();
    if (/locked|busy/i.test(String(error))) throw new DataDirInUseError(dataDir, readPid(pidFile));
    throw error;
  }
  writeFileSync(pidFile, `${process.pid}\n`);
  let held = true;
  return {
    dataDir,
    release() {
      if (!held) return;
      held = false;
      db.exec('ROLLBACK');
      db.close();
    },
  };
}

function readPid(pidFile: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(pidFile, 'utf8'), 10);
    return Number.isFinite(pid) ? pid : undefined;
  } catch {
    return undefined;
  }
}
