import { resolve } from 'node:path';
import { z } from 'zod';
import { enumVar } from './env-types';
import { mongoDbVars, requireMongoUrl } from './mongodb-vars';
import { parseEnv, type Env } from './parse-env';
import type { PacsMode } from './platform-config';

/** Where the metadata index lives, for the apps that read or write it (gateway, indexer, all-in-one). */
export type MetadataIndexConfig =
  | { readonly adapter: 'sqlite'; readonly file: string }
  | { readonly adapter: 'mongodb'; readonly url: string; readonly database: string };

function metadataIndexEnvSchema(mode: PacsMode) {
  return z
    .object({ PACS_METADATA_INDEX: enumVar(['sqlite', 'mongodb']).optional(), ...mongoDbVars })
    .superRefine((env, ctx) =>
      requireMongoUrl(
        env.PACS_METADATA_INDEX ?? (mode === 'distributed' ? 'mongodb' : 'sqlite'),
        env.PACS_MONGODB_URL,
        'the metadata index',
        ctx,
      ),
    );
}

/**
 * Reads the metadata index settings: SQLite in the data folder by default in embedded mode,
 * MongoDB (PACS_MONGODB_URL) in distributed mode. A ConfigError names each wrong variable.
 */
export function loadMetadataIndexConfig(env: Env, platform: { mode: PacsMode; dataDir: string }): MetadataIndexConfig {
  const e = parseEnv(metadataIndexEnvSchema(platform.mode), env);
  const adapter = e.PACS_METADATA_INDEX ?? (platform.mode === 'distributed' ? 'mongodb' : 'sqlite');
  return adapter === 'sqlite'
    ? { adapter, file: resolve(platform.dataDir, 'index.sqlite') }
    : { adapter, url: e.PACS_MONGODB_URL ?? '', database: e.PACS_MONGODB_DATABASE };
}
