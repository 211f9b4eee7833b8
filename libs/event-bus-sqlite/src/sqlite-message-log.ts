import { mkdirSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { DatabaseSync, type SQLOutputValue, type StatementSync } from 'node:sqlite';

/** A message to append: the partition is derived from the key. */
export interface AppendRequest {
  readonly topic: string;
  readonly key: string;
  readonly value: string;
  readonly headers: Readonly<Record<string, string>>;
}

/** A stored message. */
export interface StoredMessage {
  readonly partition: number;
  readonly offset: number;
  readonly key: string;
  readonly value: string;
  readonly headers: Record<string, string>;
  readonly timestamp: number;
}

/** Where a message was appended. */
export interface AppendedPosition {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
}

/**
 * The durable log on one SQLite file: topics split in partitions, each an append-only sequence of
 * offsets, and the next offset to read of each consumer group per partition. Synchronous, like
 * node:sqlite itself; the bus above it owns the concurrency.
 */
export class SqliteMessageLog {
  private readonly db: DatabaseSync;
  private readonly partitionCounts = new Map<string, number>();
  /**
   * Per partition, the first and last offsets this process appended with a deferred sync that no
   * `syncWal` has covered yet. Consumers read below the first only (as Kafka's high watermark).
   */
  private readonly unsynced = new Map<string, { first: number; last: number }>();
  private wal: Promise<FileHandle> | undefined;
  private readonly statements: {
    readonly selectTopic: StatementSync;
    readonly insertTopic: StatementSync;
    readonly insertPartition: StatementSync;
    readonly nextOffset: StatementSync;
    readonly insertMessage: StatementSync;
    readonly fetch: StatementSync;
    readonly selectCommitted: StatementSync;
    readonly initCommitted: StatementSync;
    readonly upsertCommitted: StatementSync;
    readonly listPartitions: StatementSync;
    readonly minCommitted: StatementSync;
    readonly deleteExpired: StatementSync;
  };

  constructor(
    private readonly file: string,
    busyTimeoutMs: number,
  ) {
    if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
    this.db = new DatabaseSync(file, { timeout: busyTimeoutMs });
    // WAL: readers (the consumer loops) never block the writer. synchronous=FULL: a commit returns
    // only once the WAL is fsynced, so an acknowledged publish survives a SIGKILL or a power loss.
    this.db.exec('PRAGMA journal_mode = WAL');
    this.db.exec('PRAGMA synchronous = FULL');
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS topics (
        name TEXT PRIMARY KEY,
        partitions INTEGER NOT NULL
      );
      CREATE TABLE IF NOT EXISTS partitions (
        topic TEXT NOT NULL,
        partition INTEGER NOT NULL,
        -- Kept apart from MAX(offset): retention may delete every message, offsets must not restart.
        next_offset INTEGER NOT NULL,
        PRIMARY KEY (topic, partition)
      );
      CREATE TABLE IF NOT EXISTS messages (
        topic TEXT NOT NULL,
        partition INTEGER NOT NULL,
        offset INTEGER NOT NULL,
        key TEXT NOT NULL,
        value TEXT NOT NULL,
        headers TEXT NOT NULL,
        timestamp INTEGER NOT NULL,
        PRIMARY KEY (topic, partition, offset)
      );
      CREATE TABLE IF NOT EXISTS committed_offsets (
        consumer_group TEXT NOT NULL,
        topic TEXT NOT NULL,
        partition INTEGER NOT NULL,
        -- The next offset to deliver, as Kafka commits it.
        next_offset INTEGER NOT NULL,
        PRIMARY KEY (consumer_group, topic, partition)
      );
    `);
    const db = this.db;
    this.statements = {
      selectTopic: db.prepare('SELECT partitions FROM topics WHERE name = ?'),
      insertTopic: db.prepare('INSERT OR IGNORE INTO topics (name, partitions) VALUES (?, ?)'),
      insertPartition: db.prepare('INSERT OR IGNORE INTO partitions (topic, partition, next_offset) VALUES (?, ?, 0)'),
      nextOffset: db.prepare(
        'UPDATE partitions SET next_offset = next_offset + 1 WHERE topic = ? AND partition = ? RETURNING next_offset - 1 AS offset',
      ),
      insertMessage: db.prepare(
        'INSERT INTO messages (topic, partition, offset, key, value, headers, timestamp) VALUES (?, ?, ?, ?, ?, ?, ?)',
      ),
      fetch: db.prepare(
        'SELECT partition, offset, key, value, headers, timestamp FROM messages WHERE topic = ? AND partition = ? AND offset >= ? AND offset < ? ORDER BY offset LIMIT ?',
      ),
      selectCommitted: db.prepare(
        'SELECT next_offset FROM committed_offsets WHERE consumer_group = ? AND topic = ? AND partition = ?',
      ),
      initCommitted: db.prepare(
        'INSERT OR IGNORE INTO committed_offsets (consumer_group, topic, partition, next_offset) VALUES (?, ?, ?, 0)',
      ),
      upsertCommitted: db.prepare(
        `INSERT INTO committed_offsets (consumer_group, topic, partition, next_offset) VALUES (?, ?, ?, ?)
         ON CONFLICT (consumer_group, topic, partition) DO UPDATE SET next_offset = MAX(next_offset, excluded.next_offset)`,
      ),
      listPartitions: db.prepare('SELECT topic, partition FROM partitions'),
      minCommitted: db.prepare(
        'SELECT MIN(next_offset) AS bound FROM committed_offsets WHERE topic = ? AND partition = ?',
      ),
      deleteExpired: db.prepare(
        'DELETE FROM messages WHERE topic = ? AND partition = ? AND offset < ? AND timestamp < ?',
      ),
    };
  }

  /** Whether the database handle is open. */
  get isOpen(): boolean {
    return this.db.isOpen;
  }

  /** Creates the topic with `partitions` partitions unless it exists; returns its partition count. */
  ensureTopic(topic: string, partitions: number): number {
    const cached = this.partitionCounts.get(topic);
    if (cached !== undefined) return cached;
    const count = this.transaction(() => {
      this.statements.insertTopic.run(topic, partitions);
      // An existing topic keeps its count: changing it would move keys to other partitions.
      const stored = asNumber(this.statements.selectTopic.get(topic)?.['partitions']);
      for (let partition = 0; partition < stored; partition++) this.statements.insertPartition.run(topic, partition);
      return stored;
    });
    this.partitionCounts.set(topic, count);
    return count;
  }

  /**
   * Appends the messages in one transaction. `sync: 'now'` fsyncs the WAL in the commit, on this
   * thread (synchronous=FULL). `sync: 'deferred'` commits without it: the messages are durable
   * (and readable by consumers) only once a later `syncWal()` returns, which then covers every
   * append made before it started: one fsync for many commits, off the event loop.
   */
  append(
    requests: readonly AppendRequest[],
    partitionsOfNewTopics: number,
    sync: 'now' | 'deferred' = 'now',
    now = Date.now(),
  ): AppendedPosition[] {
    for (const request of requests) this.ensureTopic(request.topic, partitionsOfNewTopics);
    if (sync === 'now') {
      return this.transaction(() => requests.map((request) => this.appendOne(request, now)));
    }
    this.db.exec('PRAGMA synchronous = NORMAL');
    try {
      const positions = this.transaction(() => requests.map((request) => this.appendOne(request, now)));
      for (const { topic, partition, offset } of positions) {
        const key = partitionKey(topic, partition);
        const range = this.unsynced.get(key);
        if (range) range.last = offset;
        else this.unsynced.set(key, { first: offset, last: offset });
      }
      return positions;
    } finally {
      this.db.exec('PRAGMA synchronous = FULL');
    }
  }

  /**
   * Makes every commit so far durable: fdatasync of the WAL file, on the thread pool. Give it the
   * positions appended with a deferred sync before the call; they become readable once it returns.
   */
  async syncWal(positions: readonly AppendedPosition[]): Promise<void> {
    // The WAL exists from the first write on and keeps its inode while the database is open.
    this.wal ??= open(`${this.file}-wal`, 'r');
    const wal = await this.wal;
    await wal.datasync();
    this.markDurable(positions);
  }

  /** The deferred appends in `positions` are durable now: consumers may read them. */
  private markDurable(positions: readonly AppendedPosition[]): void {
    const covered = new Map<string, number>();
    for (const { topic, partition, offset } of positions) {
      const key = partitionKey(topic, partition);
      covered.set(key, Math.max(covered.get(key) ?? -1, offset));
    }
    for (const [key, last] of covered) {
      const range = this.unsynced.get(key);
      if (!range) continue;
      // Offsets grow: what was appended after the sync started comes after what it covered.
      if (range.last <= last) this.unsynced.delete(key);
      else range.first = last + 1;
    }
  }

  /** Up to `limit` messages of a partition from offset `from` on. */
  fetch(topic: string, partition: number, from: number, limit: number): StoredMessage[] {
    const end = this.unsynced.get(partitionKey(topic, partition))?.first ?? Number.MAX_SAFE_INTEGER;
    if (from >= end) return [];
    return this.statements.fetch.all(topic, partition, from, end, limit).map((row) => ({
      partition: asNumber(row['partition']),
      offset: asNumber(row['offset']),
      key: String(row['key']),
      value: String(row['value']),
      headers: JSON.parse(String(row['headers'])) as Record<string, string>,
      timestamp: asNumber(row['timestamp']),
    }));
  }

  /**
   * Registers the group on every partition of the topic, at offset 0 (the earliest message) when
   * it is new, and returns the next offset to deliver per partition.
   */
  joinGroup(group: string, topic: string, partitions: number): number[] {
    return this.transaction(() =>
      Array.from({ length: partitions }, (_, partition) => {
        this.statements.initCommitted.run(group, topic, partition);
        return asNumber(this.statements.selectCommitted.get(group, topic, partition)?.['next_offset']);
      }),
    );
  }

  /**
   * Records that the group is done with every offset below `nextOffset`. Committed without fsync
   * (synchronous=NORMAL): it survives a process crash; a power loss may roll it back, which only
   * redelivers messages, as at-least-once allows. It saves one fsync per message per group.
   */
  commit(group: string, topic: string, partition: number, nextOffset: number): void {
    this.db.exec('PRAGMA synchronous = NORMAL');
    try {
      this.statements.upsertCommitted.run(group, topic, partition, nextOffset);
    } finally {
      this.db.exec('PRAGMA synchronous = FULL');
    }
  }

  /** Appends the dead-letter copy and commits the original in one transaction: never one without the other. */
  deadLetterAndCommit(
    deadLetter: AppendRequest,
    partitionsOfNewTopics: number,
    group: string,
    topic: string,
    partition: number,
    nextOffset: number,
  ): AppendedPosition {
    this.ensureTopic(deadLetter.topic, partitionsOfNewTopics);
    const position = this.transaction(() => {
      const appended = this.appendOne(deadLetter, Date.now());
      this.statements.upsertCommitted.run(group, topic, partition, nextOffset);
      return appended;
    });
    return position;
  }

  /**
   * Deletes the messages older than `olderThan` (epoch ms) that every group known on their partition
   * has committed; on a partition that no group reads (a dead-letter topic, say), age alone decides.
   * Returns how many were deleted.
   */
  deleteExpired(olderThan: number): number {
    let deleted = 0;
    for (const row of this.statements.listPartitions.all()) {
      const topic = String(row['topic']);
      const partition = asNumber(row['partition']);
      const bound = this.statements.minCommitted.get(topic, partition)?.['bound'];
      const below = bound === null || bound === undefined ? Number.MAX_SAFE_INTEGER : asNumber(bound);
      deleted += Number(this.statements.deleteExpired.run(topic, partition, below, olderThan).changes);
    }
    return deleted;
  }

  close(): void {
    const wal = this.wal;
    this.wal = undefined;
    void wal?.then((handle) => handle.close()).catch(() => undefined);
    if (this.db.isOpen) this.db.close();
  }

  private appendOne(request: AppendRequest, now: number): AppendedPosition {
    const partitions = this.partitionCounts.get(request.topic);
    if (partitions === undefined) throw new Error(`topic ${request.topic} is not provisioned`);
    const partition = partitionOf(request.key, partitions);
    const offset = asNumber(this.statements.nextOffset.get(request.topic, partition)?.['offset']);
    this.statements.insertMessage.run(
      request.topic,
      partition,
      offset,
      request.key,
      request.value,
      JSON.stringify(request.headers),
      now,
    );
    return { topic: request.topic, partition, offset };
  }

  private transaction<R>(work: () => R): R {
    // IMMEDIATE takes the write lock up front: a busy database fails here, before any change.
    this.db.exec('BEGIN IMMEDIATE');
    try {
      const result = work();
      this.db.exec('COMMIT');
      return result;
    } catch (error) {
      if (this.db.isOpen && this.db.isTransaction) this.db.exec('ROLLBACK');
      throw error;
    }
  }
}

function partitionKey(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}

/** Partition of a key: FNV-1a of its UTF-8 bytes modulo the partition count (stable across runs). */
export function partitionOf(key: string, partitions: number): number {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(key, 'utf8')) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % partitions;
}

function asNumber(value: SQLOutputValue | undefined): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  throw new Error(`expected an integer column, got ${value === null ? 'null' : typeof value}`);
}
