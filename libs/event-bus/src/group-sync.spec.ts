import { GroupSync } from './group-sync';

/** A flush whose completions the test controls, recording when each started. */
function controlledFlush() {
  const started: number[] = [];
  const finish: Array<(error?: Error) => void> = [];
  let writes = 0;
  const flush = () =>
    new Promise<void>((resolve, reject) => {
      started.push(writes);
      finish.push((error) => (error ? reject(error) : resolve()));
    });
  return { flush, started, finish, write: () => (writes += 1) };
}

describe('GroupSync', () => {
  it('starts a flush at once when none runs', async () => {
    const f = controlledFlush();
    const group = new GroupSync(f.flush);
    f.write();
    const done = group.sync();
    expect(f.started).toEqual([1]);
    f.finish[0]!();
    await expect(done).resolves.toBeUndefined();
  });

  it('makes callers that arrive during a flush share one later flush that starts after their writes', async () => {
    const f = controlledFlush();
    const group = new GroupSync(f.flush);
    f.write();
    const first = group.sync();
    f.write();
    const second = group.sync();
    f.write();
    const third = group.sync();
    expect(f.started).toEqual([1]);
    let secondDone = false;
    void second.then(() => (secondDone = true));
    f.finish[0]!();
    await first;
    await Promise.resolve();
    expect(secondDone).toBe(false);
    // The next flush started after all three writes, and serves the second and third callers.
    expect(f.started).toEqual([1, 3]);
    f.finish[1]!();
    await expect(Promise.all([second, third])).resolves.toEqual([undefined, undefined]);
    expect(f.started).toHaveLength(2);
  });

  it('rejects the callers of a failed flush, and the next caller gets a new flush', async () => {
    const f = controlledFlush();
    const group = new GroupSync(f.flush);
    const first = group.sync();
    f.finish[0]!(new Error('EIO'));
    await expect(first).rejects.toThrow('EIO');
    const second = group.sync();
    expect(f.started).toHaveLength(2);
    f.finish[1]!();
    await expect(second).resolves.toBeUndefined();
  });
});
