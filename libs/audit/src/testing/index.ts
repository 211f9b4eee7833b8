export * from './validate-audit-xml';
export {
  NodeCollector,
  parseOctetCounted,
  RsyslogCollector,
  type NodeCollectorMode,
} from '../syslog/testing/collectors';
