import { createHash, randomUUID } from 'node:crypto';
import {
  closeSync,
  constants as fsConstants,
  fdatasync,
  fstatSync,
  openSync,
  read as readAt,
  renameSync,
  writev,
  type Dirent,
} from 'node:fs';
import { access, mkdir, open, readdir, rm, rmdir, stat, unlink, type FileHandle } from 'node:fs/promises';
import { dirname, join, sep } from 'node:path';
import type { Readable } from 'node:stream';
import {
  blobNotFound,
  bodyChunks,
  BlobStoreError,
  isBodyError,
  normalizeSha256,
  resolveRange,
  validateKey,
  validatePrefix,
  validateRange,
  type BlobInfo,
  type BlobReadHandle,
  type BlobStore,
  type ByteRange,
  type PutOptions,
  type StoredBlob,
} from '@pacs/blob-store';
import { DurableDirectories, fsyncDirectory } from './durable-directories';

/** Bytes per chunk of a read stream. */
const READ_CHUNK_BYTES = 1 << 20;

/** Options of the filesystem blob store. */
export interface FsBlobStoreOptions {
  /** Directory holding the objects; created when missing. Temp files live in `<root>/.tmp`. */
  readonly root: string;
}

/** Options of `cleanupTemp`. */
export interface CleanupTempOptions {
  /**
   * Only temp files not modified for this long are removed (default 0: all of them, right for a
   * store that one process owns, at start). Set it when several processes share the root, so that
   * another process's write in progress is left alone.
   */
  readonly olderThanMs?: number;
}

const TEMP_DIR = '.tmp';
// A concurrent delete may remove a parent directory that this put just created (it removes empty
// parents); the rename then fails with ENOENT and is retried after creating the directory again.
const RENAME_ATTEMPTS = 5;

/**
 * Blob store on a local filesystem (the embedded shape, and the hot tier on a PVC). A put streams
 * into `<root>/.tmp/<random>`, fdatasyncs it, renames it onto `<root>/<key>` and fsyncs the
 * directories whose entries changed (the folders it created meanwhile, while the body streamed;
 * a folder another put just created counts as new until this process has synced it too), so an object is visible only complete and survives a crash once `put`
 * resolves. A key cannot be both an object and a prefix of other objects (`a` and `a/b`): the
 * filesystem refuses it and the put fails with INVALID_KEY.
 */
export class FsBlobStore implements BlobStore {
  readonly root: string;
  private readonly tempDir: string;
  private tempDirReady: Promise<void> | undefined;
  private readonly directories: DurableDirectories;

  constructor(options: FsBlobStoreOptions) {
    if (!options.root) throw new Error('FsBlobStore: options.root is required');
    this.root = options.root.endsWith(sep) && options.root.length > 1 ? options.root.slice(0, -1) : options.root;
    this.tempDir = join(this.root, TEMP_DIR);
    this.directories = new DurableDirectories(this.root);
  }

  async put(key: string, body: Readable | AsyncIterable<Uint8Array>, options?: PutOptions): Promise<StoredBlob> {
    validateKey(key);
    const expected = options?.expectedSha256 === undefined ? undefined : normalizeSha256(options.expectedSha256);
    await this.ensureTempDir();
    // Time first: cleanupTemp and an operator can tell an old orphan from its name alone.
    const tempPath = join(this.tempDir, `${Date.now()}-${randomUUID()}`);
    const finalPath = this.pathOf(key);
    const parent = dirname(finalPath);
    // The folder of the object is created (and made durable) while the body streams, so that the
    // journal commit of a new folder overlaps the write of the data instead of following it.
    let folder = this.directories.ensure(parent);
    folder.catch(() => undefined);
    let written: { size: number; sha256: string };
    try {
      written = await writeDurably(tempPath, body, expected);
    } catch (error) {
      await rm(tempPath, { force: true }).catch(() => undefined);
      await folder.catch(() => undefined);
      await this.removeEmptyParents(parent);
      throw isBodyError(error) ? error : toBlobStoreError(error, key);
    }
    try {
      for (let attempt = 1; ; attempt += 1) {
        await folder;
        try {
          renameSync(tempPath, finalPath);
          break;
        } catch (error) {
          // A concurrent delete removed the folder (it removes empty parents): create it again.
          if (!hasCode(error, 'ENOENT') || attempt >= RENAME_ATTEMPTS) throw error;
          this.directories.forget(parent);
          folder = this.directories.ensure(parent);
        }
      }
      // The rename is durable once the folder holding the new entry is fsynced.
      await fsyncDirectory(parent);
    } catch (error) {
      await rm(tempPath, { force: true }).catch(() => undefined);
      throw toBlobStoreError(error, key);
    }
    return { key, size: written.size, sha256: written.sha256 };
  }

