import { resolve } from 'node:path';
import { z } from 'zod';
import { enumVar } from './env-types';
import { mongoDbVars, requireMongoUrl } from './mongodb-vars';
import { parseEnv, type Env } from './parse-env';
import type { PacsMode } from './platform-config';

/** Where the router keeps its configuration and forward jobs (the router and the all-in-one app). */
export type RoutingStoreConfig =
  | { readonly adapter: 'sqlite'; readonly file: string }
  | { readonly adapter: 'mongodb'; readonly url: string; readonly database: string; readonly collectionPrefix: string };

function routingStoreEnvSchema(mode: PacsMode) {
  return z
    .object({ PACS_ROUTING_STORE: enumVar(['sqlite', 'mongodb']).optional(), ...mongoDbVars })
    .superRefine((env, ctx) =>
      requireMongoUrl(
        env.PACS_ROUTING_STORE ?? (mode === 'distributed' ? 'mongodb' : 'sqlite'),
        env.PACS_MONGODB_URL,
        'the routing store',
        ctx,
      ),
    );
}

/**
 * Reads the routing store settings: `routing.sqlite` in the data folder by default in embedded mode,
 * the `routing_` collections of the MongoDB database (PACS_MONGODB_URL) in distributed mode. A
 * ConfigError names each wrong variable.
 */
export function loadRoutingStoreConfig(env: Env, platform: { mode: PacsMode; dataDir: string }): RoutingStoreConfig {
  const e = parseEnv(routingStoreEnvSchema(platform.mode), env);
  const adapter = e.PACS_ROUTING_STORE ?? (platform.mode === 'distributed' ? 'mongodb' : 'sqlite');
  return adapter === 'sqlite'
    ? { adapter, file: resolve(platform.dataDir, 'routing.sqlite') }
    : { adapter, url: e.PACS_MONGODB_URL ?? '', database: e.PACS_MONGODB_DATABASE, collectionPrefix: 'routing_' };
}
