import { isIP } from 'node:net';
import { resolve } from 'node:path';
import { z } from 'zod';
import {
  aeTitleVar,
  booleanVar,
  enumVar,
  hostPortListVar,
  portVar,
  positiveIntVar,
  readableFileVar,
  tenantIdVar,
  urlVar,
} from './env-types';
import { isLoopbackHost } from './loopback';
import { parseEnv, type Env } from './parse-env';

export type PacsMode = 'embedded' | 'distributed';

/** What every app is configured with: its HTTP listener, its data folder and its adapters. */
export interface PlatformConfig {
  readonly service: string;
  readonly mode: PacsMode;
  readonly http: { readonly host: string; readonly port: number };
  readonly dataDir: string;
  readonly logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';
  readonly shutdownTimeoutMs: number;
  readonly eventBus:
    | { readonly adapter: 'sqlite'; readonly file: string }
    | {
        readonly adapter: 'kafka';
        readonly brokers: readonly string[];
        readonly clientId: string;
        readonly partitions: number;
        readonly replicationFactor: number;
      };
  readonly cache:
    { readonly adapter: 'memory' } | { readonly adapter: 'redis'; readonly url: string; readonly keyPrefix: string };
  readonly blobStore:
    | { readonly adapter: 'fs'; readonly root: string }
    | {
        readonly adapter: 's3';
        readonly endpoint?: string;
        readonly region: string;
        readonly bucket: string;
        readonly accessKeyId?: string;
        readonly secretAccessKey?: string;
        readonly forcePathStyle: boolean;
      };
}

/** DIMSE listener and ingest settings, for the apps that receive DICOM (gateway, all-in-one). */
export interface DicomConfig {
  readonly host: string;
  readonly port: number;
  /** The default tenant's AE title. */
  readonly aeTitle: string;
  readonly defaultTenantId: string;
  readonly defaultDuplicatePolicy: 'new-version' | 'reject';
  /** JSON file of the tenants, their AE titles and policies. */
  readonly tenantsFile?: string;
  /** Accept storage of SOP classes this PACS does not know (private, or newer than its dictionary). */
  readonly acceptUnknownSopClasses: boolean;
  /** Largest STOW-RS request body, in bytes (HTTP 413 beyond). */
  readonly stowMaxBytes: number;
  /** DICOM TLS (PS3.15 B.1): the DIMSE listener speaks TLS when a certificate and key are set. */
  readonly tls?: { readonly certFile: string; readonly keyFile: string; readonly caFile?: string };
}

