import 'reflect-metadata';
import { resolve } from 'node:path';
import type { DynamicModule, INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import {
  ConfigError,
  loadAuditConfig,
  loadAuditEnabled,
  loadIdentityConfig,
  loadMetadataIndexConfig,
  loadRoutingStoreConfig,
  loadPlatformConfig,
  type AuditConfig,
  type Env,
  type IdentityConfig,
  type PacsMode,
  type PlatformConfig,
} from '@pacs/config';
import type { TopicDefinition } from '@pacs/contracts';
import { createLogger, createMetricsRegistry, stopTelemetry, type Logger } from '@pacs/observability';
import { acquireDataDirLock, DataDirInUseError, type DataDirLock } from './data-dir-lock';
import { NestPinoLogger } from './nest-pino-logger';
import { PlatformModule } from './platform.module';
import { ProblemExceptionFilter } from './problem-exception.filter';
import { ReadinessService } from './readiness.service';

export interface RunAppOptions<AppConfig = undefined> {
  /** Service name: logs, metrics label, Kafka client id. */
  readonly service: string;
  /** `embedded` for the all-in-one process, `distributed` for a single service. */
  readonly defaultMode: PacsMode;
  readonly topics: readonly TopicDefinition<unknown>[];
  /** The app's own settings beyond the platform's, validated at boot with them. */
  readonly appConfig?: (env: Env) => AppConfig;
  /** The app's root module, given the platform module to import, the app's settings and the services' ones. */
  readonly rootModule: (platform: DynamicModule, appConfig: AppConfig, services: ServiceConfigs) => DynamicModule;
  /** The app reads or writes the metadata index (its settings are validated with the others). */
  readonly metadataIndex?: boolean;
  /** The app routes: it keeps the routing store (its settings are validated with the others). */
  readonly routingStore?: boolean;
  /** The app keeps the audit trail: its store and exports (their settings are validated with the others). */
  readonly audit?: boolean;
  readonly env?: NodeJS.ProcessEnv;
}

/** The settings of the services the app runs, loaded when its options ask for them. */
export interface ServiceConfigs {
  readonly audit?: AuditConfig;
}

/**
 * Boots one app: validated configuration (exit 1 naming each wrong variable), the data folder
 * lock (embedded log owner only), Nest on Fastify, and a graceful SIGTERM/SIGINT: readiness turns
 * 503, the listener stops accepting and drains in-flight requests, consumers finish and commit,
 * adapters close, exit 0; past PACS_SHUTDOWN_TIMEOUT_MS the process exits 1.
 */
export async function runApp<AppConfig = undefined>(options: RunAppOptions<AppConfig>): Promise<INestApplication> {
  const env = options.env ?? process.env;
  const name = options.service === 'pacs' ? 'pacs' : `pacs-${options.service}`;
  const problems: ConfigError['problems'][number][] = [];
  const attempt = <T>(load: () => T): T | undefined => {
    try {
      return load();
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      problems.push(...error.problems);
      return undefined;
    }
  };
  const config = attempt(() => loadPlatformConfig(options.service, env, options.defaultMode));
  const identity = attempt(() => loadIdentityConfig(env));
  const auditEnabled = attempt(() => loadAuditEnabled(env));
  const appConfig = attempt(() => options.appConfig?.(env)) as AppConfig;
  // Checked even when the platform variables are wrong, so that every wrong variable is named at once.
  const mode =
    config?.mode ??
    (env['PACS_MODE'] === 'embedded' || env['PACS_MODE'] === 'distributed' ? env['PACS_MODE'] : options.defaultMode);
  const metadataIndex = options.metadataIndex
    ? attempt(() =>
        loadMetadataIndexConfig(env, { mode, dataDir: config?.dataDir ?? resolve(env['PACS_DATA_DIR'] ?? './data') }),
      )
    : undefined;
  const routingStore = options.routingStore
    ? attempt(() =>
        loadRoutingStoreConfig(env, { mode, dataDir: config?.dataDir ?? resolve(env['PACS_DATA_DIR'] ?? './data') }),
      )
    : undefined;
  const audit = options.audit
    ? attempt(() =>
        loadAuditConfig(env, { mode, dataDir: config?.dataDir ?? resolve(env['PACS_DATA_DIR'] ?? './data') }),
      )
    : undefined;
  if (!config || !identity || problems.length > 0) return fail(`${name}: ${new ConfigError(problems).message}`);
  const logger = createLogger({ service: options.service, level: config.logLevel });

  let lock: DataDirLock | null = null;
  if (config.eventBus.adapter === 'sqlite') {
    try {
      lock = acquireDataDirLock(config.dataDir);
    } catch (error) {
      if (error instanceof DataDirInUseError) return fail(`${name}: ${error.message}`);
      throw error;
    }
  }

  const platform = PlatformModule.forRoot({
    config,
    logger,
    metrics: createMetricsRegistry(options.service),
    lock,
    topics: options.topics,
    identity,
    auditEnabled: auditEnabled ?? true,
    ...(metadataIndex ? { metadataIndex } : {}),
    ...(routingStore ? { routingStore } : {}),
    ...(audit ? { auditStore: audit.store } : {}),
  });
  let app: NestFastifyApplication;
  try {
    app = await NestFactory.create<NestFastifyApplication>(
      options.rootModule(platform, appConfig, audit ? { audit } : {}),
      new FastifyAdapter({ logger: false, bodyLimit: 1024 * 1024, forceCloseConnections: 'idle' }),
      { logger: new NestPinoLogger(logger), abortOnError: false },
    );
    // Streaming endpoints (STOW-RS) read bodies as they arrive: multipart and any other type
    // without a parser (JSON keeps Fastify's) are handed over as the raw stream, never buffered;
    // each endpoint checks the media type (415) and enforces its own size limit (413).
    app.useGlobalFilters(new ProblemExceptionFilter(logger));
    const fastify = app.getHttpAdapter().getInstance();
    fastify.addContentTypeParser('multipart/related', (_request, payload, done) => done(null, payload));
    fastify.addContentTypeParser('*', (_request, payload, done) => done(null, payload));
    await app.listen(config.http.port, config.http.host);
  } catch (error) {
    lock?.release();
    logger.fatal({ err: error }, 'start failed');
    const hint = (error as NodeJS.ErrnoException).code === 'EADDRINUSE' ? ' (check PACS_HTTP_PORT)' : '';
    return fail(`${name}: start failed: ${(error as Error).message}${hint}`);
  }
  app.get(ReadinessService).markStarted();
  logger.info(
    {
      mode: config.mode,
      url: `http://${config.http.host}:${config.http.port}`,
      dataDir: config.dataDir,
      access: accessSummary(identity),
    },
    'pacs started',
  );
  handleSignals(app, config, logger);
  return app;
}

function handleSignals(app: INestApplication, config: PlatformConfig, logger: Logger): void {
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    const deadline = setTimeout(() => {
      logger.error({ timeoutMs: config.shutdownTimeoutMs }, 'shutdown timed out');
      exitAfterFlush(logger, 1);
    }, config.shutdownTimeoutMs);
    deadline.unref();
    app
      .close()
      .then(() => stopTelemetry())
      .then(
        () => {
          logger.info({}, 'stopped');
          exitAfterFlush(logger, 0);
        },
        (error: unknown) => {
          logger.error({ err: error }, 'shutdown failed');
          exitAfterFlush(logger, 1);
        },
      );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

/** The log is written asynchronously: exit only once its last lines are out. */
function exitAfterFlush(logger: Logger, code: number): void {
  logger.flush(() => process.exit(code));
}

function fail(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(1);
}

/** How HTTP callers identify themselves, for the start line of the log. */
function accessSummary(identity: IdentityConfig): string {
  const ways = [
    ...(identity.oidc ? [`OIDC tokens of ${identity.oidc.issuer}`] : []),
    ...(identity.apiKeys ? [`${identity.apiKeys.length} API key(s)`] : []),
  ];
  return ways.length > 0 ? ways.join(', ') : 'local user (no authentication)';
}
