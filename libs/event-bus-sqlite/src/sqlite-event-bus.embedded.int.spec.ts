import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import type { TopicDefinition } from '@pacs/contracts';
import { EventBusError, type DeliveredMessage } from '@pacs/event-bus';
import { deferred, waitFor } from '@pacs/event-bus/testing';
import { z } from 'zod';
import { SqliteEventBus, type SqliteEventBusOptions } from './sqlite-event-bus.adapter';
import { SqliteMessageLog } from './sqlite-message-log';

const root = mkdtempSync(join(tmpdir(), 'pacs-event-bus-embedded-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

let counter = 0;
const Seq = z.object({ seq: z.number().int(), key: z.string() });
type Seq = z.infer<typeof Seq>;
function topic(label: string): TopicDefinition<Seq> {
  return { name: `pacs.embedded.${label}${++counter}.v1`, schema: Seq, key: (e) => e.key };
}

describe('SqliteEventBus (embedded specifics)', () => {
  let buses: SqliteEventBus[] = [];
  let file: string;
  function open(overrides: Partial<SqliteEventBusOptions> = {}): SqliteEventBus {
    const bus = new SqliteEventBus({ file, partitions: 3, pollIntervalMs: 100, ...overrides });
    buses.push(bus);
    return bus;
  }
  beforeEach(() => {
    file = join(root, `case-${++counter}`, 'events.db');
  });
  afterEach(async () => {
    await Promise.allSettled(buses.map((bus) => bus.close()));
    buses = [];
  });

  it('keeps every acknowledged publish when the process is killed with SIGKILL', async () => {
    const t = topic('sigkill');
    const fixture = join(__dirname, 'test-fixtures', 'publish-until-killed.fixture.ts');
    const register = join(__dirname, '..', '..', '..', 'tools', 'testing', 'register-ts.js');
    const child = spawn(process.execPath, ['--no-warnings', '-r', register, fixture, file, t.name], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let acknowledged = -1;
    let stderr = '';
    let buffered = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      buffered += chunk;
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) if (line) acknowledged = Number(line);
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => void (stderr += chunk));
    const exited = new Promise<NodeJS.Signals | null>((resolve) =>
      child.on('exit', (_code, signal) => resolve(signal)),
    );
    try {
      await waitFor(() => acknowledged >= 200 || child.exitCode !== null, 20_000, 'the child to publish 200 events');
    } finally {
      child.kill('SIGKILL');
    }
    expect({ signal: await exited, stderr }).toEqual({ signal: 'SIGKILL', stderr: '' });
    const lastAcknowledged = acknowledged;

    const bus = open();
    await bus.start([t]);
    const seen = new Set<number>();
    await bus.subscribe(t, async ({ value }) => void seen.add(value.seq), { group: 'after-kill' });
    const acknowledgedSeqs = Array.from({ length: lastAcknowledged + 1 }, (_, seq) => seq);
    await waitFor(() => acknowledgedSeqs.every((seq) => seen.has(seq)), 10_000, `events 0..${lastAcknowledged}`).catch(
      (error: unknown) => {
        throw new Error(`${String(error)}; missing: ${acknowledgedSeqs.filter((seq) => !seen.has(seq)).join(',')}`);
      },
    );
  }, 30_000);

  it('commits concurrent publishes together, each key in call order', async () => {
    const t = topic('group-commit');
    const bus = open();
    await bus.start([t]);
    const received = new Map<string, number[]>();
    await bus.subscribe(
      t,
      async ({ value }) => void received.set(value.key, [...(received.get(value.key) ?? []), value.seq]),
      {
        group: 'g',
      },
    );
    await Promise.all(Array.from({ length: 300 }, (_, seq) => bus.publish(t, { seq, key: `k${seq % 5}` })));
    await waitFor(() => [...received.values()].reduce((n, seqs) => n + seqs.length, 0) === 300, 10_000, '300 events');
    for (const [key, seqs] of received) {
      expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
      expect(seqs.every((seq) => `k${seq % 5}` === key)).toBe(true);
    }
  });

  it('handles the partitions of a topic concurrently', async () => {
    const t = topic('concurrent');
    const bus = open({ partitions: 3 });
    await bus.start([t]);
    const release = deferred();
    let running = 0;
    let peak = 0;
    await bus.subscribe(
      t,
      async () => {
        running++;
        peak = Math.max(peak, running);
        await release.promise;
        running--;
      },
      { group: 'g' },
    );
    // Six keys over three partitions: some land on different partitions.
    for (const key of ['a', 'b', 'c', 'd', 'e', 'f']) await bus.publish(t, { seq: 0, key });
    await waitFor(() => peak >= 2, 5000, 'two partitions in flight at once');
    release.resolve();
  });

  it('acknowledges concurrent publishes with few WAL syncs, each only after a sync that covers it', async () => {
    const t = topic('group-sync');
    const bus = open();
    await bus.start([t]);
    const sync = jest.spyOn(SqliteMessageLog.prototype, 'syncWal');
    try {
      // 50 publishes from 50 "requests" arriving over a few turns of the event loop.
      await Promise.all(
        Array.from({ length: 50 }, async (_, seq) => {
          await new Promise((resolve) => setImmediate(resolve));
          await bus.publish(t, { seq, key: `k${seq}` });
        }),
      );
      expect(sync.mock.calls.length).toBeGreaterThanOrEqual(1);
      expect(sync.mock.calls.length).toBeLessThan(10);
      const covered = sync.mock.calls.flatMap(([positions]) => positions);
      expect(covered).toHaveLength(50);
    } finally {
      sync.mockRestore();
    }
  });

  it('fails the publishes of a failed WAL sync and every later one, and reports itself disconnected', async () => {
    const t = topic('sync-failure');
    const bus = open();
    await bus.start([t]);
    await bus.publish(t, { seq: 0, key: 'k' });
    const sync = jest
      .spyOn(SqliteMessageLog.prototype, 'syncWal')
      .mockRejectedValueOnce(Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' }));
    try {
      await expect(bus.publish(t, { seq: 1, key: 'k' })).rejects.toMatchObject({
        code: 'PUBLISH_FAILED',
        message: expect.stringContaining('EIO'),
      });
      await expect(bus.publish(t, { seq: 2, key: 'k' })).rejects.toMatchObject({
        code: 'PUBLISH_FAILED',
        message: expect.stringContaining('restart'),
      });
      expect(bus.health().connected).toBe(false);
    } finally {
      sync.mockRestore();
    }
  });

  it('picks up, by polling, a message it was not woken for', async () => {
    const t = topic('poll');
    const consumer = open({ pollIntervalMs: 50 });
    await consumer.start([t]);
    const received: number[] = [];
    await consumer.subscribe(t, async ({ value }) => void received.push(value.seq), { group: 'g' });
    // Another handle on the file appends: no in-process wake-up reaches the consumer.
    const writer = new SqliteEventBus({ file });
    await writer.start([t]);
    await writer.publish(t, { seq: 1, key: 'k' });
    await writer.close();
    await waitFor(() => received.length === 1, 2000, 'the polled message');
  });

  it('refuses publish and subscribe before start, and a second consumer of a topic in the same group', async () => {
    const t = topic('states');
    const bus = open();
    await expect(bus.publish(t, { seq: 0, key: 'k' })).rejects.toMatchObject({ code: 'NOT_STARTED' });
    await expect(bus.subscribe(t, async () => undefined, { group: 'g' })).rejects.toMatchObject({
      code: 'NOT_STARTED',
    });
    await bus.start([t]);
    await bus.subscribe(t, async () => undefined, { group: 'g' });
    await expect(bus.subscribe(t, async () => undefined, { group: 'g' })).rejects.toBeInstanceOf(EventBusError);
  });

  it('commits what a handler publishes while close() waits for it', async () => {
    const source = topic('close-source');
    const sink = topic('close-sink');
    const bus = open();
    await bus.start([source, sink]);
    const started = deferred();
    await bus.subscribe(
      source,
      async ({ value }) => {
        started.resolve();
        await new Promise((resolve) => setTimeout(resolve, 100));
        await bus.publish(sink, { ...value, seq: value.seq + 1 });
      },
      { group: 'g' },
    );
    await bus.publish(source, { seq: 1, key: 'k' });
    await started.promise;
    await bus.close();

    const reopened = open();
    await reopened.start([sink]);
    const sunk: number[] = [];
    await reopened.subscribe(sink, async ({ value }) => void sunk.push(value.seq), { group: 'reader' });
    await waitFor(() => sunk.length === 1, 5000, 'the event published during close');
    expect(sunk).toEqual([2]);
  });

  it('abandons a handler that outlives shutdownTimeoutMs, leaving its message for the next start', async () => {
    const t = topic('stuck');
    const bus = open({ shutdownTimeoutMs: 200 });
    await bus.start([t]);
    const started = deferred();
    await bus.subscribe(
      t,
      async () => {
        started.resolve();
        await new Promise<never>(() => undefined);
      },
      { group: 'g' },
    );
    await bus.publish(t, { seq: 1, key: 'k' });
    await started.promise;
    const closing = Date.now();
    await bus.close();
    expect(Date.now() - closing).toBeLessThan(2000);

    const reopened = open();
    await reopened.start([t]);
    const redelivered: DeliveredMessage<Seq>[] = [];
    await reopened.subscribe(t, async (message) => void redelivered.push(message), { group: 'g' });
    await waitFor(() => redelivered.length === 1, 5000, 'the redelivery');
    expect(redelivered[0]!.value.seq).toBe(1);
  });

  it('ends a pending retry backoff at close, without committing', async () => {
    const t = topic('backoff');
    const bus = open();
    await bus.start([t]);
    let calls = 0;
    await bus.subscribe(
      t,
      async () => {
        calls++;
        throw new Error('down');
      },
      { group: 'g', retryBackoffMs: 60_000, maxRetryBackoffMs: 60_000 },
    );
    await bus.publish(t, { seq: 1, key: 'k' });
    await waitFor(() => calls === 1, 5000, 'the first attempt');
    const closing = Date.now();
    await bus.close();
    expect(Date.now() - closing).toBeLessThan(1000);

    const reopened = open();
    await reopened.start([t]);
    const redelivered: number[] = [];
    await reopened.subscribe(t, async ({ value }) => void redelivered.push(value.seq), { group: 'g' });
    await waitFor(() => redelivered.length === 1, 5000, 'the redelivery');
  });

  it('deletes, with retentionDays, old messages that every group committed', async () => {
    const t = topic('retention');
    const bus = open({ retentionDays: 1, partitions: 1 });
    await bus.start([t]);
    const done: number[] = [];
    await bus.subscribe(t, async ({ value }) => void done.push(value.seq), { group: 'g' });
    for (let seq = 0; seq < 3; seq++) await bus.publish(t, { seq, key: 'k' });
    await waitFor(() => done.length === 3, 5000, 'the three events');
    expect(bus.deleteExpiredMessages()).toBe(0);
    // The last commit follows the handler's return: wait for it rather than assume it.
    let deleted = 0;
    const inTwoDays = Date.now() + 2 * 24 * 3600 * 1000;
    await waitFor(() => (deleted += bus.deleteExpiredMessages(inTwoDays)) === 3, 5000, 'the three events to expire');
    await bus.close();

    const db = new DatabaseSync(file, { readOnly: true });
    try {
      expect(db.prepare('SELECT COUNT(*) AS n FROM messages WHERE topic = ?').get(t.name)).toEqual({ n: 0 });
    } finally {
      db.close();
    }
  });

  it('fails start with START_FAILED when the file cannot be opened', async () => {
    // A directory where the database file should be: SQLite cannot open it.
    const directory = join(root, 'a-directory');
    mkdirSync(directory);
    const bus = new SqliteEventBus({ file: directory });
    await expect(bus.start([])).rejects.toMatchObject({ code: 'START_FAILED', retriable: true });
  });
});
