import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MiB, runBlobStoreContract } from '@pacs/blob-store/testing';
import { FsBlobStore } from './fs-blob-store.adapter';

// The heavy run of the filesystem adapter, beside the other real-engine suites: the contract
// again, with an object of several GB streamed through with bounded memory.
const parent = mkdtempSync(join(tmpdir(), 'pacs-fs-large-'));
afterAll(() => rmSync(parent, { recursive: true, force: true }));

runBlobStoreContract('FsBlobStore (several GB)', () => new FsBlobStore({ root: parent }), {
  severalGbBytes: 2 * 1024 * MiB,
});
