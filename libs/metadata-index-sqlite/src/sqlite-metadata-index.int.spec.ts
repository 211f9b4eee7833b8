import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runMetadataIndexContract } from '@pacs/metadata-index/testing';
import { SqliteMetadataIndex } from './sqlite-metadata-index.adapter';

const root = mkdtempSync(join(tmpdir(), 'pacs-metadata-index-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let counter = 0;

runMetadataIndexContract('SQLite', async () => {
  const index = new SqliteMetadataIndex({ file: join(root, `index-${++counter}.db`) });
  await index.start();
  return index;
});
