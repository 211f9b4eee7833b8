import { ConfigError } from './config.error';
import { loadAuditConfig, loadAuditEnabled } from './audit-config';

const platform = { mode: 'embedded' as const, dataDir: '/var/lib/pacs' };

describe('loadAuditConfig', () => {
  it('keeps the audit trail in the data folder by default, in MongoDB in distributed mode', () => {
    expect(loadAuditConfig({}, platform)).toEqual({
      store: { adapter: 'sqlite', file: '/var/lib/pacs/audit.sqlite' },
      syslog: { collectors: [], tls: {} },
      batchSize: 200,
    });
    expect(
      loadAuditConfig({ PACS_MONGODB_URL: 'mongodb://db:27017' }, { ...platform, mode: 'distributed' }).store,
    ).toEqual({ adapter: 'mongodb', url: 'mongodb://db:27017', database: 'pacs', collectionPrefix: 'audit_' });
  });

  it('reads the syslog collectors', () => {
    const config = loadAuditConfig(
      { PACS_AUDIT_SYSLOG: 'tcp://logs.example:6514, tls://[::1]:6515', PACS_AUDIT_SYSLOG_HOSTNAME: 'pacs-1' },
      platform,
    );
    expect(config.syslog.collectors).toEqual([
      { id: 'tcp://logs.example:6514', protocol: 'tcp', host: 'logs.example', port: 6514 },
      { id: 'tls://[::1]:6515', protocol: 'tls', host: '::1', port: 6515 },
    ]);
    expect(config.syslog.hostname).toBe('pacs-1');
  });

  it('names every wrong variable', () => {
    let error: unknown;
    try {
      loadAuditConfig(
        {
          PACS_AUDIT_STORE: 'mongodb',
          PACS_AUDIT_SYSLOG: 'udp://logs:514',
          PACS_AUDIT_SYSLOG_TLS_CERT: __filename,
          PACS_AUDIT_BATCH_SIZE: '0',
        },
        platform,
      );
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as ConfigError).message;
    expect(message).toContain('PACS_AUDIT_SYSLOG');
    expect(message).toContain('tcp://host:port');
    expect(message).toContain('PACS_MONGODB_URL');
    expect(message).toContain('PACS_AUDIT_SYSLOG_TLS_KEY');
    expect(message).toContain('PACS_AUDIT_BATCH_SIZE');
  });

  it('audits unless PACS_AUDIT_ENABLED=false', () => {
    expect(loadAuditEnabled({})).toBe(true);
    expect(loadAuditEnabled({ PACS_AUDIT_ENABLED: 'false' })).toBe(false);
    expect(() => loadAuditEnabled({ PACS_AUDIT_ENABLED: 'maybe' })).toThrow(/PACS_AUDIT_ENABLED/);
  });
});
