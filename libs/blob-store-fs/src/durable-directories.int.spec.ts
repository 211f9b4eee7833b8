import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DurableDirectories } from './durable-directories';

describe('DurableDirectories', () => {
  let root: string;
  let synced: string[];
  let spy: jest.SpyInstance;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'pacs-durable-dirs-'));
    synced = [];
    // Count the folder fsyncs, through the module object the class uses (an `import * as` copy
    // would not reach it).
    const nodeFs = jest.requireActual<typeof import('node:fs')>('node:fs');
    const realFsync = nodeFs.fsync;
    spy = jest.spyOn(nodeFs, 'fsync').mockImplementation(((fd: number, callback: (error: Error | null) => void) => {
      synced.push(nodeFs.readlinkSync(`/proc/self/fd/${fd}`).slice(root.length) || '/');
      realFsync(fd, callback);
    }) as typeof nodeFs.fsync);
  });
  afterEach(() => {
    spy.mockRestore();
    rmSync(root, { recursive: true, force: true });
  });

  it('creates a path and fsyncs the parent of every folder in it, once', async () => {
    const dirs = new DurableDirectories(root);
    await dirs.ensure(join(root, 'a', 'b', 'c'));
    expect(existsSync(join(root, 'a', 'b', 'c'))).toBe(true);
    expect(synced.sort()).toEqual(['/', '/a', '/a/b']);
    await dirs.ensure(join(root, 'a', 'b', 'c'));
    expect(synced).toHaveLength(3);
  });

  it('syncs a folder it finds existing (another writer may not have synced it yet), then trusts it', async () => {
    mkdirSync(join(root, 'x', 'y'), { recursive: true });
    const dirs = new DurableDirectories(root);
    await Promise.all([dirs.ensure(join(root, 'x', 'y', '1')), dirs.ensure(join(root, 'x', 'y', '2'))]);
    // y's entry in x and x's in the root are synced once for both; each new folder's entry in y once each.
    expect(synced.sort()).toEqual(['/', '/x', '/x/y', '/x/y']);
  });

  it('creates a forgotten folder again after it was removed', async () => {
    const dirs = new DurableDirectories(root);
    await dirs.ensure(join(root, 'p', 'q'));
    rmSync(join(root, 'p'), { recursive: true });
    dirs.forget(join(root, 'p', 'q'));
    dirs.forget(join(root, 'p'));
    await dirs.ensure(join(root, 'p', 'q'));
    expect(existsSync(join(root, 'p', 'q'))).toBe(true);
  });

  it('leaves the root itself and paths outside it alone', async () => {
    const dirs = new DurableDirectories(root);
    await dirs.ensure(root);
    await dirs.ensure(tmpdir());
    expect(synced).toEqual([]);
  });
});
