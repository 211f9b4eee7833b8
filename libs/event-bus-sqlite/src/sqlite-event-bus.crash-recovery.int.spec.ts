import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TopicDefinition } from '@pacs/contracts';
import { waitFor } from '@pacs/event-bus/testing';
import { z } from 'zod';
import { SqliteEventBus } from './sqlite-event-bus.adapter';

// The embedded process is SIGKILLed while events are being published and consumed, with a
// consumer group lagging behind. After a restart on the same file, each group gets every event
// whose publish was acknowledged: duplicates are allowed (at least once), none may be missing.
describe('SqliteEventBus crash recovery (SIGKILL of the process)', () => {
  const root = mkdtempSync(join(tmpdir(), 'pacs-crash-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('delivers every acknowledged event to each group after a restart', async () => {
    const file = join(root, 'events.db');
    const topic: TopicDefinition<{ seq: number; key: string }> = {
      name: 'pacs.crash.recovery.v1',
      schema: z.object({ seq: z.number(), key: z.string() }),
      key: (e) => e.key,
    };
    const fixture = join(__dirname, 'test-fixtures', 'publish-and-consume-until-killed.fixture.ts');
    const register = join(__dirname, '..', '..', '..', 'tools', 'testing', 'register-ts.js');
    const child = spawn(process.execPath, ['--no-warnings', '-r', register, fixture, file, topic.name], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const acknowledged = new Set<number>();
    const before = { fast: new Set<number>(), slow: new Set<number>() };
    let pending = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      const lines = (pending + chunk).split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        const [what, seq] = line.split(' ');
        if (what === 'P') acknowledged.add(Number(seq));
        else if (what === 'fast' || what === 'slow') before[what].add(Number(seq));
      }
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => void (stderr += chunk));
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_c, signal) => resolve(signal)));
    try {
      // Kill once enough is published and the slow group is visibly behind: by 100, so that the
      // lines the child writes between the check and its death still leave it more than 50 behind.
      await waitFor(
        () => child.exitCode !== null || (acknowledged.size >= 400 && before.slow.size < acknowledged.size - 100),
        30_000,
        '400 acknowledged events with the slow group behind',
      );
    } finally {
      child.kill('SIGKILL');
    }
    expect({ signal: await exited, stderr }).toEqual({ signal: 'SIGKILL', stderr: '' });
    const unconsumedBeforeKill = [...acknowledged].filter((seq) => !before.slow.has(seq)).length;
    expect(unconsumedBeforeKill).toBeGreaterThan(50);

    const bus = new SqliteEventBus({ file, partitions: 3 });
    await bus.start([topic]);
    const after = { fast: new Set<number>(), slow: new Set<number>() };
    const counts = { fast: 0, slow: 0 };
    for (const group of ['fast', 'slow'] as const) {
      await bus.subscribe(
        topic,
        async ({ value }) => {
          after[group].add(value.seq);
          counts[group]++;
        },
        { group },
      );
    }
    try {
      for (const group of ['fast', 'slow'] as const) {
        const missing = () => [...acknowledged].filter((seq) => !before[group].has(seq) && !after[group].has(seq));
        await waitFor(() => missing().length === 0, 15_000, `group ${group} to get every acknowledged event`).catch(
          (error: unknown) => {
            throw new Error(`${String(error)}; missing: ${missing().slice(0, 20).join(',')}`);
          },
        );
      }
    } finally {
      await bus.close();
    }
    // Nothing the slow group had not finished before the kill was lost.
    expect(after.slow.size).toBeGreaterThanOrEqual(unconsumedBeforeKill);
  }, 60_000);
});
