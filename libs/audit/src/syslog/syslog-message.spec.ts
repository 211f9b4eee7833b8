import type { AuditRecord } from '@pacs/audit-store';
import { validateAuditXml } from '../testing';
import { renderAuditMessage } from '../xml/audit-message.xml';
import { auditSeverity, formatSyslogMessage, frameSyslogMessage, syslogFormatter } from './syslog-message';
import { sampleAuditEvent } from './testing/memory-audit-store';

const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

function record(overrides: Partial<AuditRecord> = {}, outcome: 0 | 4 | 8 | 12 = 0): AuditRecord {
  const event = { ...sampleAuditEvent('radiology', 1, new Date('2025-06-01T08:09:10.123Z')), outcome };
  return {
    tenantId: 'radiology',
    seq: 42,
    eventId: event.eventId,
    recordedAt: '2025-06-01T08:09:11.000Z',
    event,
    prevHash: '0'.repeat(64),
    hash: 'ab'.repeat(32),
    ...overrides,
  };
}

/** The header (up to the BOM) and the XML after it. */
function split(message: Buffer): { header: string; xml: string } {
  const bom = message.indexOf(BOM);
  expect(bom).toBeGreaterThan(0);
  return { header: message.subarray(0, bom).toString('utf8'), xml: message.subarray(bom + 3).toString('utf8') };
}

describe('formatSyslogMessage (RFC 5424)', () => {
  it('writes PRI, version, timestamp, host, app, MSGID and our structured data, then BOM and XML', () => {
    const r = record();
    const { header, xml } = split(formatSyslogMessage(r, { hostname: 'pacs-1.example.org' }));
    expect(header).toBe(
      `<85>1 2025-06-01T08:09:10.123Z pacs-1.example.org pacs-audit - IHE+RFC-3881 ` +
        `[pacs@32473 tenant="radiology" seq="42" eventId="${r.eventId}" hash="${'ab'.repeat(32)}"] `,
    );
    expect(xml).toBe(renderAuditMessage(r.event, { auditSourceId: 'pacs-1.example.org/query' }));
  });

  it('maps the outcome to the severity: notice, warning, warning, error (facility 10)', () => {
    expect([0, 4, 8, 12].map((o) => auditSeverity(o as 0 | 4 | 8 | 12))).toEqual([5, 4, 4, 3]);
    const pris = ([0, 4, 8, 12] as const).map(
      (o) => /^<(\d+)>1 /.exec(formatSyslogMessage(record({}, o), { hostname: 'h' }).toString())?.[1],
    );
    expect(pris).toEqual(['85', '84', '84', '83']);
  });

  it('escapes ", \\ and ] in parameter values, and keeps header fields printable', () => {
    const message = formatSyslogMessage(record({ tenantId: 'a"b]c\\d' }), {
      hostname: 'my host\u00e9',
      appName: 'audit app',
      sdId: 'audit@32473.1',
      auditSourceId: 'src',
      enterpriseSiteId: 'Site 1',
      xmlDeclaration: false,
    });
    const { header, xml } = split(message);
    expect(header).toMatch(/^<85>1 \S+ myhost auditapp - IHE\+RFC-3881 \[audit@32473\.1 tenant="a\\"b\\]c\\\\d" /);
    expect(xml.startsWith('<AuditMessage>')).toBe(true);
    expect(xml).toContain('AuditEnterpriseSiteID="Site 1" AuditSourceID="src"');
  });

  it('refuses an SD-ID that is not name@number (RFC 5424 6.3.2)', () => {
    for (const sdId of ['pacs', 'pa cs@1', 'pacs@x', 'a"b@1', `${'x'.repeat(30)}@123`]) {
      expect(() => syslogFormatter({ hostname: 'h', sdId })).toThrow(/SD-ID/);
    }
  });

  it('frames by octet count (RFC 6587 3.4.1), multi-byte characters counted in octets', () => {
    const message = Buffer.from('<85>1 - - - - - - \ufeffé€');
    const frame = frameSyslogMessage(message);
    expect(frame.toString('utf8')).toBe(`${message.length} ${message.toString('utf8')}`);
    expect(message.length).toBe(Buffer.byteLength('<85>1 - - - - - - ', 'ascii') + 3 + 2 + 3);
  });

  it('carries an XML part that validates against the PS3.15 schema', async () => {
    const messages = ([0, 4, 8, 12] as const).map((o) => split(syslogFormatter({ hostname: 'h' })(record({}, o))).xml);
    expect(await validateAuditXml(messages)).toEqual({ valid: true, errors: [] });
  });
});