  async get(key: string, range?: ByteRange): Promise<Readable> {
    validateKey(key);
    validateRange(range);
    let handle: FileHandle;
    try {
      // Reading through the handle opened now pins this version: an overwrite renames a new inode
      // onto the name and the stream keeps reading the old one to its end.
      handle = await open(this.pathOf(key), 'r');
    } catch (error) {
      throw isAbsent(error) ? blobNotFound(key, error) : toBlobStoreError(error, key);
    }
    try {
      const info = await handle.stat();
      if (!info.isFile()) throw blobNotFound(key);
      const resolved = resolveRange(range, info.size);
      // Up to the last byte, not to the end of the file: the stream then reads each chunk into a
      // buffer of its size and stops without a last read that finds nothing. Read to the end, a
      // short last chunk (a whole 0.5 MB instance) is read into a buffer of the full chunk size and
      // copied into one that fits: three times the bytes sent, allocated.
      const { start, end } = resolved ?? { start: 0, end: info.size - 1 };
      // Chunks of 1 MiB: a retrieve streams whole instances, and 64 KiB reads cost a third of its
      // throughput in per-chunk work (measured by the query benchmark's WADO-RS retrieve).
      return handle.createReadStream({
        highWaterMark: READ_CHUNK_BYTES,
        ...(end >= start ? { start, end } : {}),
      });
    } catch (error) {
      await handle.close().catch(() => undefined);
      throw toBlobStoreError(error, key);
    }
  }

  async open(key: string): Promise<BlobReadHandle> {
    validateKey(key);
    // Opening, the stat and closing run on this thread (microseconds, as for a put), the reads on
    // the thread pool: a series retrieve opens hundreds of objects a second, and each trip through
    // the pool costs more than these calls, in thread wake-ups. The descriptor pins this version,
    // as get's handle does.
    let fd: number;
    try {
      fd = openSync(this.pathOf(key), 'r');
    } catch (error) {
      throw isAbsent(error) ? blobNotFound(key, error) : toBlobStoreError(error, key);
    }
    try {
      const info = fstatSync(fd);
      if (!info.isFile()) throw blobNotFound(key);
      return new FileReadHandle(fd, info.size, key);
    } catch (error) {
      closeSync(fd);
      throw toBlobStoreError(error, key);
    }
  }

  async head(key: string): Promise<BlobInfo | null> {
    validateKey(key);
    try {
      const info = await stat(this.pathOf(key));
      return info.isFile() ? { key, size: info.size, modifiedAt: new Date(info.mtimeMs) } : null;
    } catch (error) {
      if (isAbsent(error)) return null;
      throw toBlobStoreError(error, key);
    }
  }

  async delete(key: string): Promise<void> {
    validateKey(key);
    const path = this.pathOf(key);
    try {
      await unlink(path);
    } catch (error) {
      // EISDIR/EPERM: the key is a prefix of other objects, not an object; nothing to delete.
      if (isAbsent(error) || hasCode(error, 'EISDIR', 'EPERM')) return;
      throw toBlobStoreError(error, key);
    }
    await this.removeEmptyParents(dirname(path));
  }

  async *list(prefix: string): AsyncIterable<string> {
    validatePrefix(prefix);
    const slash = prefix.lastIndexOf('/');
    const base = slash < 0 ? '' : prefix.slice(0, slash + 1);
    yield* this.walk(base, prefix);
  }

