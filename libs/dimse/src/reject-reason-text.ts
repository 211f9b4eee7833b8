import { RejectSource } from './pdu.types';

/** The meaning of an A-ASSOCIATE-RJ source and reason, in words (PS3.8 Table 9-21), for logs and audit records. */
export function rejectReasonText(rejection: { readonly source: number; readonly reason: number }): string {
  const user: Record<number, string> = {
    1: 'no reason given',
    2: 'application context name not supported',
    3: 'calling AE title not recognized',
    7: 'called AE title not recognized',
  };
  const acse: Record<number, string> = { 1: 'no reason given', 2: 'protocol version not supported' };
  const presentation: Record<number, string> = { 1: 'temporary congestion', 2: 'local limit exceeded' };
  const table =
    rejection.source === RejectSource.ServiceUser
      ? user
      : rejection.source === RejectSource.ServiceProviderAcse
        ? acse
        : presentation;
  return table[rejection.reason] ?? `reason ${rejection.reason} (source ${rejection.source})`;
}