function platformEnvSchema(defaultMode: PacsMode) {
  return z
    .object({
      PACS_MODE: enumVar(['embedded', 'distributed']).default(defaultMode),
      PACS_HTTP_HOST: z
        .string()
        .refine((v) => v === 'localhost' || isIP(v.replace(/^\[|\]$/g, '')) !== 0, {
          message: 'expected an IP address or localhost',
        })
        .default('127.0.0.1'),
      PACS_HTTP_PORT: portVar(8080),
      PACS_DATA_DIR: z.string().min(1).default('./data'),
      PACS_LOG_LEVEL: enumVar(['fatal', 'error', 'warn', 'info', 'debug', 'trace']).default('info'),
      PACS_SHUTDOWN_TIMEOUT_MS: positiveIntVar(25_000),
      // Beyond loopback, every HTTP request must say who it is (API keys or OIDC tokens,
      // loadIdentityConfig), or an unauthenticated listener must be an explicit, visible decision
      // (ARCHITECTURE.md, Tenancy and access). loadIdentityConfig reads and checks both.
      PACS_API_KEYS_FILE: z.string().min(1).optional(),
      PACS_OIDC_ISSUER: z.string().min(1).optional(),
      PACS_INSECURE_ALLOW_REMOTE: booleanVar(false),
      PACS_EVENT_BUS: enumVar(['sqlite', 'kafka']).optional(),
      PACS_CACHE: enumVar(['memory', 'redis']).optional(),
      PACS_BLOB_STORE: enumVar(['fs', 's3']).optional(),
      PACS_KAFKA_BROKERS: hostPortListVar().optional(),
      PACS_KAFKA_CLIENT_ID: z.string().min(1).optional(),
      PACS_KAFKA_PARTITIONS: positiveIntVar(6),
      PACS_KAFKA_REPLICATION_FACTOR: positiveIntVar(1),
      PACS_REDIS_URL: urlVar(['redis', 'rediss']).optional(),
      PACS_REDIS_KEY_PREFIX: z.string().default('pacs:'),
      PACS_S3_ENDPOINT: urlVar(['http', 'https']).optional(),
      PACS_S3_REGION: z.string().min(1).default('us-east-1'),
      PACS_S3_BUCKET: z
        .string()
        .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, { message: 'expected an S3 bucket name' })
        .optional(),
      PACS_S3_ACCESS_KEY_ID: z.string().min(1).optional(),
      PACS_S3_SECRET_ACCESS_KEY: z.string().min(1).optional(),
      PACS_S3_FORCE_PATH_STYLE: booleanVar(false),
    })
    .superRefine((env, ctx) => {
      const distributed = env.PACS_MODE === 'distributed';
      const require = (variable: keyof typeof env, because: string) => {
        if (env[variable] === undefined)
          ctx.addIssue({ code: 'custom', path: [variable], message: `required ${because}` });
      };
      if ((env.PACS_EVENT_BUS ?? (distributed ? 'kafka' : 'sqlite')) === 'kafka') {
        require('PACS_KAFKA_BROKERS', 'when the event bus is Kafka');
      }
      if ((env.PACS_CACHE ?? (distributed ? 'redis' : 'memory')) === 'redis') {
        require('PACS_REDIS_URL', 'when the cache is Redis');
      }
      if ((env.PACS_BLOB_STORE ?? 'fs') === 's3') require('PACS_S3_BUCKET', 'when the blob store is S3');
      const authenticated = env.PACS_API_KEYS_FILE !== undefined || env.PACS_OIDC_ISSUER !== undefined;
      if (!isLoopbackHost(env.PACS_HTTP_HOST) && !authenticated && !env.PACS_INSECURE_ALLOW_REMOTE) {
        ctx.addIssue({
          code: 'custom',
          path: ['PACS_HTTP_HOST'],
          message:
            'listening beyond loopback needs authentication, which is not configured; ' +
            "set PACS_OIDC_ISSUER (users signing in through the hospital's OIDC provider) or " +
            'PACS_API_KEYS_FILE (the API keys and their roles per tenant), ' +
            'or PACS_INSECURE_ALLOW_REMOTE=true to accept an unauthenticated listener',
        });
      }
    });
}

const dicomEnvSchema = z
  .object({
    // DIMSE has no bearer tokens: its access control is the per-tenant calling AE allow-list, so a
    // modality network address is allowed here without the HTTP listener's opt-in.
    PACS_DICOM_HOST: z
      .string()
      .refine((v) => v === 'localhost' || isIP(v) !== 0, { message: 'expected an IP address or localhost' })
      .default('127.0.0.1'),
    PACS_DICOM_PORT: portVar(11112),
    PACS_AE_TITLE: aeTitleVar('PACS'),
    PACS_DEFAULT_TENANT: tenantIdVar().default('default'),
    PACS_DUPLICATE_POLICY: enumVar(['new-version', 'reject']).default('new-version'),
    PACS_TENANTS_FILE: z.string().min(1).optional(),
    PACS_ACCEPT_UNKNOWN_SOP_CLASSES: booleanVar(true),
    PACS_STOW_MAX_BYTES: positiveIntVar(16 * 1024 ** 3),
    PACS_DICOM_TLS_CERT: readableFileVar().optional(),
    PACS_DICOM_TLS_KEY: readableFileVar().optional(),
    PACS_DICOM_TLS_CA: readableFileVar().optional(),
  })
  .superRefine((env, ctx) => {
    if ((env.PACS_DICOM_TLS_CERT === undefined) !== (env.PACS_DICOM_TLS_KEY === undefined)) {
      const missing = env.PACS_DICOM_TLS_CERT === undefined ? 'PACS_DICOM_TLS_CERT' : 'PACS_DICOM_TLS_KEY';
      ctx.addIssue({
        code: 'custom',
        path: [missing],
        message: 'DICOM TLS needs both PACS_DICOM_TLS_CERT and PACS_DICOM_TLS_KEY',
      });
    }
    if (env.PACS_DICOM_TLS_CA !== undefined && env.PACS_DICOM_TLS_CERT === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['PACS_DICOM_TLS_CA'],
        message: 'client certificates need DICOM TLS (PACS_DICOM_TLS_CERT and PACS_DICOM_TLS_KEY)',
      });
    }
  });