  async start(): Promise<void> {
    await this.ensureTempDir();
    // One process owns the root (the data folder lock), so every temp file is a crash's orphan.
    await this.cleanupTemp();
  }

  async isHealthy(): Promise<boolean> {
    try {
      // Creates the root of a fresh install, so that an empty store is healthy, not missing.
      await this.ensureTempDir();
      await access(this.root, fsConstants.R_OK | fsConstants.W_OK);
      return (await stat(this.root)).isDirectory();
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    // Nothing is held between calls: every put and get opens and closes its own file.
  }

  /**
   * Removes temp files left by a crash during a put (they are never visible as objects, only waste
   * space). Call it at start; returns how many were removed.
   */
  async cleanupTemp(options: CleanupTempOptions = {}): Promise<number> {
    const olderThanMs = options.olderThanMs ?? 0;
    let names: string[];
    try {
      names = await readdir(this.tempDir);
    } catch (error) {
      if (isAbsent(error)) return 0;
      throw toBlobStoreError(error, TEMP_DIR);
    }
    const cutoff = Date.now() - olderThanMs;
    let removed = 0;
    for (const name of names) {
      const path = join(this.tempDir, name);
      try {
        if (olderThanMs > 0 && (await stat(path)).mtimeMs > cutoff) continue;
        await rm(path, { force: true, recursive: true });
        removed += 1;
      } catch (error) {
        if (!isAbsent(error)) throw toBlobStoreError(error, `${TEMP_DIR}/${name}`);
      }
    }
    return removed;
  }

  private pathOf(key: string): string {
    // Safe to join: validateKey refused absolute paths, empty segments and dot segments.
    return join(this.root, ...key.split('/'));
  }

  private ensureTempDir(): Promise<void> {
    this.tempDirReady ??= mkdir(this.tempDir, { recursive: true }).then(
      () => undefined,
      (error: unknown) => {
        this.tempDirReady = undefined;
        throw error;
      },
    );
    return this.tempDirReady;
  }

  private async removeEmptyParents(dir: string): Promise<void> {
    // Keeps the tree from filling with empty study folders after deletes; stops at the first
    // directory that still holds something (or that a concurrent put is filling).
    while (dir !== this.root && dir.startsWith(this.root + sep)) {
      try {
        await rmdir(dir);
      } catch {
        return;
      }
      this.directories.forget(dir);
      dir = dirname(dir);
    }
  }

  /** Yields the keys under the directory `base` (a key prefix ending with '/', or '') that start with `prefix`. */
  private async *walk(base: string, prefix: string): AsyncGenerator<string> {
    let entries: Dirent[];
    try {
      entries = await readdir(base === '' ? this.root : this.pathOf(base.slice(0, -1)), { withFileTypes: true });
    } catch (error) {
      if (isAbsent(error) || hasCode(error, 'ENOTDIR')) return;
      throw toBlobStoreError(error, base);
    }
    // Sorting a directory's names with a '/' after each subdirectory's name gives the order of the
    // full keys ('a-c' before 'a/b', since '-' < '/'), the order S3 lists in.
    const children = entries
      .filter((entry) => !entry.name.startsWith('.') && (entry.isFile() || entry.isDirectory()))
      .map((entry) => ({ path: base + entry.name, isDirectory: entry.isDirectory() }))
      .map((child) => ({ ...child, sortKey: child.isDirectory ? `${child.path}/` : child.path }))
      .filter((child) => child.sortKey.startsWith(prefix) || prefix.startsWith(child.sortKey))
      .sort((a, b) => (a.sortKey < b.sortKey ? -1 : a.sortKey > b.sortKey ? 1 : 0));
    for (const child of children) {
      if (child.isDirectory) yield* this.walk(`${child.path}/`, prefix);
      else if (child.path.startsWith(prefix)) yield child.path;
    }
  }
}

/** Bytes of body held while a write to the disk is in flight; the body is not read beyond this. */
const MAX_PENDING_BYTES = 8 * 1024 * 1024;
/** Written and not yet synced bytes that start an early sync while the body still streams. */
const EARLY_SYNC_BYTES = 256 * 1024;

/**
 * Writes the body to a new file and fdatasyncs it; returns its size and SHA-256 (checked against
 * `expected`, before the data is synced, so a mismatch never reaches the rename). Chunks that
 * arrive while a write is in flight go to the disk together in one writev: few thread-pool round
 * trips per object, and at most MAX_PENDING_BYTES held when the disk is slower than the body.
 * An error of the body itself is thrown as it is (see `isBodyError`).
 */
async function writeDurably(
  path: string,
  body: Readable | AsyncIterable<Uint8Array>,
  expected: string | undefined,
): Promise<{ size: number; sha256: string }> {
  // Opening and closing run on this thread (microseconds); writes and the sync on the thread pool.
  const fd = openSync(path, 'wx');
  const hash = createHash('sha256');
  let size = 0;
  let pending: Uint8Array[] = [];
  let pendingBytes = 0;
  let writing: Promise<void> | undefined;
  let writeFailure: { error: unknown } | undefined;
  const throwIfWriteFailed = (): void => {
    if (writeFailure) throw writeFailure.error;
  };
  // While the body still streams, written data is synced early, so that the final fdatasync has
  // only the tail left to flush. A failed sync fails the put: after a failed fsync the kernel may
  // have dropped the pages it could not write, and a later sync would not report it.
  let bodyEnded = false;
  let unsyncedBytes = 0;
  let earlySync: Promise<void> | undefined;
  const syncEarly = (): void => {
    if (bodyEnded || earlySync !== undefined || unsyncedBytes < EARLY_SYNC_BYTES) return;
    unsyncedBytes = 0;
    earlySync = fdatasyncAsync(fd)
      .catch((error: unknown) => {
        writeFailure ??= { error };
      })
      .finally(() => {
        earlySync = undefined;
      });
  };
  const drain = async (): Promise<void> => {
    try {
      while (pending.length > 0 && writeFailure === undefined) {
        const batch = pending;
        const bytes = pendingBytes;
        pending = [];
        pendingBytes = 0;
        await writeFully(fd, batch, bytes);
        unsyncedBytes += bytes;
        syncEarly();
      }
    } catch (error) {
      writeFailure = { error };
    }
  };
  const startDrain = (): Promise<void> =>
    (writing ??= drain().finally(() => {
      writing = undefined;
    }));
  try {
    for await (const raw of bodyChunks(body)) {
      throwIfWriteFailed();
      const chunk = typeof raw === 'string' ? Buffer.from(raw) : (raw as Uint8Array);
      if (chunk.length === 0) continue;
      hash.update(chunk);
      size += chunk.length;
      pending.push(chunk);
      pendingBytes += chunk.length;
      const inFlight = startDrain();
      // Back-pressure: the body is not read further while too much of it waits for the disk.
      if (pendingBytes >= MAX_PENDING_BYTES) await inFlight;
    }
    bodyEnded = true;
    while (writing !== undefined || pending.length > 0) {
      await startDrain();
      throwIfWriteFailed();
    }
    throwIfWriteFailed();
    const sha256 = hash.digest('hex');
    if (expected !== undefined && sha256 !== expected) {
      throw new BlobStoreError('CHECKSUM_MISMATCH', `SHA-256 of the body is ${sha256}, expected ${expected}`, false);
    }
    // fdatasync: the data and the size, what a read needs; timestamps may lag after a crash.
    if (earlySync !== undefined) await earlySync;
    throwIfWriteFailed();
    await fdatasyncAsync(fd);
    return { size, sha256 };
  } finally {
    if (writing !== undefined) await writing;
    if (earlySync !== undefined) await earlySync;
    closeSync(fd);
  }
}

// Callback calls wrapped here (not util.promisify, which would pin the functions at load time).
function writevAsync(fd: number, buffers: readonly NodeJS.ArrayBufferView[]): Promise<number> {
  return new Promise((resolve, reject) =>
    writev(fd, buffers, (error, bytesWritten) => (error ? reject(error) : resolve(bytesWritten))),
  );
}

function fdatasyncAsync(fd: number): Promise<void> {
  return new Promise((resolve, reject) => fdatasync(fd, (error) => (error ? reject(error) : resolve())));
}

async function writeFully(fd: number, buffers: Uint8Array[], bytes: number): Promise<void> {
  let rest = buffers;
  let left = bytes;
  while (left > 0) {
    const bytesWritten = await writevAsync(fd, rest as NodeJS.ArrayBufferView[]);
    if (bytesWritten <= 0) throw new Error(`writev wrote ${bytesWritten} of ${left} bytes`);
    left -= bytesWritten;
    rest = skipBytes(rest, bytesWritten);
  }
}

/** The buffers after their first `n` bytes. */
function skipBytes(buffers: Uint8Array[], n: number): Uint8Array[] {
  let skip = n;
  let index = 0;
  while (index < buffers.length && skip >= buffers[index]!.length) {
    skip -= buffers[index]!.length;
    index += 1;
  }
  const rest = buffers.slice(index);
  if (skip > 0 && rest.length > 0) rest[0] = rest[0]!.subarray(skip);
  return rest;
}

/**
 * An object opened by FsBlobStore.open: reads at offsets on the thread pool. The descriptor is
 * closed only once no read is in flight, so that a read never lands on a descriptor number that
 * another open has taken over meanwhile.
 */
class FileReadHandle implements BlobReadHandle {
  private reads = 0;
  private closed = false;
  private released = false;

