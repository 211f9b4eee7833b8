export * from './validate-audit-xml';
export { NodeCollector, parseOctetCounted, type NodeCollectorMode } from '../syslog/testing/collectors';
export { RsyslogCollector } from '../syslog/testing/collectors';
