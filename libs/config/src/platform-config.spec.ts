import { ConfigError, loadDicomConfig, loadPlatformConfig } from './index';

function problems(fn: () => unknown): string[] {
  try {
    fn();
  } catch (error) {
    if (error instanceof ConfigError) return error.problems.map((p) => `${p.variable}: ${p.message}`);
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('platform configuration', () => {
  it('defaults to the embedded shape on loopback with the documented names and values', () => {
    const config = loadPlatformConfig('pacs', {}, 'embedded');
    expect(config.mode).toBe('embedded');
    expect(config.http).toEqual({ host: '127.0.0.1', port: 8080 });
    expect(config.dataDir).toBe(`${process.cwd()}/data`);
    expect(config.eventBus).toEqual({ adapter: 'sqlite', file: `${process.cwd()}/data/events.sqlite` });
    expect(config.cache).toEqual({ adapter: 'memory' });
    expect(config.blobStore).toEqual({ adapter: 'fs', root: `${process.cwd()}/data/blobs/hot` });
    expect(loadDicomConfig({})).toEqual({
      host: '127.0.0.1',
      port: 11112,
      aeTitle: 'PACS',
      defaultTenantId: 'default',
      defaultDuplicatePolicy: 'new-version',
      acceptUnknownSopClasses: true,
      stowMaxBytes: 16 * 1024 ** 3,
    });
  });

  it('names each wrong variable with what was given', () => {
    const found = problems(() =>
      loadPlatformConfig('pacs', { PACS_HTTP_PORT: 'abc', PACS_MODE: 'cloud', PACS_LOG_LEVEL: 'loud' }, 'embedded'),
    );
    expect(found).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^PACS_HTTP_PORT: expected a TCP port number 1-65535 \(got "abc"\)/),
        expect.stringMatching(/^PACS_MODE: expected one of embedded, distributed/),
        expect.stringMatching(/^PACS_LOG_LEVEL: expected one of/),
      ]),
    );
    expect(problems(() => loadPlatformConfig('pacs', { PACS_HTTP_PORT: '70000' }, 'embedded'))[0]).toMatch(
      /^PACS_HTTP_PORT/,
    );
    expect(problems(() => loadDicomConfig({ PACS_AE_TITLE: 'A_VERY_LONG_AE_TITLE' }))[0]).toMatch(
      /^PACS_AE_TITLE: an AE title has at most 16 characters/,
    );
    expect(problems(() => loadDicomConfig({ PACS_AE_TITLE: 'BAD\\AE' }))[0]).toMatch(/^PACS_AE_TITLE/);
  });

  it('requires the engines of the distributed shape, and allows per-port overrides', () => {
    expect(problems(() => loadPlatformConfig('router', {}, 'distributed'))).toEqual([
      'PACS_KAFKA_BROKERS: required when the event bus is Kafka',
      'PACS_REDIS_URL: required when the cache is Redis',
    ]);
    const config = loadPlatformConfig(
      'router',
      {
        PACS_KAFKA_BROKERS: 'k1:9092,k2:9092',
        PACS_CACHE: 'memory',
        PACS_BLOB_STORE: 's3',
        PACS_S3_BUCKET: 'pacs-hot',
        PACS_S3_ENDPOINT: 'http://127.0.0.1:18333',
      },
      'distributed',
    );
    expect(config.eventBus).toMatchObject({
      adapter: 'kafka',
      brokers: ['k1:9092', 'k2:9092'],
      clientId: 'pacs-router',
    });
    expect(config.cache).toEqual({ adapter: 'memory' });
    expect(config.blobStore).toMatchObject({ adapter: 's3', bucket: 'pacs-hot', endpoint: 'http://127.0.0.1:18333' });
    expect(problems(() => loadPlatformConfig('pacs', { PACS_BLOB_STORE: 's3' }, 'embedded'))).toEqual([
      'PACS_S3_BUCKET: required when the blob store is S3',
    ]);
  });

  it('refuses an unauthenticated listener beyond loopback unless API keys or an OIDC provider are configured, or it is explicitly accepted', () => {
    expect(problems(() => loadPlatformConfig('pacs', { PACS_HTTP_HOST: '0.0.0.0' }, 'embedded'))[0]).toMatch(
      /^PACS_HTTP_HOST: listening beyond loopback needs authentication/,
    );
    const config = loadPlatformConfig(
      'pacs',
      { PACS_HTTP_HOST: '0.0.0.0', PACS_INSECURE_ALLOW_REMOTE: 'true' },
      'embedded',
    );
    expect(config.http.host).toBe('0.0.0.0');
    // With API keys every request is authenticated (the file is checked by loadIdentityConfig).
    expect(
      loadPlatformConfig('pacs', { PACS_HTTP_HOST: '0.0.0.0', PACS_API_KEYS_FILE: '/etc/pacs/keys.json' }, 'embedded')
        .http.host,
    ).toBe('0.0.0.0');
    // So with an OIDC provider (checked by loadIdentityConfig too).
    expect(
      loadPlatformConfig('pacs', { PACS_HTTP_HOST: '0.0.0.0', PACS_OIDC_ISSUER: 'https://sso.example/h' }, 'embedded')
        .http.host,
    ).toBe('0.0.0.0');
    expect(problems(() => loadPlatformConfig('pacs', { PACS_HTTP_HOST: 'not a host' }, 'embedded'))[0]).toMatch(
      /^PACS_HTTP_HOST: expected an IP address/,
    );
  });
});

describe('DICOM TLS configuration', () => {
  it('needs both a readable certificate and key, naming what is missing', () => {
    const problemsOf = (env: Record<string, string>) => {
      try {
        loadDicomConfig(env);
      } catch (error) {
        if (error instanceof ConfigError) return error.problems.map((p) => `${p.variable}: ${p.message}`);
      }
      return [];
    };
    expect(problemsOf({ PACS_DICOM_TLS_CERT: __filename })).toEqual([
      'PACS_DICOM_TLS_KEY: DICOM TLS needs both PACS_DICOM_TLS_CERT and PACS_DICOM_TLS_KEY',
    ]);
    expect(problemsOf({ PACS_DICOM_TLS_CERT: '/nonexistent/cert.pem', PACS_DICOM_TLS_KEY: __filename })[0]).toMatch(
      /^PACS_DICOM_TLS_CERT: expected a readable file/,
    );
    expect(loadDicomConfig({ PACS_DICOM_TLS_CERT: __filename, PACS_DICOM_TLS_KEY: __filename }).tls).toEqual({
      certFile: __filename,
      keyFile: __filename,
    });
  });
});