  constructor(
    private readonly fd: number,
    readonly size: number,
    private readonly key: string,
  ) {}

  read(target: Uint8Array, offset: number, length: number, position: number): Promise<number> {
    if (this.closed) return Promise.reject(new Error(`${this.key} was read after its handle was closed`));
    this.reads += 1;
    return new Promise<number>((resolve, reject) => {
      readAt(this.fd, target, offset, length, position, (error, bytesRead) => {
        this.reads -= 1;
        this.releaseIfDone();
        if (error) reject(toBlobStoreError(error, this.key));
        else resolve(bytesRead);
      });
    });
  }

  close(): Promise<void> {
    this.closed = true;
    this.releaseIfDone();
    return Promise.resolve();
  }

  private releaseIfDone(): void {
    if (!this.closed || this.reads > 0 || this.released) return;
    this.released = true;
    try {
      closeSync(this.fd);
    } catch {
      // A descriptor opened for reading has nothing to flush: a failed close loses nothing.
    }
  }
}

// Not `instanceof Error`: errors of Node's own modules come from another realm under Jest's VM.
function hasCode(error: unknown, ...codes: string[]): boolean {
  const code = typeof error === 'object' && error !== null ? (error as NodeJS.ErrnoException).code : undefined;
  return typeof code === 'string' && codes.includes(code);
}

function isAbsent(error: unknown): boolean {
  return hasCode(error, 'ENOENT', 'ENOTDIR');
}

function toBlobStoreError(error: unknown, key: string): BlobStoreError {
  if (error instanceof BlobStoreError) return error;
  const message =
    typeof error === 'object' && error !== null && 'message' in error ? String(error.message) : String(error);
  if (hasCode(error, 'ENOSPC', 'EDQUOT')) {
    // Retriable: space comes back (tiering moves objects out, an operator grows the volume), and the
    // caller's bounded retries end in a failure status or a dead letter anyway.
    return new BlobStoreError('OUT_OF_SPACE', `No space left writing ${key}: ${message}`, true, { cause: error });
  }
  if (hasCode(error, 'EISDIR', 'ENOTDIR', 'EEXIST', 'ENAMETOOLONG')) {
    // The key collides with the tree: it names a prefix of other objects, or one of its parents is an object.
    return new BlobStoreError('INVALID_KEY', `Key ${key} conflicts with existing objects: ${message}`, false, {
      cause: error,
    });
  }
  // Permissions and a read-only filesystem do not heal by themselves; other I/O errors may.
  const retriable = !hasCode(error, 'EACCES', 'EPERM', 'EROFS');
  return new BlobStoreError('IO_ERROR', `I/O error on ${key}: ${message}`, retriable, { cause: error });
}
