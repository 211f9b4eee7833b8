import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import type { EventBus } from '@pacs/event-bus';
import { runEventBusContract } from '@pacs/event-bus/testing';
import { SqliteEventBus, type SqliteEventBusOptions } from './sqlite-event-bus.adapter';

const root = mkdtempSync(join(tmpdir(), 'pacs-event-bus-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

let files = 0;
const fileOf = new WeakMap<EventBus, string>();

function open(file: string, overrides: Partial<SqliteEventBusOptions> = {}): SqliteEventBus {
  const bus = new SqliteEventBus({ file, partitions: 4, pollIntervalMs: 200, shutdownTimeoutMs: 5000, ...overrides });
  fileOf.set(bus, file);
  return bus;
}

runEventBusContract('SQLite', {
  async create() {
    return open(join(root, `bus-${++files}`, 'events.db'));
  },
  async restartAfterCrash(bus) {
    (bus as SqliteEventBus).simulateCrash();
    return open(fileOf.get(bus)!);
  },
  async createFailingPublisher(topic) {
    const file = join(root, `locked-${++files}`, 'events.db');
    const bus = open(file, { busyTimeoutMs: 100 });
    await bus.start([topic]);
    // Another process holds the write lock: the append cannot commit, the publish must fail.
    const other = new DatabaseSync(file);
    other.exec('BEGIN EXCLUSIVE');
    return {
      bus,
      async release() {
        other.exec('ROLLBACK');
        other.close();
      },
    };
  },
});
