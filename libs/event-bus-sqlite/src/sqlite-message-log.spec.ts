import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { partitionOf, SqliteMessageLog } from './sqlite-message-log';

describe('partitionOf', () => {
  it('is stable across runs: FNV-1a of the UTF-8 key (published test vectors), modulo the count', () => {
    // FNV-1a 32: '' = 0x811c9dc5 (2166136261), 'a' = 0xe40c292c (3826002220), 'foobar' = 0xbf9cf968 (3214735720).
    expect([partitionOf('', 1000), partitionOf('a', 1000), partitionOf('foobar', 1000)]).toEqual([261, 220, 720]);
  });

  it('spreads keys over every partition', () => {
    const hits = new Set(Array.from({ length: 100 }, (_, i) => partitionOf(`study-${i}`, 4)));
    expect([...hits].sort()).toEqual([0, 1, 2, 3]);
  });
});

describe('SqliteMessageLog', () => {
  let dir: string;
  let log: SqliteMessageLog;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'pacs-message-log-'));
    log = new SqliteMessageLog(join(dir, 'events.db'), 1000);
  });
  afterEach(() => {
    log.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const message = (key: string, seq: number) => ({ topic: 't', key, value: JSON.stringify({ seq }), headers: {} });

  it('numbers each partition from 0 and keeps the key on its partition', () => {
    const positions = log.append([message('a', 0), message('a', 1), message('a', 2)], 4);
    const partition = partitionOf('a', 4);
    expect(positions).toEqual([0, 1, 2].map((offset) => ({ topic: 't', partition, offset })));
    expect(log.fetch('t', partition, 1, 10).map((m) => m.offset)).toEqual([1, 2]);
  });

  it('keeps the partition count of an existing topic', () => {
    expect(log.ensureTopic('t', 4)).toBe(4);
    log.close();
    log = new SqliteMessageLog(join(dir, 'events.db'), 1000);
    expect(log.ensureTopic('t', 8)).toBe(4);
  });

  it('starts a new group at offset 0 and resumes a known one where it committed', () => {
    log.ensureTopic('t', 2);
    expect(log.joinGroup('g', 't', 2)).toEqual([0, 0]);
    log.commit('g', 't', 1, 5);
    expect(log.joinGroup('g', 't', 2)).toEqual([0, 5]);
  });

  it('never moves a committed offset backwards', () => {
    log.ensureTopic('t', 1);
    log.commit('g', 't', 0, 5);
    log.commit('g', 't', 0, 3);
    expect(log.joinGroup('g', 't', 1)).toEqual([5]);
  });

  it('deletes expired messages only below every known group, and keeps numbering after', () => {
    const partition = partitionOf('a', 1);
    log.append([message('a', 0), message('a', 1), message('a', 2)], 1, 'now', 1000);
    log.joinGroup('fast', 't', 1);
    log.joinGroup('slow', 't', 1);
    log.commit('fast', 't', partition, 3);
    log.commit('slow', 't', partition, 1);
    expect(log.deleteExpired(2000)).toBe(1);
    expect(log.fetch('t', partition, 0, 10).map((m) => m.offset)).toEqual([1, 2]);

    log.commit('slow', 't', partition, 3);
    expect(log.deleteExpired(1000)).toBe(0); // not old enough
    expect(log.deleteExpired(2000)).toBe(2);
    expect(log.append([message('a', 3)], 1)).toEqual([{ topic: 't', partition, offset: 3 }]);
  });

  it('deletes by age alone on a partition no group reads', () => {
    log.append([message('a', 0)], 1, 'now', 1000);
    expect(log.deleteExpired(2000)).toBe(1);
  });

  it('writes the dead-letter copy and the commit together', () => {
    log.append([message('a', 0)], 1);
    log.joinGroup('g', 't', 1);
    log.deadLetterAndCommit({ ...message('a', 0), topic: 't.dlq' }, 1, 'g', 't', 0, 1);
    expect(log.fetch('t.dlq', 0, 0, 10)).toHaveLength(1);
    expect(log.joinGroup('g', 't', 1)).toEqual([1]);
  });

  it('hides appends with a deferred sync from consumers until a WAL sync covers them', async () => {
    const partition = partitionOf('a', 1);
    log.append([message('a', 0)], 1);
    const first = log.append([message('a', 1), message('a', 2)], 1, 'deferred');
    expect(log.fetch('t', partition, 0, 10).map((m) => m.offset)).toEqual([0]);
    const sync = log.syncWal(first);
    // Appended while the sync runs: not covered by it.
    const second = log.append([message('a', 3)], 1, 'deferred');
    await sync;
    expect(log.fetch('t', partition, 0, 10).map((m) => m.offset)).toEqual([0, 1, 2]);
    expect(log.fetch('t', partition, 3, 10)).toEqual([]);
    await log.syncWal(second);
    expect(log.fetch('t', partition, 0, 10).map((m) => m.offset)).toEqual([0, 1, 2, 3]);
  });

  it('keeps deferred appends that were synced after a reopen, and shows what another handle appended', async () => {
    const positions = log.append([message('a', 0)], 1, 'deferred');
    await log.syncWal(positions);
    const other = new SqliteMessageLog(join(dir, 'events.db'), 1000);
    try {
      other.append([message('a', 1)], 1);
      expect(log.fetch('t', partitionOf('a', 1), 0, 10).map((m) => JSON.parse(m.value).seq)).toEqual([0, 1]);
    } finally {
      other.close();
    }
  });
});
