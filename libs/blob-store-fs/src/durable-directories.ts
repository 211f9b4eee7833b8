import { closeSync, fsync, mkdirSync, openSync } from 'node:fs';
import { dirname, sep } from 'node:path';

const CREATE_ATTEMPTS = 5;

/**
 * The folders of a blob store root that this process has made durable: created, and their entry
 * fsynced in their parent, up to the root. A folder found existing is treated as new once (it may
 * be another writer's, not yet synced); after that it costs nothing. Bounded: the least recently
 * used entries are forgotten (and made durable again if needed, which is harmless).
 */
export class DurableDirectories {
  private readonly known = new Map<string, Promise<void>>();

  constructor(
    private readonly root: string,
    private readonly limit = 10_000,
  ) {}

  /** Resolves once `dir` exists and survives a crash (its entry and its parents' are fsynced). */
  ensure(dir: string): Promise<void> {
    if (dir === this.root || !dir.startsWith(this.root + sep)) return Promise.resolve();
    const cached = this.known.get(dir);
    if (cached) {
      this.known.delete(dir);
      this.known.set(dir, cached);
      return cached;
    }
    const ready = this.create(dir);
    this.known.set(dir, ready);
    ready.catch(() => {
      if (this.known.get(dir) === ready) this.known.delete(dir);
    });
    if (this.known.size > this.limit) this.known.delete(this.known.keys().next().value!);
    return ready;
  }

  /** The folder was removed (or found missing): the next ensure creates it again. */
  forget(dir: string): void {
    this.known.delete(dir);
  }

  private async create(dir: string): Promise<void> {
    const parent = dirname(dir);
    for (let attempt = 1; ; attempt += 1) {
      try {
        // Metadata calls run on this thread (microseconds); only the syncs go to the thread pool,
        // whose round trips cost more than these calls on a small machine.
        mkdirSync(dir, { recursive: true });
        // The folder's entry is durable once its parent is fsynced; the parent's own entry, once
        // the grandparent is, and so on: in parallel, up to a folder already known durable.
        await Promise.all([fsyncDirectory(parent), this.ensure(parent)]);
        return;
      } catch (error) {
        // A concurrent delete removed an empty parent meanwhile: create the path again.
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || attempt >= CREATE_ATTEMPTS) throw error;
        this.forget(parent);
      }
    }
  }
}

function fsyncAsync(fd: number): Promise<void> {
  return new Promise((resolve, reject) => fsync(fd, (error) => (error ? reject(error) : resolve())));
}

/** fsync of a folder: its entries survive a crash once it resolves. */
export async function fsyncDirectory(dir: string): Promise<void> {
  const fd = openSync(dir, 'r');
  try {
    await fsyncAsync(fd);
  } finally {
    closeSync(fd);
  }
}
