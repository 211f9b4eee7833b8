export * from './audit.module';
export * from './ledger/chain';
export * from './ledger/chain-verifier';
export * from './ledger/audit-ledger';
export * from './xml/audit-message.xml';
export {
  formatSyslogMessage,
  frameSyslogMessage,
  syslogFormatter,
  auditSeverity,
  AUDIT_SYSLOG_FACILITY,
  AUDIT_SYSLOG_MSGID,
  type SyslogMessageOptions,
  type SyslogFormatter,
} from './syslog/syslog-message';
export {
  SyslogDeliveryError,
  DEFAULT_SYSLOG_TIMEOUT_MS,
  DEFAULT_SYSLOG_SETTLE_MS,
  type SyslogTransport,
} from './syslog/syslog-transport';
export { TcpSyslogTransport, type TcpSyslogOptions } from './syslog/tcp-syslog.transport';
export { TlsSyslogTransport, type TlsSyslogOptions } from './syslog/tls-syslog.transport';
export {
  SyslogExporter,
  type SyslogExporterOptions,
  type SyslogExporterStatus,
  type SyslogCollector,
} from './syslog/syslog-exporter';