/**
 * Reads the platform configuration of one app. `defaultMode` is `embedded` for the all-in-one
 * process and `distributed` for the single-service apps. In embedded mode every port defaults to
 * its embedded adapter; in distributed mode the event bus is Kafka and the cache Redis, and the
 * blob store stays on the filesystem (a PVC) unless PACS_BLOB_STORE=s3.
 */
export function loadPlatformConfig(service: string, env: Env, defaultMode: PacsMode): PlatformConfig {
  const e = parseEnv(platformEnvSchema(defaultMode), env);
  const distributed = e.PACS_MODE === 'distributed';
  const dataDir = resolve(e.PACS_DATA_DIR);
  const eventBusAdapter = e.PACS_EVENT_BUS ?? (distributed ? 'kafka' : 'sqlite');
  const cacheAdapter = e.PACS_CACHE ?? (distributed ? 'redis' : 'memory');
  const blobAdapter = e.PACS_BLOB_STORE ?? 'fs';
  return {
    service,
    mode: e.PACS_MODE,
    http: { host: e.PACS_HTTP_HOST, port: e.PACS_HTTP_PORT },
    dataDir,
    logLevel: e.PACS_LOG_LEVEL,
    shutdownTimeoutMs: e.PACS_SHUTDOWN_TIMEOUT_MS,
    eventBus:
      eventBusAdapter === 'sqlite'
        ? { adapter: 'sqlite', file: resolve(dataDir, 'events.sqlite') }
        : {
            adapter: 'kafka',
            brokers: e.PACS_KAFKA_BROKERS ?? [],
            clientId: e.PACS_KAFKA_CLIENT_ID ?? `pacs-${service}`,
            partitions: e.PACS_KAFKA_PARTITIONS,
            replicationFactor: e.PACS_KAFKA_REPLICATION_FACTOR,
          },
    cache:
      cacheAdapter === 'memory'
        ? { adapter: 'memory' }
        : { adapter: 'redis', url: e.PACS_REDIS_URL ?? '', keyPrefix: e.PACS_REDIS_KEY_PREFIX },
    blobStore:
      blobAdapter === 'fs'
        ? { adapter: 'fs', root: resolve(dataDir, 'blobs', 'hot') }
        : {
            adapter: 's3',
            ...(e.PACS_S3_ENDPOINT ? { endpoint: e.PACS_S3_ENDPOINT } : {}),
            region: e.PACS_S3_REGION,
            bucket: e.PACS_S3_BUCKET ?? '',
            ...(e.PACS_S3_ACCESS_KEY_ID ? { accessKeyId: e.PACS_S3_ACCESS_KEY_ID } : {}),
            ...(e.PACS_S3_SECRET_ACCESS_KEY ? { secretAccessKey: e.PACS_S3_SECRET_ACCESS_KEY } : {}),
            forcePathStyle: e.PACS_S3_FORCE_PATH_STYLE,
          },
  };
}

/** Reads the DIMSE listener settings. */
export function loadDicomConfig(env: Env): DicomConfig {
  const e = parseEnv(dicomEnvSchema, env);
  return {
    host: e.PACS_DICOM_HOST,
    port: e.PACS_DICOM_PORT,
    aeTitle: e.PACS_AE_TITLE,
    defaultTenantId: e.PACS_DEFAULT_TENANT,
    defaultDuplicatePolicy: e.PACS_DUPLICATE_POLICY,
    ...(e.PACS_TENANTS_FILE ? { tenantsFile: resolve(e.PACS_TENANTS_FILE) } : {}),
    acceptUnknownSopClasses: e.PACS_ACCEPT_UNKNOWN_SOP_CLASSES,
    stowMaxBytes: e.PACS_STOW_MAX_BYTES,
    ...(e.PACS_DICOM_TLS_CERT && e.PACS_DICOM_TLS_KEY
      ? {
          tls: {
            certFile: e.PACS_DICOM_TLS_CERT,
            keyFile: e.PACS_DICOM_TLS_KEY,
            ...(e.PACS_DICOM_TLS_CA ? { caFile: e.PACS_DICOM_TLS_CA } : {}),
          },
        }
      : {}),
  };
}
