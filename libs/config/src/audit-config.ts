import { resolve } from 'node:path';
import { z } from 'zod';
import { booleanVar, enumVar, positiveIntVar, readableFileVar } from './env-types';
import { mongoDbVars, requireMongoUrl } from './mongodb-vars';
import { parseEnv, type Env } from './parse-env';
import type { PacsMode } from './platform-config';

/** Where the audit service keeps the tenants' audit trails. */
export type AuditStoreConfig =
  | { readonly adapter: 'sqlite'; readonly file: string }
  | { readonly adapter: 'mongodb'; readonly url: string; readonly database: string; readonly collectionPrefix: string };

/** A syslog collector the audit trail is exported to (RFC 5424 over RFC 6587 TCP, or RFC 5425 TLS). */
export interface SyslogCollectorConfig {
  /** `host:port` as configured; the name of its export cursor. */
  readonly id: string;
  readonly protocol: 'tcp' | 'tls';
  readonly host: string;
  readonly port: number;
}

/** The audit service's settings (the audit app and the all-in-one app). */
export interface AuditConfig {
  readonly store: AuditStoreConfig;
  readonly syslog: {
    readonly collectors: readonly SyslogCollectorConfig[];
    /** TLS: the CA that signed the collectors' certificates, and our client certificate and key (mutual TLS). */
    readonly tls: { readonly caFile?: string; readonly certFile?: string; readonly keyFile?: string };
    /** HOSTNAME of the syslog messages (RFC 5424 6.2.4). */
    readonly hostname?: string;
  };
  /** How many audit events the service appends at once. */
  readonly batchSize: number;
}

const collectorPattern = /^(tcp|tls):\/\/([^\s/:]+|\[[0-9a-fA-F:]+\]):([0-9]{1,5})$/;

function auditEnvSchema(mode: PacsMode) {
  return z
    .object({
      PACS_AUDIT_STORE: enumVar(['sqlite', 'mongodb']).optional(),
      ...mongoDbVars,
      PACS_AUDIT_SYSLOG: z
        .string()
        .transform((v) =>
          v
            .split(',')
            .map((s) => s.trim())
            .filter((s) => s.length > 0),
        )
        .refine(
          (list) => list.every((s) => collectorPattern.test(s) && Number(collectorPattern.exec(s)![3]) <= 65535),
          {
            message: 'expected tcp://host:port or tls://host:port, comma-separated',
          },
        )
        .optional(),
      PACS_AUDIT_SYSLOG_TLS_CA: readableFileVar().optional(),
      PACS_AUDIT_SYSLOG_TLS_CERT: readableFileVar().optional(),
      PACS_AUDIT_SYSLOG_TLS_KEY: readableFileVar().optional(),
      PACS_AUDIT_SYSLOG_HOSTNAME: z
        .string()
        .regex(/^[\x21-\x7e]{1,255}$/, { message: 'expected printable ASCII, no spaces' })
        .optional(),
      PACS_AUDIT_BATCH_SIZE: positiveIntVar(200),
    })
    .superRefine((env, ctx) => {
      requireMongoUrl(
        env.PACS_AUDIT_STORE ?? (mode === 'distributed' ? 'mongodb' : 'sqlite'),
        env.PACS_MONGODB_URL,
        'the audit store',
        ctx,
      );
      if ((env.PACS_AUDIT_SYSLOG_TLS_CERT === undefined) !== (env.PACS_AUDIT_SYSLOG_TLS_KEY === undefined)) {
        const missing =
          env.PACS_AUDIT_SYSLOG_TLS_CERT === undefined ? 'PACS_AUDIT_SYSLOG_TLS_CERT' : 'PACS_AUDIT_SYSLOG_TLS_KEY';
        ctx.addIssue({
          code: 'custom',
          path: [missing],
          message: 'a client certificate needs both PACS_AUDIT_SYSLOG_TLS_CERT and PACS_AUDIT_SYSLOG_TLS_KEY',
        });
      }
    });
}

/**
 * Reads the audit service settings: `audit.sqlite` in the data folder by default in embedded mode,
 * the `audit_` collections of the MongoDB database (PACS_MONGODB_URL) in distributed mode; the
 * syslog collectors of PACS_AUDIT_SYSLOG. A ConfigError names each wrong variable.
 */
export function loadAuditConfig(env: Env, platform: { mode: PacsMode; dataDir: string }): AuditConfig {
  const e = parseEnv(auditEnvSchema(platform.mode), env);
  const adapter = e.PACS_AUDIT_STORE ?? (platform.mode === 'distributed' ? 'mongodb' : 'sqlite');
  return {
    store:
      adapter === 'sqlite'
        ? { adapter, file: resolve(platform.dataDir, 'audit.sqlite') }
        : { adapter, url: e.PACS_MONGODB_URL ?? '', database: e.PACS_MONGODB_DATABASE, collectionPrefix: 'audit_' },
    syslog: {
      collectors: (e.PACS_AUDIT_SYSLOG ?? []).map((url) => {
        const [, protocol, host, port] = collectorPattern.exec(url)!;
        return {
          id: url,
          protocol: protocol as 'tcp' | 'tls',
          host: host!.replace(/^\[|\]$/g, ''),
          port: Number(port),
        };
      }),
      tls: {
        ...(e.PACS_AUDIT_SYSLOG_TLS_CA ? { caFile: e.PACS_AUDIT_SYSLOG_TLS_CA } : {}),
        ...(e.PACS_AUDIT_SYSLOG_TLS_CERT ? { certFile: e.PACS_AUDIT_SYSLOG_TLS_CERT } : {}),
        ...(e.PACS_AUDIT_SYSLOG_TLS_KEY ? { keyFile: e.PACS_AUDIT_SYSLOG_TLS_KEY } : {}),
      },
      ...(e.PACS_AUDIT_SYSLOG_HOSTNAME ? { hostname: e.PACS_AUDIT_SYSLOG_HOSTNAME } : {}),
    },
    batchSize: e.PACS_AUDIT_BATCH_SIZE,
  };
}

/** Whether the services publish audit events at all (PACS_AUDIT_ENABLED; off only to measure what auditing costs). */
export function loadAuditEnabled(env: Env): boolean {
  return parseEnv(z.object({ PACS_AUDIT_ENABLED: booleanVar(true) }), env).PACS_AUDIT_ENABLED;
}
