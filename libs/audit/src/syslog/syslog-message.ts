import type { AuditEvent } from '@pacs/contracts';
import type { AuditRecord } from '@pacs/audit-store';
import { renderAuditMessage } from '../xml/audit-message.xml';

// The audit messages as syslog messages: RFC 5424 with the PS3.15 A.5 XML as MSG, as DICOM's Audit
// Trail Message Format Profile and IHE ATNA (ITI-20, "Record Audit Event") send them.

/** How the syslog messages of the audit trail are built. */
export interface SyslogMessageOptions {
  /** HOSTNAME of the header (RFC 5424 6.2.4): this host's FQDN, name or address. */
  readonly hostname: string;
  /** APP-NAME (RFC 5424 6.2.5); default `pacs-audit`. */
  readonly appName?: string;
  /**
   * SD-ID of our structured data element (RFC 5424 6.3.2): `name@<private enterprise number>`;
   * default `pacs@32473`, 32473 being the enterprise number reserved for documentation (RFC 5612).
   */
  readonly sdId?: string;
  /** AuditSourceID of the XML message; default `<hostname>/<the service that observed the event>`. */
  readonly auditSourceId?: string | ((event: AuditEvent) => string);
  /** AuditEnterpriseSiteID; default the record's tenant. */
  readonly enterpriseSiteId?: string;
  /** XML declaration at the head of the XML (default true). */
  readonly xmlDeclaration?: boolean;
}

/** Builds the syslog message (unframed) of an audit record. */
export type SyslogFormatter = (record: AuditRecord) => Buffer;

/**
 * Facility 10, "security/authorization messages" (RFC 5424 6.2.1 Table 1), the facility IHE ATNA
 * and RFC 3881 practice use for audit records.
 */
export const AUDIT_SYSLOG_FACILITY = 10;
/** MSGID of an audit message, as IHE ATNA (ITI TF-2 3.20.7) and DICOM audit senders use. */
export const AUDIT_SYSLOG_MSGID = 'IHE+RFC-3881';
const DEFAULT_APP_NAME = 'pacs-audit';
const DEFAULT_SD_ID = 'pacs@32473';
/** RFC 5424 6.4: a MSG in UTF-8 starts with the BOM. */
const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

/**
 * Severity (RFC 5424 6.2.1 Table 2) of an event outcome (EventOutcomeIndicator, PS3.15 A.5.1):
 * 5 notice for success, 4 warning for a minor or serious failure, 3 error for a major failure.
 */
export function auditSeverity(outcome: AuditEvent['outcome']): number {
  switch (outcome) {
    case 0:
      return 5;
    case 4:
    case 8:
      return 4;
    case 12:
      return 3;
  }
}

/**
 * The RFC 5424 message of an audit record:
 * `<PRI>1 TIMESTAMP HOSTNAME APP-NAME - IHE+RFC-3881 [sd-id tenant seq eventId hash] BOM<xml>`.
 * TIMESTAMP is when the event occurred (UTC, milliseconds; RFC 5424 6.2.3); the structured data
 * lets a collector check the record's place in the tenant's hash chain without parsing the XML.
 */
export function formatSyslogMessage(record: AuditRecord, options: SyslogMessageOptions): Buffer {
  const hostname = headerField(options.hostname, 255);
  const appName = headerField(options.appName ?? DEFAULT_APP_NAME, 48);
  const sdId = options.sdId ?? DEFAULT_SD_ID;
  assertSdId(sdId);
  const event = record.event;
  const pri = AUDIT_SYSLOG_FACILITY * 8 + auditSeverity(event.outcome);
  const occurred = new Date(event.occurredAt);
  const timestamp = Number.isNaN(occurred.getTime()) ? '-' : occurred.toISOString();
  const structuredData =
    `[${sdId} tenant="${paramValue(record.tenantId)}" seq="${record.seq}"` +
    ` eventId="${paramValue(record.eventId)}" hash="${paramValue(record.hash)}"]`;
  const auditSourceId =
    typeof options.auditSourceId === 'function'
      ? options.auditSourceId(event)
      : (options.auditSourceId ?? `${options.hostname}/${event.source}`);
  const xml = renderAuditMessage(event, {
    auditSourceId,
    ...(options.enterpriseSiteId !== undefined ? { enterpriseSiteId: options.enterpriseSiteId } : {}),
    ...(options.xmlDeclaration !== undefined ? { xmlDeclaration: options.xmlDeclaration } : {}),
  });
  const header = `<${pri}>1 ${timestamp} ${hostname} ${appName} - ${AUDIT_SYSLOG_MSGID} ${structuredData} `;
  return Buffer.concat([Buffer.from(header, 'utf8'), BOM, Buffer.from(xml, 'utf8')]);
}

/** A formatter with fixed options, for the exporter. */
export function syslogFormatter(options: SyslogMessageOptions): SyslogFormatter {
  assertSdId(options.sdId ?? DEFAULT_SD_ID);
  return (record) => formatSyslogMessage(record, options);
}

/**
 * Octet-counting framing (RFC 6587 3.4.1, which RFC 5425 4.3 uses over TLS too):
 * `MSG-LEN SP SYSLOG-MSG`, MSG-LEN being the message's length in octets.
 */
export function frameSyslogMessage(message: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`${message.length} `, 'ascii'), message]);
}

/**
 * A header field is 1 to `max` PRINTUSASCII characters (RFC 5424 6): anything else is dropped, and
 * an empty field is the NILVALUE.
 */
function headerField(value: string, max: number): string {
  const printable = value.replace(/[^\x21-\x7e]/g, '').slice(0, max);
  return printable === '' ? '-' : printable;
}

/** PARAM-VALUE escapes `"`, `\` and `]` with a backslash (RFC 5424 6.3.3). */
function paramValue(value: string): string {
  return value.replace(/["\\\]]/g, (c) => `\\${c}`);
}

/**
 * SD-ID (RFC 5424 6.3.2): 1 to 32 PRINTUSASCII except `=`, SP, `]` and `"`; a name of our own
 * carries `@` and a private enterprise number (7.2.2 and 6.3.2).
 */
function assertSdId(sdId: string): void {
  if (!/^[^=\]"@\s]{1,31}@[0-9]+(?:\.[0-9]+)*$/.test(sdId) || sdId.length > 32 || /[^\x21-\x7e]/.test(sdId)) {
    throw new Error(`syslog SD-ID "${sdId}" is not name@<enterprise number> of at most 32 characters (RFC 5424 6.3.2)`);
  }
}
